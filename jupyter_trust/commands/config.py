"""Policy from Jupyter's configuration files, for the command line and the magic.

The server reads ``c.JupyterTrustApp.*`` through traitlets; the CLI and the magic read the same
section from the same files here, without starting a server (JSON files directly; traitlets is loaded
only for a ``.py`` config file).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_config_path

from ..cct.jsonload import loads_strict
from ..policy import DEFAULTS, Policy

SECTION = "JupyterTrustApp"
#: Jupyter's JSON config files are small and shallow; a huge or over-deep one is skipped like a broken one
CONFIG_MAX_BYTES = 4 << 20
CONFIG_MAX_DEPTH = 32


def _json_section(path: Path) -> dict[str, Any]:
    try:
        data = loads_strict(path.read_bytes(), max_bytes=CONFIG_MAX_BYTES, max_depth=CONFIG_MAX_DEPTH)
    except (OSError, ValueError):  # a broken unrelated config file must not stop us
        return {}
    section = data.get(SECTION) if isinstance(data, dict) else None
    return dict(section) if isinstance(section, dict) else {}


def _py_section(path: Path) -> dict[str, Any]:
    from traitlets.config.loader import PyFileConfigLoader  # only when a Python config file exists

    try:
        config = PyFileConfigLoader(path.name, str(path.parent)).load_config()
    except Exception:  # a broken unrelated config file must not stop us
        return {}
    return dict(config.get(SECTION, {}))


def load_jupyter_section(names: tuple[str, ...] = ("jupyter_config", "jupyter_server_config")) -> dict[str, Any]:
    """The ``JupyterTrustApp`` section as the server would see it: every config directory, lowest priority
    first; in each, ``<name>.d/*.json`` drop-ins, then ``<name>.json``, then ``<name>.py`` (traitlets' order;
    the section's values are plain, so merging is an update)."""
    section: dict[str, Any] = {}
    for directory in reversed(jupyter_config_path()):
        base = Path(directory)
        for name in names:
            dropins = base / f"{name}.d"
            for path in [*(sorted(dropins.glob("*.json")) if dropins.is_dir() else []), base / f"{name}.json"]:
                if path.is_file():
                    section.update(_json_section(path))
            py = base / f"{name}.py"
            if py.is_file():
                section.update(_py_section(py))
    return section


def policy_values(section: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    values = {name: section[name] for name in DEFAULTS if name in section and section[name] is not None}
    if "allow_server_prefix" not in values and environ.get("JUPYTERHUB_USER"):
        # Under JupyterHub the server's own environment is off limits unless an admin allows it.
        values["allow_server_prefix"] = False
    return values


def load_policy(environ: Mapping[str, str] | None = None) -> Policy:
    environ = os.environ if environ is None else environ
    section = load_jupyter_section()
    return Policy.load(policy_values(section, environ), environ=environ)
