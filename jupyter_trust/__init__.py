"""jupyter_trust: install conda packages from Jupyter only when their signed metadata checks out.

The package is split into a *core* that imports no Jupyter code (``cct``, ``trust``, ``conda``,
``plans``, ``engine``, ``status``, ``policy`` ...) and thin *adapters* over it: the server
extension (``jupyter_trust.server``), the IPython magic (``jupyter_trust.magic``) and the
``jupyter conda-trust`` command line (``jupyter_trust.cli``).
"""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - running from a source tree that was never built
    __version__ = "0.0.0.dev0"

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-trust"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import JupyterTrustApp

    return [{"module": "jupyter_trust", "app": JupyterTrustApp}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_trust`` registers the ``%conda_trust`` magic."""
    from .magic import load_ipython_extension as _load

    _load(ipython)
