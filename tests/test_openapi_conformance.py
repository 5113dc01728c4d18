"""Schemathesis, run against docs/openapi.yaml on a live `jupyter server` (a real process on 127.0.0.1, against
the signed test channel): no server error, no response that violates the schema, every request the schema
forbids refused, 405s with `Allow`. Bounded: a few examples per operation, a time budget of a few minutes."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from live_server import live_server

REPO = Path(__file__).resolve().parents[1]
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "unsupported_method",
        "allow_header_conformance",
    ]
)


def schemathesis_command() -> list[str] | None:
    exe = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    return [exe] if exe else None


class _AcceptEveryToken(http.server.BaseHTTPRequestHandler):
    """The token repository's validation answer: 200 for any token (validation itself is tested elsewhere)."""

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def token_repository():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AcceptEveryToken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/repo/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def server(signed_channel, token_repository, tmp_path):
    env = signed_channel.jupyter_environ(tmp_path / "jupyter-config")
    env["CONDA_TOKEN_REPO_URL"] = token_repository
    with live_server(env, tmp_path) as running:
        yield running, env


def test_the_live_api_conforms_to_its_openapi_document(server, tmp_path):
    command = schemathesis_command()
    if command is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    running, env = server
    base, token = running.base, running.token
    report = tmp_path / "report"
    argv = [
        *command,
        "run",
        str(REPO / "docs" / "openapi.yaml"),
        "--url",
        f"{base}/jupyter-trust",
        "--header",
        f"Authorization: token {token}",
        "--checks",
        CHECKS,
        "--max-examples",
        "12",
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--seed",
        "12",
        "--generation-database",
        "none",
        "--request-timeout",
        "60",
        "--no-color",
        "--report",
        "ndjson",
        "--report-dir",
        str(report),
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=280, cwd=tmp_path)
    if done.returncode != 0:
        tail = running.log.read_text(errors="replace")[-3000:]
        pytest.fail(f"schemathesis found problems:\n{done.stdout[-12000:]}\n--- server log tail ---\n{tail}")
    assert "jupyter-trust" in done.stdout or "passed" in done.stdout.lower(), done.stdout[-3000:]
    assert json.dumps(token) not in done.stdout
