"""conda's and conda-token's built-in defaults (the one place they live)."""

from __future__ import annotations

#: conda-token's repository (``CONDA_TOKEN_REPO_URL`` overrides it, exactly as in conda-token).
DEFAULT_REPO_URL = "https://repo.anaconda.cloud/repo/"
#: conda's ``channel_alias`` default: bare channel names resolve under it.
DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
#: conda's ``default_channels`` when none are configured (non-Windows).
DEFAULT_CHANNELS = ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")
#: the channels conda-token writes into ``default_channels``, under the repository URL.
TOKEN_CHANNELS = ("main", "r", "msys2")
