"""A server's plans: a bounded number at once, in threads of their own, with a bounded queue.

A plan downloads repodata and waits for a solver; against a slow channel it can take its full download deadline.
Run in the event loop's default executor, a burst of such plans would take every thread that status refreshes and
install re-checks need. Here at most ``workers`` plans run, each in this pool's own thread; up to ``queue_limit``
more wait, each at most ``queue_timeout`` seconds; a plan beyond that is refused at once. Both refusals are
:class:`~jupyter_trust.errors.Overloaded` (HTTP 503) with ``retry_after`` seconds, estimated from how long recent
plans took.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from ..errors import Overloaded

T = TypeVar("T")

#: server settings ``plan_workers``, ``plan_queue_limit``, ``plan_queue_timeout_secs``
WORKERS = 2
QUEUE_LIMIT = 8
QUEUE_TIMEOUT = 120.0


class PlanPool:
    def __init__(
        self, workers: int = WORKERS, queue_limit: int = QUEUE_LIMIT, queue_timeout: float = QUEUE_TIMEOUT
    ) -> None:
        if workers < 1 or queue_limit < 0 or not queue_timeout > 0:
            raise ValueError("a plan pool needs at least one worker, a queue limit >= 0 and a queue timeout > 0")
        self.workers = workers
        self.queue_limit = queue_limit
        self.queue_timeout = queue_timeout
        self.running = 0
        self.waiting = 0
        self._free = asyncio.Semaphore(workers)
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="jupyter-trust-plan")
        #: a moving average of how long plans took (seconds): the basis of ``retry_after``
        self._typical = 5.0

    def retry_after(self) -> int:
        """Seconds after which a refused plan probably finds a free place."""
        return max(1, min(600, math.ceil(self._typical * (self.waiting + 1) / self.workers)))

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``workers`` places for a plan; refuse when the queue is full or the wait too long."""
        if self.running >= self.workers and self.waiting >= self.queue_limit:
            raise Overloaded(
                f"too many plans at once ({self.running} running, {self.waiting} waiting): "
                f"retry in {self.retry_after()} s",
                retry_after=self.retry_after(),
            )
        self.waiting += 1
        try:
            await asyncio.wait_for(self._free.acquire(), self.queue_timeout)
        except asyncio.TimeoutError:
            raise Overloaded(
                f"this plan waited {self.queue_timeout:g} s for one of the {self.workers} planners and was cancelled "
                f"before it started: retry in {self.retry_after()} s",
                retry_after=self.retry_after(),
            ) from None
        finally:
            self.waiting -= 1
        self.running += 1
        started = time.monotonic()
        try:
            yield
        finally:
            self.running -= 1
            self._free.release()
            self._typical = 0.7 * self._typical + 0.3 * (time.monotonic() - started)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in one of this pool's threads (the caller holds a :meth:`slot`)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(fn, *args))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
