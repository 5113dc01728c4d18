"""A token-validation server on 127.0.0.1 that accepts exactly one token, like the Anaconda repository."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from jupyter_trust.demo.serve import ChannelServer

GOOD_TOKEN = "tok-SENTINEL-7c1e9b2f4d6a8e0c"


@dataclass
class ValidationServer:
    server: ChannelServer
    token: str

    @property
    def repo_url(self) -> str:
        return f"{self.server.url}/repo/"


def start_validation_server(root: Path, token: str = GOOD_TOKEN) -> ValidationServer:
    noarch = root / "repo" / "main" / "noarch"
    noarch.mkdir(parents=True, exist_ok=True)
    (noarch / "repodata.json").write_text(json.dumps({"info": {"subdir": "noarch"}, "packages": {}}))
    return ValidationServer(ChannelServer(root, require_token=token).start(), token)


@pytest.fixture
def validation_server(tmp_path, monkeypatch):
    """Accepts GOOD_TOKEN only; CONDA_TOKEN_REPO_URL points at it (as with conda-token)."""
    vs = start_validation_server(tmp_path / "repo-server")
    monkeypatch.setenv("CONDA_TOKEN_REPO_URL", vs.repo_url)
    yield vs
    vs.server.stop()
