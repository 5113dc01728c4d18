"""The environment handed to child processes: no Hub, Jupyter or Anaconda secrets."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

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


def child_environ(base: Mapping[str, str] | None = None, *, also_strip: Iterable[str | None] = ()) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) without secrets; ``also_strip`` adds names (admin token vars)."""
    base = os.environ if base is None else base
    strip = SECRET_VARIABLES | {name for name in also_strip if name}
    return {k: v for k, v in base.items() if k not in strip and not k.endswith(("_API_TOKEN", "_SECRET"))}
