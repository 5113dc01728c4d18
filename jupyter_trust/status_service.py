"""A long-running server's status: answered from memory while nothing it was built from changed.

Building the status parses every condarc, self-verifies the trust anchor and the cached root chain and reads the
token store: a few milliseconds of CPU, which 50 parallel requests turn into a queue on the event loop. Here the
document is kept with a fingerprint of what it was built from (``os.stat`` of the condarc search path, the token
store, the trust-metadata cache, the trust anchors and Sigstore root, the task journal and plans) and the core's
policy and environment; a request whose fingerprint matches, within ``max_age`` seconds (expiry is a matter of the
clock), gets the kept document; anything else the status comes to read belongs in :meth:`StatusService._watched`.
Builds run in this service's own thread (never the loop, never behind plans or installs) and concurrent requests
share one build.

``refresh`` (network) runs in its own threads with its own deadline: :class:`~jupyter_trust.errors.UpstreamTimeout`
(HTTP 504) when it is hit; concurrent refreshes share one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .attest.sigroot import ROOT_ENV as SIGSTORE_ROOT_ENV
from .conda.condarc import search_path
from .conda.tokens import token_dir
from .core import Core
from .errors import UpstreamTimeout
from .paths import trust_cache_dir
from .status import build_status
from .trust.anchor import ROOT_ENV

#: how long a kept status may be served although nothing it depends on changed on disk (expiry, liveness)
MAX_AGE = 1.0
#: how long ``GET /status?refresh=1`` may take (server setting ``status_refresh_timeout_secs``)
REFRESH_TIMEOUT = 30.0

Stat = tuple[int, int, int, int] | None


def _stat(path: str) -> Stat:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def _walk(path: str, depth: int) -> Iterator[tuple[str, Stat]]:
    """``path``'s stat and, ``depth`` levels down, its entries' (a directory's mtime misses in-place edits)."""
    stat = _stat(path)
    yield path, stat
    if depth > 0 and stat is not None:
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return
        for name in names:
            yield from _walk(os.path.join(path, name), depth - 1)


@dataclass(frozen=True)
class _Kept:
    key: tuple[Any, ...]
    at: float
    document: dict[str, Any]


class StatusService:
    """The status documents of one server's :class:`Core` (``GET /jupyter-trust/status``)."""

    def __init__(
        self,
        core: Core,
        *,
        interrupted: Callable[[], list[Mapping[str, Any]]] | None = None,
        refresh_timeout: float = REFRESH_TIMEOUT,
        max_age: float = MAX_AGE,
    ) -> None:
        self.core = core
        self.interrupted = interrupted
        self.refresh_timeout = refresh_timeout
        self.max_age = max_age
        self._kept: _Kept | None = None
        self._building: tuple[tuple[Any, ...], asyncio.Future[dict[str, Any]]] | None = None
        self._refreshing: asyncio.Future[dict[str, Any]] | None = None
        #: the environment and policy the watch list was made for (held, so their ids cannot be reused)
        self._watch_for: tuple[Any, Any] | None = None
        self._watch: list[tuple[str, int]] = []
        self._builder = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="jupyter-trust-status")
        # Two: a refresh past its deadline may still be ending (its requests are bounded by the same deadline).
        self._refresher = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="jupyter-trust-refresh")

    # -- what the status is built from -------------------------------------------------------------
    def _watched(self) -> list[tuple[str, int]]:
        """``(path, depth)`` of everything the status reads, for this core's environment and policy."""
        core = self.core
        if self._watching_current():
            return self._watch
        environ = core.environ
        watch = [
            (str(p), 1)
            for p in search_path(environ=environ, root_prefix=core.conda.root_prefix, active_prefix=core.active_prefix)
        ]
        watch.append((str(token_dir(environ)), 1))
        watch += [(str(p), 1) for p in core.conda_trust_dirs()]
        sigstore = (core.policy.sigstore_trust_root, environ.get(SIGSTORE_ROOT_ENV))
        for path in (core.policy.trust_root, environ.get(ROOT_ENV), core.policy.token_file, *sigstore):
            if path:
                watch.append((str(Path(path).expanduser()), 0))
        watch.append((str(trust_cache_dir(environ)), 2))
        work = core.private_work_dir()
        watch += [(str(work / "tasks"), 0), (str(work / "plans"), 0)]
        self._watch_for, self._watch = (core.environ, core.policy), watch
        return watch

    def _watching_current(self) -> bool:
        watched = self._watch_for
        return watched is not None and watched[0] is self.core.environ and watched[1] is self.core.policy

    def fingerprint(self) -> tuple[Any, ...]:
        core = self.core
        stats = tuple(item for path, depth in self._watched() for item in _walk(path, depth))
        return (core.environ, core.policy, stats)  # compared by value: a replaced policy or environment counts

    # -- plain status ------------------------------------------------------------------------------
    def _build(self) -> dict[str, Any]:
        return build_status(self.core, interrupted=self.interrupted).to_json()

    async def status(self) -> dict[str, Any]:
        """The status without network access: the kept document when still current, else one build."""
        if not self._watching_current():
            # The first time for this environment: finding conda may run it, so not on the event loop.
            await asyncio.get_running_loop().run_in_executor(self._builder, self._watched)
        key = self.fingerprint()
        kept = self._kept
        if kept is not None and kept.key == key and time.monotonic() - kept.at < self.max_age:
            return kept.document
        if self._building is None or self._building[0] != key:
            started = time.monotonic()
            future = asyncio.get_running_loop().run_in_executor(self._builder, self._build)
            self._building = (key, future)

            def keep(done: asyncio.Future[dict[str, Any]]) -> None:
                if self._building is not None and self._building[1] is done:
                    self._building = None
                if not done.cancelled() and done.exception() is None:
                    self._kept = _Kept(key, started, done.result())

            future.add_done_callback(keep)
        return await asyncio.shield(self._building[1])

    # -- refresh -----------------------------------------------------------------------------------
    def _refresh(self) -> dict[str, Any]:
        status = build_status(self.core, refresh=True, interrupted=self.interrupted, deadline=self.refresh_timeout)
        return status.to_json()

    async def refresh(self) -> dict[str, Any]:
        """Walk the root chain and fetch key_mgr, within ``refresh_timeout`` seconds (else UpstreamTimeout)."""
        if self._refreshing is None:
            self._refreshing = asyncio.ensure_future(self._run_refresh())
            self._refreshing.add_done_callback(functools.partial(self._refreshed))
        return await asyncio.shield(self._refreshing)

    def _refreshed(self, done: asyncio.Future[dict[str, Any]]) -> None:
        self._refreshing = None
        self._kept = None  # the trust state on disk may have moved on
        _retrieved(done)

    async def _run_refresh(self) -> dict[str, Any]:
        future = asyncio.get_running_loop().run_in_executor(self._refresher, self._refresh)
        future.add_done_callback(_retrieved)  # it may end after the backstop gave up on it
        try:
            # The requests themselves end at the deadline; this is the backstop for anything else that hangs.
            return await asyncio.wait_for(asyncio.shield(future), self.refresh_timeout + 5)
        except asyncio.TimeoutError:
            raise UpstreamTimeout(
                f"the trust metadata could not be refreshed within {self.refresh_timeout:g} s"
            ) from None

    def close(self) -> None:
        self._builder.shutdown(wait=False, cancel_futures=True)
        self._refresher.shutdown(wait=False, cancel_futures=True)


def _retrieved(done: asyncio.Future[Any]) -> None:
    """Mark an outcome seen: a future every caller gave up on must not log "exception never retrieved"."""
    if not done.cancelled():
        done.exception()
