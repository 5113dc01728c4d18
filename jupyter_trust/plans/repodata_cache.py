"""A long-running server's memory of the repodata it captured, so a warm plan neither downloads nor parses
an unchanged repodata.json again.

Each entry is a capture exactly as a fresh download would make it (file, sha256, lazily read document) plus the
validators the channel sent (``ETag``, ``Last-Modified``). The next capture of the same URL is a conditional
request: only the channel's ``304 Not Modified`` reuses the entry; anything else is a fresh capture. That is
no weaker than downloading again — the channel could serve the old bytes either way, and the plan still pins
the sha256 of what it was verified from. Bounded by the raw bytes it holds (least recently used first out).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..fetch import Fetched

if TYPE_CHECKING:
    from .service import CapturedRepodata

#: on disk and memory-mapped, not in the heap: an entry costs the few records a plan parsed from it, and the
#: mapped pages are the kernel's page cache (shared with the solver, dropped from this process after use)
DEFAULT_MAX_BYTES = 512 << 20


@dataclass(frozen=True)
class CachedCapture:
    captured: CapturedRepodata
    validators: Fetched  # the validators of the response that produced ``captured`` (no body kept twice)


class RepodataCache:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedCapture] = OrderedDict()
        self._absent: set[str] = set()
        self._lock = threading.Lock()

    def known_absent(self, url: str) -> bool:
        """Whether ``url`` (an optional form, e.g. ``repodata.json.zst``) answered 404 before."""
        return url in self._absent

    def mark_absent(self, url: str) -> None:
        with self._lock:
            if len(self._absent) < 4096:  # a bound, not a policy: forgetting only costs one more request
                self._absent.add(url)

    def get(self, url: str) -> CachedCapture | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                self._entries.move_to_end(url)
            return entry

    def put(self, url: str, captured: CapturedRepodata, fetched: Fetched) -> None:
        """Keep ``captured`` when the channel gave validators to ask with next time (and it fits)."""
        with self._lock:
            self._entries.pop(url, None)
            if not (fetched.etag or fetched.last_modified) or captured.size > self.max_bytes:
                return
            self._entries[url] = CachedCapture(captured, Fetched(b"", fetched.etag, fetched.last_modified))
            while sum(e.captured.size for e in self._entries.values()) > self.max_bytes:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
