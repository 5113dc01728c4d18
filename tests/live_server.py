"""A real `jupyter server` process with jupyter_trust on 127.0.0.1, for tests that need one outside pytest's event
loop (kill -9, Schemathesis)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from browser_fixtures import free_port


@dataclass
class LiveServer:
    proc: subprocess.Popen[bytes]
    base: str
    token: str
    log: Path

    def call(self, method: str, path: str, body: object = None) -> dict:
        """A jupyter_trust REST call (``path`` under ``jupyter-trust/``); HTTP errors raise."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}/jupyter-trust/{path}", data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(request, timeout=120) as response:  # 127.0.0.1 only
            return json.loads(response.read())


@contextlib.contextmanager
def live_server(env: dict[str, str], root_dir: Path) -> Iterator[LiveServer]:
    """Start the server in its own session (so the test can kill it alone, or it and its children), wait until it
    answers, and end everything it started afterwards."""
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--allow-root",
        "--ServerApp.jpserver_extensions=jupyter_trust=True",
    ]
    log_path = root_dir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log, start_new_session=True)
        server = LiveServer(proc, f"http://127.0.0.1:{port}", token, log_path)
        try:
            for _ in range(300):
                try:
                    request = urllib.request.Request(f"{server.base}/api/status")
                    request.add_header("Authorization", f"token {token}")
                    urllib.request.urlopen(request, timeout=5).close()
                    break
                except OSError:
                    time.sleep(0.1)
            yield server
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
