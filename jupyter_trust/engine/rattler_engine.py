"""Parent side of the rattler boundary: solve over verified repodata files, link verified archives.

Each call runs ``python -m jupyter_trust.engine.worker`` with an argument list (never a shell), the request
on stdin and an environment without Hub, Jupyter or Anaconda secrets.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..childenv import child_environ
from .base import Child, EngineError, InvalidSpec, LocalRepodata, SolveResult, run, run_async

__all__ = ["EngineError", "InvalidSpec", "LinkArtifact", "LocalRepodata", "SolveResult", "Solving", "WorkerPool"]

WORKER = [sys.executable, "-m", "jupyter_trust.engine.worker"]
LABEL = "the rattler worker"


@dataclass(frozen=True)
class LinkArtifact:
    """A verified record and the local archive whose sha256 and size were checked against it."""

    record: Mapping[str, Any]
    path: str
    source: LocalRepodata

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.record["name"],
            "fn": self.record["fn"],
            "path": self.path,
            "source": self.source.to_json(),
        }


def _reply(stdout: bytes, returncode: int, stderr: bytes) -> dict[str, Any]:
    try:
        reply = json.loads(stdout.decode() or "null")
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {returncode}"]
        raise EngineError(f"the rattler worker failed: {tail[0]}")
    if not reply.get("ok"):
        error = InvalidSpec if reply.get("kind") == "spec" else EngineError
        raise error(str(reply.get("error") or "the rattler worker failed"))
    return reply


def _run(request: dict[str, Any], timeout: float, hold: Sequence[int] = ()) -> dict[str, Any]:
    data = json.dumps(request).encode()
    out = run(WORKER, input=data, env=child_environ(), timeout=timeout, label=LABEL, pass_fds=hold)
    return _reply(out.stdout, out.returncode, out.stderr)


async def _run_async(request: dict[str, Any], timeout: float, hold: Sequence[int] = ()) -> dict[str, Any]:
    data = json.dumps(request).encode()
    out = await run_async(WORKER, input=data, env=child_environ(), timeout=timeout, label=LABEL, pass_fds=hold)
    return _reply(out.stdout, out.returncode, out.stderr)


def _solve_request(specs: Sequence[str], repodata: Sequence[LocalRepodata], prefix: str | None, timeout: float) -> dict:
    return {
        "op": "solve",
        "specs": list(specs),
        "repodata": [r.to_json() for r in repodata],
        "prefix": prefix,
        "timeout": timeout,
    }


class Solving:
    """A worker process for one solve. Started early, it imports rattler while the caller still downloads
    and checks repodata; :meth:`send` hands it the request and :meth:`result` waits for the answer."""

    def __init__(self, timeout: float = 150) -> None:
        self.timeout = timeout
        self._child = Child(WORKER, env=child_environ(), timeout=timeout, label=LABEL)

    def send(self, request: dict[str, Any]) -> Solving:
        self._child.send(json.dumps(request).encode())
        return self

    def preload(self, repodata: Sequence[LocalRepodata]) -> None:
        """Have the waiting worker index these files now (a request naming them then starts solving at once)."""
        self._child.write(json.dumps({"op": "preload", "repodata": [r.to_json() for r in repodata]}).encode() + b"\n")

    def result(self) -> SolveResult:
        out = self._child.result()
        reply = _reply(out.stdout, out.returncode, out.stderr)
        return SolveResult(reply["records"], reply["installed"], reply["requested"])

    def alive(self) -> bool:
        """Started, not yet sent a request, and still running (a spare that can be used)."""
        return self._child.proc.poll() is None and self._child.proc.stdin is not None

    def cancel(self) -> None:
        self._child.cancel()


class WorkerPool:
    """One worker process kept started and waiting, for a long-running server: a plan takes it (no
    interpreter start or rattler import on its path) and :meth:`replenish` starts the next one afterwards.
    Each worker still serves exactly one request and ends with ``os._exit``; a spare whose parent dies
    reads end-of-file and exits."""

    def __init__(self) -> None:
        self._spare: Solving | None = None
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def one_started(cls) -> WorkerPool:
        """A pool holding one worker started now, for the next plan only (a command line's or a kernel's: the
        worker's interpreter and rattler load while the planner is still being imported and configured);
        nothing is replenished, and :meth:`close` ends the worker if no plan took it."""
        pool = cls()
        pool._spare = Solving()
        pool._closed = True
        return pool

    def take(self) -> Solving:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None and spare.alive():
            return spare
        return Solving()

    def replenish(self, preload: Sequence[LocalRepodata] = ()) -> None:
        """Start the next spare; with ``preload`` (the last plan's captures) it indexes those files while it
        waits, so a plan over unchanged repodata does not wait for rattler to read a large file again."""
        with self._lock:
            if self._closed or (self._spare is not None and self._spare.alive()):
                return
            self._spare = Solving()
            if preload:
                try:
                    self._spare.preload(preload)
                except OSError:
                    self._spare = None  # it died already; the next plan starts its own

    def close(self) -> None:
        with self._lock:
            self._closed = True
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.cancel()


def solve_request(
    specs: Sequence[str], repodata: Sequence[LocalRepodata], *, prefix: str | None = None, timeout: float = 120
) -> dict[str, Any]:
    return _solve_request(specs, repodata, prefix, timeout)


def solve_begin(
    specs: Sequence[str], repodata: Sequence[LocalRepodata], *, prefix: str | None = None, timeout: float = 120
) -> Solving:
    """Start a solve in the worker and return at once (the caller can do other work meanwhile)."""
    return Solving(timeout + 30).send(_solve_request(specs, repodata, prefix, timeout))


def solve(
    specs: Sequence[str], repodata: Sequence[LocalRepodata], *, prefix: str | None = None, timeout: float = 120
) -> SolveResult:
    return solve_begin(specs, repodata, prefix=prefix, timeout=timeout).result()


def installed_records(prefix: str) -> list[dict[str, Any]]:
    return _run({"op": "installed", "prefix": prefix}, 120)["installed"]


def _link_request(prefix: str, artifacts: Sequence[LinkArtifact], remove: Sequence[str], cache_dir: str) -> dict:
    return {
        "op": "link",
        "prefix": prefix,
        "artifacts": [a.to_json() for a in artifacts],
        "remove": list(remove),
        "cache_dir": cache_dir,
    }


def link(
    prefix: str,
    artifacts: Sequence[LinkArtifact],
    *,
    remove: Sequence[str] = (),
    cache_dir: str,
    timeout: float = 600,
    hold: Sequence[int] = (),
) -> dict[str, Any]:
    """Link in a worker that dies with this process (Linux) and inherits ``hold`` (the environment lock's
    descriptor: the lock stays taken while the worker lives, even if this process is gone)."""
    return _run(_link_request(prefix, artifacts, remove, cache_dir), timeout, hold)


async def link_async(
    prefix: str,
    artifacts: Sequence[LinkArtifact],
    *,
    remove: Sequence[str] = (),
    cache_dir: str,
    timeout: float = 600,
    hold: Sequence[int] = (),
) -> dict[str, Any]:
    return await _run_async(_link_request(prefix, artifacts, remove, cache_dir), timeout, hold)
