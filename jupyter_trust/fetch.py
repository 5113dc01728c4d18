"""Bounded HTTP for trust metadata, repodata and token validation.

Every download has a byte cap (checked while streaming, so a huge body never sits in memory) and an
overall deadline; proxies and ``ssl_verify`` follow conda's configuration. Error messages never
contain the URL's ``/t/<token>/`` segment or header values: callers pass URLs through
:class:`jupyter_trust.redact.Redactor` before showing them.
"""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .errors import UpstreamError
from .redact import redact

DEFAULT_TIMEOUT = 30.0
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


@dataclass
class Fetcher:
    """Small urllib-based client. ``proxies`` maps scheme -> proxy URL (conda's ``proxy_servers``)."""

    proxies: Mapping[str, str] | None = None
    ssl_verify: bool | str = True
    timeout: float = DEFAULT_TIMEOUT
    user_agent: str = "jupyter-trust"
    _opener: urllib.request.OpenerDirector | None = field(default=None, init=False, repr=False)

    def _build_opener(self) -> urllib.request.OpenerDirector:
        if self._opener is None:
            handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler(dict(self.proxies or {}))]
            if self.ssl_verify is False:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                handlers.append(urllib.request.HTTPSHandler(context=ctx))
            elif isinstance(self.ssl_verify, str) and self.ssl_verify not in ("true", "truststore"):
                handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=self.ssl_verify)))
            self._opener = urllib.request.build_opener(*handlers)
        return self._opener

    def _open(self, request: urllib.request.Request, timeout: float):
        try:
            return self._build_opener().open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            safe = redact(request.full_url)
            if status == 404:
                raise NotFound(f"{safe} was not found (HTTP 404)", status=status) from None
            if status == 304:
                raise NotModified(f"{safe} is unchanged (HTTP 304)", status=status) from None
            raise FetchError(f"{safe} answered HTTP {status}", status=status) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unreachable(f"{redact(request.full_url)} could not be reached: {redact(str(reason))}") from None

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
    ) -> bytes:
        """GET ``url``; raise :class:`TooLarge` as soon as more than ``max_bytes`` arrive."""
        return self.fetch(url, max_bytes=max_bytes, headers=headers, deadline=deadline).data

    def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
        since: Fetched | None = None,
        sink: Callable[[bytes], object] | None = None,
    ) -> Fetched:
        """:meth:`get` with the response's validators; with ``since``, a conditional request that raises
        :class:`NotModified` when the server says ``since`` is still current. With ``sink``, each chunk goes
        there as it arrives and the result's ``data`` is empty (a large body never sits in memory)."""
        if since is not None:
            headers = {**since.conditional_headers(), **(headers or {})}
        timeout = deadline if deadline is not None else self.timeout
        started = time.monotonic()
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, **(headers or {})})
        with self._open(request, timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise TooLarge(f"{redact(url)} is {length} bytes, more than the {max_bytes}-byte limit")
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() - started > timeout:
                    raise Unreachable(f"{redact(url)} took longer than {timeout:.0f} s")
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"{redact(url)} is larger than the {max_bytes}-byte limit")
                if sink is None:
                    chunks.append(chunk)
                else:
                    sink(chunk)
            return Fetched(b"".join(chunks), response.headers.get("ETag"), response.headers.get("Last-Modified"))

    def head(self, url: str, *, headers: Mapping[str, str] | None = None) -> int:
        """HEAD ``url`` and return the status code (HTTP errors are returned, not raised)."""
        request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": self.user_agent, **(headers or {})})
        try:
            with self._open(request, self.timeout) as response:
                return int(response.status)
        except FetchError as exc:
            if exc.status is not None:
                return exc.status
            raise
