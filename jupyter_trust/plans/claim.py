"""The environment lock and the install journal, held together: one claim per install, whoever installs.

Server tasks (:mod:`jupyter_trust.tasks`) and in-process installs (command line, magic) both take an
:class:`InstallClaim`: it holds ``<work_dir>/locks/<sha256(prefix)>.lock`` (fcntl: shared by every process of
this user, freed by the OS if the process dies) and keeps ``<work_dir>/tasks/<id>.json`` up to date, so a
second writer is refused (:class:`PrefixBusy`) and a crash while linking is visible afterwards as an
*interrupted* install. Leaving the claim always releases the lock; leaving it by an exception journals the
install as ``failed`` (or ``cancelled``) with a redacted error, and as needing repair when linking had started;
a success marks earlier interrupted installs into the same environment as repaired.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Container, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import filelock

from .. import journal
from ..errors import Kind, TrustError
from ..fsutil import ensure_private_dir

_OPEN_STATES = ("queued", "running")


class PrefixBusy(TrustError, RuntimeError):
    """Another install into the same environment is running (in this or another process)."""

    kind = Kind.BUSY


class InstallCancelled(TrustError):
    """Cancelled before anything was linked."""

    kind = Kind.CANCELLED


def prefix_lock(work_dir: Path, prefix: str) -> filelock.BaseFileLock:
    """The environment's install lock (fcntl: shared by every process of this user, freed if one dies)."""
    locks = ensure_private_dir(Path(work_dir) / "locks")
    name = hashlib.sha256(os.path.realpath(prefix).encode()).hexdigest()[:32] + ".lock"
    return filelock.FileLock(str(locks / name), timeout=0)


def held_descriptors(lock: filelock.BaseFileLock | None) -> tuple[int, ...]:
    """The descriptor of a held environment lock, for the linker to inherit: an fcntl lock belongs to the open
    file, so it stays taken while the linker lives even if the process that took it was killed."""
    fd = getattr(getattr(lock, "_context", None), "lock_file_fd", None)
    return (fd,) if isinstance(fd, int) and lock is not None and lock.is_locked else ()


def acquire(lock: filelock.BaseFileLock, prefix: str) -> None:
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise PrefixBusy(f"an install into {prefix} is already running") from exc


class InstallClaim:
    """``with InstallClaim(...) as claim:`` — the lock is held and the journal record written for the block.

    :meth:`open` takes the lock early (a server task refuses a busy environment when it is requested, then
    installs in the background); entering an opened claim keeps it.
    """

    def __init__(
        self,
        work_dir: Path,
        record: Mapping[str, Any],
        *,
        redact: Callable[[str], str],
        live_ids: Callable[[], Container[str]] = lambda: (),
    ) -> None:
        self.work_dir = Path(work_dir)
        self.record: dict[str, Any] = {"pid": os.getpid(), "result": None, "error": None, **record}
        self.prefix = str(self.record["prefix"])
        self.path = ensure_private_dir(self.work_dir / "tasks") / f"{self.record['id']}.json"
        self._redact = redact
        self._live_ids = live_ids
        self._lock = prefix_lock(self.work_dir, self.prefix)
        self._held = False
        self._linking = False

    @property
    def lock(self) -> filelock.BaseFileLock:
        """The environment lock (a linker inherits it: :func:`held_descriptors`)."""
        return self._lock

    def open(self) -> InstallClaim:
        if not self._held:
            acquire(self._lock, self.prefix)
            self._held = True
            try:
                self.write()
            except BaseException:
                self.release()
                raise
        return self

    def write(self, **fields: Any) -> None:
        """Journal the record, updated with ``fields`` (``created_at`` kept, ``updated_at`` now)."""
        now = journal.now()
        self.record.setdefault("created_at", now)
        self.record.update(fields, updated_at=now)
        journal.write(self.path, self.record)

    def start_linking(self, **fields: Any) -> None:
        """From here on a failure may leave part of the plan linked: it is journalled as needing repair."""
        self._linking = True
        self.write(**fields)

    def finish(self, state: str, error: str | None = None, fields: Mapping[str, Any] | None = None) -> None:
        """Journal the final ``state`` (``error`` redacted); a success repairs earlier interrupted installs."""
        self.write(**{**(fields or {}), "state": state, "error": self._redact(error) if error else None})
        if state == "succeeded":
            journal.resolve(self.path.parent, self.prefix, live_ids=self._live_ids())

    def release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()

    def __enter__(self) -> InstallClaim:
        return self.open()

    def __exit__(self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self.record.get("state") in _OPEN_STATES:
                if exc is None:
                    self.finish("failed", "the install ended without a result")
                elif isinstance(exc, InstallCancelled | asyncio.CancelledError):
                    self.finish("cancelled", str(exc) or "cancelled")
                else:
                    self.finish("failed", str(exc) or type(exc).__name__, {"needs_repair": self._linking})
        finally:
            self.release()
