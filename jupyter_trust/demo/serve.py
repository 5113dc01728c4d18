"""A small static HTTP server on 127.0.0.1 for channels and trust metadata (demo and tests)."""

from __future__ import annotations

import hashlib
import http.server
import threading
import urllib.parse
from pathlib import Path


class ChannelServer:
    """Serves ``root``; with ``require_token``, only paths under ``/t/<token>/`` are served (others: 403).

    Test hooks: :meth:`set_override` serves other bytes or a status code for one path; ``request_log``
    lists the paths asked for (as received, so tests can check what was sent) and ``response_log`` the
    status each got; ``etags = False`` turns conditional answers off; ``delays`` (seconds before answering)
    and ``rates`` (bytes/s of the body) apply to paths ending with their keys: slow, trickling and
    throttled channels.
    """

    def __init__(self, root: Path, *, host: str = "127.0.0.1", port: int = 0, require_token: str | None = None) -> None:
        self.root = Path(root)
        self.require_token = require_token
        self.overrides: dict[str, bytes | int] = {}
        self.request_log: list[str] = []
        #: (path, status) of every answer, in order
        self.response_log: list[tuple[str, int]] = []
        self.delay = 0.0
        self.delays: dict[str, float] = {}
        self.rates: dict[str, float] = {}
        self._stopping = threading.Event()
        #: answer with an ETag, and 304 to a matching If-None-Match (as package servers and CDNs do)
        self.etags = True
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _resolve(self) -> tuple[int, bytes | Path, str | None]:
                """Status, body (a file is read only when sent) and the ETag of a 200 answer."""
                path = urllib.parse.urlsplit(self.path).path
                if server.require_token is not None:
                    prefix = f"/t/{server.require_token}/"
                    if not path.startswith(prefix):
                        return 403, b"token required", None
                    path = "/" + path[len(prefix) :]
                if path in server.overrides:
                    value = server.overrides[path]
                    if isinstance(value, int):
                        return value, b"", None
                    return 200, value, f'"{hashlib.sha256(value).hexdigest()[:32]}"'
                target = (server.root / urllib.parse.unquote(path).lstrip("/")).resolve()
                if server.root.resolve() not in target.parents or not target.is_file():
                    return 404, b"not found", None
                st = target.stat()
                return 200, target, f'"{st.st_mtime_ns:x}-{st.st_size:x}"'  # as nginx does: mtime and size

            def _shaped(self, table: dict[str, float]) -> float:
                path = urllib.parse.urlsplit(self.path).path
                return next((v for k, v in table.items() if path.endswith(k)), 0.0)

            def _write(self, data: bytes) -> None:
                rate = self._shaped(server.rates)
                if not rate:
                    self.wfile.write(data)
                    return
                interval = max(0.05, 1 / rate)
                piece = max(1, round(rate * interval))
                try:
                    for start in range(0, len(data), piece):
                        self.wfile.write(data[start : start + piece])
                        self.wfile.flush()
                        if server._stopping.wait(interval):
                            return
                except OSError:
                    pass  # the client gave up

            def _send(self, body: bool) -> None:
                server.request_log.append(urllib.parse.urlsplit(self.path).path)  # when asked, before any delay
                delay = server.delay or self._shaped(server.delays)
                if delay and server._stopping.wait(delay):
                    return
                status, content, etag = self._resolve()
                etag = etag if server.etags else None
                path = urllib.parse.urlsplit(self.path).path
                if etag and self.headers.get("If-None-Match") == etag:
                    server.response_log.append((path, 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                data = content.read_bytes() if isinstance(content, Path) else content
                server.response_log.append((path, status))
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(data)))
                self.send_header(
                    "Content-Type", "application/json" if self.path.endswith(".json") else "application/octet-stream"
                )
                self.end_headers()
                if body:
                    self._write(data)

            def do_GET(self) -> None:
                self._send(True)

            def do_HEAD(self) -> None:
                self._send(False)

        self._httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def set_override(self, path: str, value: bytes | int | None) -> None:
        if value is None:
            self.overrides.pop(path, None)
        else:
            self.overrides[path] = value

    def start(self) -> ChannelServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="channel-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ChannelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
