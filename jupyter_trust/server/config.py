"""Policy from Jupyter's configuration files, for the command line and the magic.

The server reads ``c.JupyterTrustApp.*`` through traitlets; the CLI and the magic read the same
sections from the same files here, without starting a server (cheap: only traitlets' loaders).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

from ..policy import DEFAULTS, Policy

SECTION = "JupyterTrustApp"


def load_jupyter_config(names: tuple[str, ...] = ("jupyter_config", "jupyter_server_config")) -> Config:
    config = Config()
    for directory in reversed(jupyter_config_path()):  # lowest priority first
        base = Path(directory)
        for name in names:
            dropins = base / f"{name}.d"
            files = sorted(dropins.glob("*.json")) if dropins.is_dir() else []
            files += [base / f"{name}.json"]
            for path in files:
                if path.is_file():
                    try:
                        config.merge(JSONFileConfigLoader(path.name, str(path.parent)).load_config())
                    except Exception:  # noqa: S112 - a broken unrelated config file must not stop us
                        continue
            py = base / f"{name}.py"
            if py.is_file():
                try:
                    config.merge(PyFileConfigLoader(py.name, str(py.parent)).load_config())
                except Exception:  # noqa: S112
                    continue
    return config


def policy_values(section: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    values = {name: section[name] for name in DEFAULTS if name in section and section[name] is not None}
    if "allow_server_prefix" not in values and environ.get("JUPYTERHUB_USER"):
        # Under JupyterHub the server's own environment is off limits unless an admin allows it.
        values["allow_server_prefix"] = False
    return values


def load_policy(environ: Mapping[str, str] | None = None) -> Policy:
    environ = os.environ if environ is None else environ
    section = load_jupyter_config().get(SECTION, {})
    return Policy.load(policy_values(section, environ), environ=environ)
