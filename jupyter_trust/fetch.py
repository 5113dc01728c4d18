"""Bounded HTTP for trust metadata, repodata, artifacts and token validation.

Every download is bounded four ways, all by the clock (never only between reads):

- **connect**: a connection must be accepted within ``connect_timeout`` (conda's ``remote_connect_timeout_secs``);
- **idle**: no byte, the answer's first included, may take longer than ``read_timeout`` (conda's
  ``remote_read_timeout_secs``): each read waits at most that long;
- **minimum rate**: after the first ``timeout`` seconds a download must have averaged ``min_rate`` bytes/s, so
  one of N bytes (the ``Content-Length``, or the record's ``size``) is over by ``timeout + N / min_rate`` at the
  latest and a 1 byte/s trickle fails at about ``timeout`` — the socket's timeout for each read is cut to what
  is left, so a read cannot outlast the deadline;
- **bytes**: a body larger than ``max_bytes`` is refused while it streams, so it never sits in memory.

A host that timed out is not asked again by the same :class:`Fetcher` (one plan, install or refresh): one
timeout, not one per document. ``until`` bounds the whole operation. Proxies and ``ssl_verify`` follow conda's
configuration. Error messages never contain the URL's ``/t/<token>/`` segment or header values; callers still
pass them through :class:`jupyter_trust.redact.Redactor` before showing them.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import Kind, UpstreamError
from .redact import redact

#: conda's defaults for ``remote_connect_timeout_secs`` and ``remote_read_timeout_secs``
CONNECT_TIMEOUT = 9.15
READ_TIMEOUT = 60.0
#: the policy defaults ``download_timeout_secs`` and ``download_min_rate`` (bytes/s)
DEFAULT_TIMEOUT = 60.0
DEFAULT_MIN_RATE = 20_000
_CHUNK = 1 << 16


class FetchError(UpstreamError):
    """A download failed (unreachable, HTTP error, timeout, too large)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(FetchError):
    """HTTP 404: the document does not exist (ends a root-chain walk quietly)."""


class TooLarge(FetchError):
    """The body exceeded the byte cap."""


class Unreachable(FetchError):
    """No HTTP answer at all: DNS, connection refused, TLS failure, timeout."""


class TimedOut(Unreachable):
    """A connect, idle or minimum-rate deadline passed (or the operation's ``until``)."""

    kind = Kind.UPSTREAM_TIMEOUT


class NotModified(FetchError):
    """HTTP 304 to a conditional request: the copy the caller holds is current."""


@dataclass(frozen=True)
class Fetched:
    """A body and the validators a later conditional request can send (``ETag``, ``Last-Modified``)."""

    data: bytes = field(repr=False)
    etag: str | None = None
    last_modified: str | None = None

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class _Attempt:
    """One request's clock: when it started, the bytes so far, the socket once connected."""

    def __init__(self, fetcher: Fetcher, url: str) -> None:
        self.fetcher = fetcher
        self.url = url
        self.started = time.monotonic()
        self.received = 0
        self.sock: socket.socket | None = None
        self.expired = False
        #: the last wait was cut short by the deadline (so its timeout means "too slow", not "silent")
        self.cut = False
        self._timer: threading.Timer | None = None

    def watch(self) -> None:
        """Until :meth:`unwatch`: at the deadline, shut the socket (a server trickling its headers byte by byte
        never lets a socket timeout fire, and http.client reads headers without asking us)."""
        self._timer = threading.Timer(max(0.0, self.deadline() - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def unwatch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _expire(self) -> None:
        self.expired = True
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    def deadline(self) -> float:
        """The minimum-rate deadline for the bytes received so far (it moves as bytes arrive), capped by ``until``."""
        f = self.fetcher
        rate = self.started + f.timeout + (self.received / f.min_rate if f.min_rate > 0 else float("inf"))
        return min(rate, f.until) if f.until is not None else rate

    def wait(self, limit: float) -> float:
        """How long the next step may block: ``limit`` or what is left before the deadline (> 0, else timed out)."""
        left = self.deadline() - time.monotonic()
        if left <= 0:
            raise self.too_slow()
        self.cut = left < limit
        return min(limit, left)

    def too_slow(self) -> TimedOut:
        f = self.fetcher
        elapsed = time.monotonic() - self.started
        if f.until is not None and time.monotonic() >= f.until:
            return TimedOut(f"{self.url} did not finish before this operation's deadline ({elapsed:.0f} s)")
        if not self.received:
            return TimedOut(f"{self.url} did not answer within {f.timeout:g} s (download_timeout_secs)")
        return TimedOut(
            f"{self.url} is too slow: {self.received} bytes in {elapsed:.0f} s (a download must average "
            f"{f.min_rate:g} bytes/s after its first {f.timeout:g} s: download_min_rate, download_timeout_secs)"
        )

    def idle(self) -> TimedOut:
        """Why a socket timeout fired: the read timeout, or the deadline it was cut to."""
        if self.cut or time.monotonic() >= self.deadline():
            return self.too_slow()
        return TimedOut(
            f"{self.url} sent nothing for {self.fetcher.read_timeout:g} s (remote_read_timeout_secs)"
            + (f" after {self.received} bytes" if self.received else "")
        )


def _timed(base: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
    class Timed(base):  # type: ignore[valid-type, misc]
        """Connects within the connect timeout, then waits for the answer with the read timeout."""

        def __init__(self, *args: Any, attempt: Callable[[], _Attempt], **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._attempt = attempt

        def connect(self) -> None:
            super().connect()
            attempt = self._attempt()
            attempt.sock = self.sock
            self.sock.settimeout(attempt.wait(attempt.fetcher.read_timeout))

    return Timed


_TimedHTTP = _timed(http.client.HTTPConnection)
_TimedHTTPS = _timed(http.client.HTTPSConnection)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, attempt: Callable[[], _Attempt]) -> None:
        super().__init__()
        self._attempt = attempt

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_TimedHTTP, attempt=self._attempt), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, attempt: Callable[[], _Attempt], context: ssl.SSLContext | None) -> None:
        super().__init__(context=context)
        self._attempt = attempt

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_TimedHTTPS, attempt=self._attempt), req, context=self._context)


def _host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"


@dataclass
class Fetcher:
    """Small urllib-based client for one operation. ``proxies`` maps scheme -> proxy URL (conda's
    ``proxy_servers``); ``until`` (a ``time.monotonic()`` value) ends every request of the operation."""

    proxies: Mapping[str, str] | None = None
    ssl_verify: bool | str = True
    #: seconds before the minimum rate applies (policy ``download_timeout_secs``)
    timeout: float = DEFAULT_TIMEOUT
    #: bytes/s a download must average after ``timeout`` (policy ``download_min_rate``; 0: no rate limit)
    min_rate: float = DEFAULT_MIN_RATE
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    until: float | None = None
    user_agent: str = "jupyter-trust"
    _opener: urllib.request.OpenerDirector | None = field(default=None, init=False, repr=False)
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)
    _timed_out: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def deadline_for(self, size: int) -> float:
        """Seconds a download of ``size`` bytes may take at most (at exactly the minimum rate)."""
        return self.timeout + (size / self.min_rate if self.min_rate > 0 else float("inf"))

    @property
    def timeout_error(self) -> str | None:
        """Why the first request of this operation that hit a deadline failed (None: none did)."""
        return next(iter(self._timed_out.values()), None)

    def _current(self) -> _Attempt:
        return self._local.attempt

    def _build_opener(self) -> urllib.request.OpenerDirector:
        if self._opener is None:
            context = None
            if self.ssl_verify is False:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            elif isinstance(self.ssl_verify, str) and self.ssl_verify not in ("true", "truststore"):
                context = ssl.create_default_context(cafile=self.ssl_verify)
            self._opener = urllib.request.build_opener(
                urllib.request.ProxyHandler(dict(self.proxies or {})),
                _HTTPHandler(self._current),
                _HTTPSHandler(self._current, context),
            )
        return self._opener

    def _open(self, request: urllib.request.Request, attempt: _Attempt) -> http.client.HTTPResponse:
        safe = attempt.url
        host = _host(request.full_url)
        if host in self._timed_out:
            raise TimedOut(f"{safe} was not asked: {self._timed_out[host]}")
        self._local.attempt = attempt
        attempt.watch()
        try:
            return self._build_opener().open(request, timeout=attempt.wait(self.connect_timeout))
        except TimedOut as exc:
            self._timed_out[host] = str(exc)
            raise
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            if status == 404:
                raise NotFound(f"{safe} was not found (HTTP 404)", status=status) from None
            if status == 304:
                raise NotModified(f"{safe} is unchanged (HTTP 304)", status=status) from None
            raise FetchError(f"{safe} answered HTTP {status}", status=status) from None
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if attempt.expired or isinstance(reason, TimeoutError):
                if attempt.expired or (attempt.sock is None and attempt.cut):
                    error = attempt.too_slow()
                elif attempt.sock is None:
                    error = TimedOut(
                        f"{safe} did not accept a connection within {self.connect_timeout:g} s "
                        "(remote_connect_timeout_secs)"
                    )
                else:
                    error = attempt.idle()
                self._timed_out[host] = str(error)
                raise error from None
            raise Unreachable(f"{safe} could not be reached: {redact(str(reason))}") from None
        finally:
            attempt.unwatch()
            self._local.attempt = None

    def _read(
        self,
        response: http.client.HTTPResponse,
        attempt: _Attempt,
        max_bytes: int,
        sink: Callable[[bytes], object] | None = None,
    ) -> bytes:
        """The body, checked against the byte cap as it streams; with ``sink`` each chunk goes there (its own
        errors, e.g. a full disk, are its own: not the channel's)."""
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise TooLarge(f"{attempt.url} is {length} bytes, more than the {max_bytes}-byte limit")
        chunks: list[bytes] = []
        while chunk := self._next(response, attempt):
            attempt.received += len(chunk)
            if attempt.received > max_bytes:
                raise TooLarge(f"{attempt.url} is larger than the {max_bytes}-byte limit")
            if sink is None:
                chunks.append(chunk)
            else:
                sink(chunk)
        if length and length.isdigit() and attempt.received != int(length):
            raise Unreachable(f"{attempt.url} ended after {attempt.received} of {length} bytes")
        return b"".join(chunks)

    def _next(self, response: http.client.HTTPResponse, attempt: _Attempt) -> bytes:
        """The next bytes of the body (b"" at its end), waiting no longer than the idle timeout and the deadline."""
        try:
            if attempt.sock is not None:
                attempt.sock.settimeout(attempt.wait(self.read_timeout))
            elif time.monotonic() > attempt.deadline():
                raise attempt.too_slow()
            return response.read1(_CHUNK)
        except TimeoutError:
            error = attempt.idle()
            self._timed_out[_host(response.url or attempt.url)] = str(error)
            raise error from None
        except TimedOut as exc:
            self._timed_out[_host(response.url or attempt.url)] = str(exc)
            raise
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(f"{attempt.url} broke off after {attempt.received} bytes: {type(exc).__name__}") from None

    def get(self, url: str, *, max_bytes: int, headers: Mapping[str, str] | None = None) -> bytes:
        """GET ``url``; raise :class:`TooLarge` as soon as more than ``max_bytes`` arrive."""
        return self.fetch(url, max_bytes=max_bytes, headers=headers).data

    def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        headers: Mapping[str, str] | None = None,
        since: Fetched | None = None,
        sink: Callable[[bytes], object] | None = None,
    ) -> Fetched:
        """:meth:`get` with the response's validators; with ``since``, a conditional request that raises
        :class:`NotModified` when the server says ``since`` is still current. With ``sink``, each chunk goes
        there as it arrives and the result's ``data`` is empty (a large body never sits in memory)."""
        if since is not None:
            headers = {**since.conditional_headers(), **(headers or {})}
        attempt = _Attempt(self, redact(url))
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, **(headers or {})})
        with self._open(request, attempt) as response:
            data = self._read(response, attempt, max_bytes, sink)
            return Fetched(data, response.headers.get("ETag"), response.headers.get("Last-Modified"))

    def head(self, url: str, *, headers: Mapping[str, str] | None = None) -> int:
        """HEAD ``url`` and return the status code (HTTP errors are returned, not raised)."""
        request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": self.user_agent, **(headers or {})})
        try:
            with self._open(request, _Attempt(self, redact(url))) as response:
                return int(response.status)
        except FetchError as exc:
            if exc.status is not None:
                return exc.status
            raise
