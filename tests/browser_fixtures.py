"""A real JupyterLab (with jupyter_trust) on 127.0.0.1 against the signed demo channel, for browser tests."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from jupyter_trust.demo.launch import prepare

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "ui-tests" / "artifacts"  # kept by CI as artifacts; git-ignored


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    envs: Path
    home: Path

    def run(self, scenario: str, *extra: str, name: str = "") -> None:
        run_scenario(scenario, f"{self.url}lab?token={self.token}", self.home / "chromium-profile", *extra, name=name)


def run_scenario(
    scenario: str, url: str, profile: Path, *extra: str, env: Mapping[str, str] | None = None, name: str = ""
) -> None:
    """``ui-tests/run.mjs`` through one scenario against ``url``; screenshots ``ui-tests/artifacts/<name>*.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name or scenario}.png"
    out = subprocess.run(
        ["node", str(REPO / "ui-tests" / "run.mjs"), scenario, url, str(shot), *extra],
        env={**os.environ, **(env or {}), "JUPYTER_TRUST_BROWSER_PROFILE": str(profile)},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    # The screenshot paths, for a person to look at (shown even though pytest captures output).
    sys.__stderr__.write("\n" + out.stdout.strip() + "\n")
    assert out.returncode == 0, out.stdout + out.stderr


def quiet_lab_settings(config_dir: Path) -> None:
    """No news pop-up over the screenshots (JupyterLab user settings below a Jupyter config directory)."""
    news = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))


def require_chromium() -> None:
    if not shutil.which("chromium") and not os.environ.get("CHROMIUM_PATH"):
        raise RuntimeError("Debian's chromium is required for the browser tests (scripts/test.sh installs it)")


@pytest.fixture
def lab(tmp_path, validation_server):
    require_chromium()
    from jupyter_trust.demo.build import build_demo
    from jupyter_trust.demo.serve import ChannelServer

    built = build_demo(tmp_path / "demo")
    channel = ChannelServer(built.root_dir).start()
    setup = prepare(tmp_path, channel, built)
    port, token = free_port(), secrets.token_hex(16)
    home = tmp_path / "home"
    home.mkdir()
    # Everything per-user (Jupyter config/data/runtime, conda's token store, condarc search) lives in tmp; the demo
    # policy comes, as in `jupyter conda-trust demo`, from the config directory prepare() puts on JUPYTER_CONFIG_PATH.
    env = {
        **os.environ,
        **setup.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "CONDA_TOKEN_REPO_URL": validation_server.repo_url,
    }
    quiet_lab_settings(tmp_path / "config")
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={tmp_path}",
            "--ServerApp.allow_root=True",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{url}api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError((tmp_path / "lab.log").read_text()[-3000:]) from None
                time.sleep(0.1)
        yield Lab(url, token, tmp_path / "envs", home)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        channel.stop()
        log.close()
