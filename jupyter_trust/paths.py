"""Per-user data locations, computed as jupyter_core does (without importing Jupyter code)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path


def jupyter_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("JUPYTER_DATA_DIR"):
        return Path(env["JUPYTER_DATA_DIR"])
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Jupyter"
    if os.name == "nt":
        appdata = env.get("APPDATA")
        return Path(appdata) / "jupyter" if appdata else home / ".jupyter" / "data"
    xdg = env.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else home / ".local" / "share") / "jupyter"


def jupyter_trust_dir(environ: Mapping[str, str] | None = None) -> Path:
    return jupyter_data_dir(environ) / "jupyter_trust"


def trust_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Verified root chains and key_mgr per signing-metadata URL."""
    return jupyter_trust_dir(environ) / "trust"
