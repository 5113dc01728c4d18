"""The environment handed to child processes: no Hub, Jupyter or Anaconda secrets."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, MutableMapping

SECRET_VARIABLES = frozenset(
    {
        "JUPYTERHUB_API_TOKEN",
        "JPY_API_TOKEN",
        "JUPYTER_TOKEN",
        "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES",
        "JUPYTERHUB_COOKIE_SECRET",
        "JUPYTER_TRUST_TOKEN",
        "ANACONDA_TOKEN",
        "CONDA_TOKEN",
    }
)


#: any variable whose name ends like this is treated as a secret (``*_TOKEN`` catches ``CONDA_TOKEN``-like ones).
SECRET_SUFFIXES = ("_TOKEN", "_SECRET", "_API_KEY", "_PASSWORD")
#: JupyterHub variables that carry credentials (``JUPYTERHUB_API_URL``, ``JUPYTERHUB_USER`` … are kept).
_HUB_SECRET_WORDS = ("TOKEN", "SECRET", "COOKIE", "KEY", "PASSWORD")


#: names declared secret at run time: the admin policy's ``token_env_var`` (any name an administrator picks).
_DECLARED: set[str] = set()


def declare_secret_variable(name: str | None) -> None:
    """Treat ``name`` as a secret from now on (stripped by :func:`child_environ` in this process)."""
    if name:
        _DECLARED.add(name.upper())


def is_secret_variable(name: str) -> bool:
    upper = name.upper()
    if upper in SECRET_VARIABLES or upper in _DECLARED or upper.endswith(SECRET_SUFFIXES):
        return True
    return upper.startswith(("JUPYTERHUB_", "JPY_")) and any(word in upper for word in _HUB_SECRET_WORDS)


#: variables an Anaconda token is commonly handed over in (besides the admin's ``token_env_var``)
TOKEN_VARIABLES = ("ANACONDA_TOKEN", "CONDA_TOKEN", "JUPYTER_TRUST_TOKEN")


def withdraw_token_variables(
    names: Iterable[str | None] = (), environ: MutableMapping[str, str] | None = None
) -> list[str]:
    """Remove the token variables (``names`` and :data:`TOKEN_VARIABLES`) from ``environ`` (default: this
    process's own environment) and return the names removed. A long-running server calls this once at start,
    after its core copied the environment, so kernels, terminals and build children it starts later never
    inherit a token, whoever starts them."""
    environ = os.environ if environ is None else environ
    wanted = {*TOKEN_VARIABLES, *(name for name in names if name)}
    removed = sorted(name for name in list(environ) if name in wanted)
    for name in removed:
        del environ[name]
    return removed


def child_environ(base: Mapping[str, str] | None = None, *, also_strip: Iterable[str | None] = ()) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) without secrets; ``also_strip`` adds names (admin token vars)."""
    base = os.environ if base is None else base
    extra = {name.upper() for name in also_strip if name}
    return {k: v for k, v in base.items() if not is_secret_variable(k) and k.upper() not in extra}
