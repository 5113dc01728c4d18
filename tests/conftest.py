"""Shared test set-up: every test runs with a private HOME and no conda/Jupyter state of the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "pytest_jupyter.jupyter_server",
    "channel_fixtures",
    "token_fixtures",
    "engine_fixtures",
    "hub_fixtures",
    "real_conda_fixtures",
]

REPO = Path(__file__).resolve().parents[1]
VECTORS = REPO / "tests" / "data"  # third-party vectors, see data/PROVENANCE.md

_ISOLATED_UNSET = (
    "CONDARC",
    "CONDA_PREFIX",
    "CONDA_EXE",
    "MAMBA_EXE",
    "CONDA_ROOT",
    "BINSTAR_CONFIG_DIR",
    "CONDA_TOKEN_REPO_URL",
    "JUPYTER_TRUST_ROOT",
    "JUPYTER_TRUST_POLICY_FILE",
    "JUPYTERHUB_USER",
    "JUPYTERHUB_API_TOKEN",
    "JPY_API_TOKEN",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME, XDG dirs and Jupyter data dir; no condarc, token or trust root from the machine."""
    home = tmp_path_factory.mktemp("home")
    for name in _ISOLATED_UNSET:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(home / ".local" / "share" / "jupyter"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(home / ".jupyter"))
    monkeypatch.setenv("RATTLER_CACHE_DIR", str(home / ".cache" / "rattler"))
    return home


@pytest.fixture
def jp_home_dir(isolated_home: Path) -> Path:
    """pytest-jupyter's HOME is our isolated HOME (one home per test)."""
    return isolated_home


@pytest.fixture
def jp_server_config(request: pytest.FixtureRequest) -> dict:
    """The extension enabled, unauthenticated access refused (undecorated handlers would warn).

    ``@pytest.mark.server_config({...})`` merges more config (e.g. a ``JupyterTrustApp`` section or an
    ``authorizer_class``) before the server starts.
    """
    config: dict = {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_trust": True},
            "allow_unauthenticated_access": False,
        }
    }
    marker = request.node.get_closest_marker("server_config")
    if marker:
        for section, values in marker.args[0].items():
            config.setdefault(section, {}).update(values)
    return config
