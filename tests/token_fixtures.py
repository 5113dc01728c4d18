"""A token-validation server on 127.0.0.1 that accepts exactly one token, like the Anaconda repository.

Fixtures (reusable by REST, CLI, magic and browser tests):

* ``validation_server``: HEAD/GET ``/t/<GOOD_TOKEN>/repo/main/noarch/repodata.json`` -> 200, anything else -> 403;
  ``CONDA_TOKEN_REPO_URL`` points at it exactly as conda-token reads it. ``.server.delay = s`` makes it slow,
  ``.server.stop()`` takes it down (then validation is "unreachable"), ``.server.request_log`` lists the paths asked.
* ``http_proxy``: a real forwarding HTTP proxy on 127.0.0.1 that records the absolute URLs it forwarded, so a
  test can prove condarc ``proxy_servers`` are honoured.
* ``secret_forms(secret)``: the raw, URL-quoted and base64 forms a privacy test must not find anywhere.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from jupyter_trust.demo.serve import ChannelServer

GOOD_TOKEN = "tok-SENTINEL-7c1e9b2f4d6a8e0c"


def secret_forms(secret: str = GOOD_TOKEN) -> list[str]:
    """Every encoding of ``secret`` a leak could take."""
    return [
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        base64.urlsafe_b64encode(secret.encode()).decode(),
    ]


def assert_no_secret(text: str, secret: str = GOOD_TOKEN) -> None:
    for form in secret_forms(secret):
        assert form not in text, "the secret leaked"


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


@dataclass
class ForwardProxy:
    httpd: http.server.ThreadingHTTPServer
    seen: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def start_forward_proxy() -> ForwardProxy:
    """A plain-HTTP forwarding proxy (absolute-form request lines), loopback only."""
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    holder: dict[str, ForwardProxy] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self, body: bool) -> None:
            holder["proxy"].seen.append(self.path)
            target = urllib.parse.urlsplit(self.path)
            if target.hostname != "127.0.0.1":  # never reach beyond the loopback interface
                status, data = 502, b""
            else:
                request = urllib.request.Request(self.path, method=self.command)
                try:
                    with direct.open(request, timeout=10) as response:
                        status, data = response.status, response.read()
                except urllib.error.HTTPError as exc:
                    status, data = exc.code, b""
                except OSError:
                    status, data = 502, b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

        def do_GET(self) -> None:
            self._forward(True)

        def do_HEAD(self) -> None:
            self._forward(False)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    proxy = holder["proxy"] = ForwardProxy(httpd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return proxy


@pytest.fixture
def http_proxy(monkeypatch) -> Iterator[ForwardProxy]:
    """A forwarding proxy on 127.0.0.1; no_proxy/proxy variables of the machine are cleared."""
    for name in ("no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    proxy = start_forward_proxy()
    yield proxy
    proxy.stop()
