"""Parent side of the rattler boundary: solve over verified repodata files, link verified archives.

Each call runs ``python -m jupyter_trust.engine.worker`` with an argument list (never a shell), the request
on stdin and an environment without Hub, Jupyter or Anaconda secrets.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..childenv import child_environ

WORKER = [sys.executable, "-m", "jupyter_trust.engine.worker"]


class EngineError(RuntimeError):
    """The solver or installer failed; the message is safe to show (the worker never sees a token)."""


class InvalidSpec(EngineError):
    """The solver could not parse a package spec (a bad request, not an engine failure)."""


@dataclass(frozen=True)
class LocalRepodata:
    channel: str
    subdir: str
    path: str

    def to_json(self) -> dict[str, str]:
        return {"channel": self.channel, "subdir": self.subdir, "path": self.path}


@dataclass(frozen=True)
class SolveResult:
    records: list[dict[str, Any]]
    installed: list[dict[str, Any]]
    #: normalized package names the specs ask for
    requested: list[str]


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


def _run(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    try:
        out = subprocess.run(
            WORKER, input=json.dumps(request).encode(), capture_output=True, env=child_environ(), timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise EngineError(f"the rattler worker did not finish within {timeout:.0f} s") from None
    return _reply(out.stdout, out.returncode, out.stderr)


async def _run_async(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        *WORKER,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_environ(),
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(json.dumps(request).encode()), timeout)
    except (asyncio.CancelledError, asyncio.TimeoutError) as exc:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
        if isinstance(exc, asyncio.TimeoutError):
            raise EngineError(f"the rattler worker did not finish within {timeout:.0f} s") from None
        raise
    return _reply(stdout, proc.returncode or 0, stderr)


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
        self._proc = subprocess.Popen(
            WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_environ()
        )

    def send(self, request: dict[str, Any]) -> Solving:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(request).encode())  # small: never fills the pipe
        self._proc.stdin.close()
        self._proc.stdin = None  # communicate() must not touch the closed pipe
        return self

    def result(self) -> SolveResult:
        try:
            stdout, stderr = self._proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.cancel()
            raise EngineError(f"the rattler worker did not finish within {self.timeout:.0f} s") from None
        reply = _reply(stdout, self._proc.returncode, stderr)
        return SolveResult(reply["records"], reply["installed"], reply["requested"])

    def alive(self) -> bool:
        return self._proc.poll() is None and self._proc.stdin is not None

    def cancel(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


class WorkerPool:
    """One worker process kept started and waiting, for a long-running server: a plan takes it (no
    interpreter start or rattler import on its path) and :meth:`replenish` starts the next one afterwards.
    Each worker still serves exactly one request and ends with ``os._exit``; a spare whose parent dies
    reads end-of-file and exits."""

    def __init__(self) -> None:
        self._spare: Solving | None = None
        self._lock = threading.Lock()
        self._closed = False

    def take(self) -> Solving:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None and spare.alive():
            return spare
        return Solving()

    def replenish(self) -> None:
        with self._lock:
            if self._closed or (self._spare is not None and self._spare.alive()):
                return
            self._spare = Solving()

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
    prefix: str, artifacts: Sequence[LinkArtifact], *, remove: Sequence[str] = (), cache_dir: str, timeout: float = 600
) -> dict[str, Any]:
    return _run(_link_request(prefix, artifacts, remove, cache_dir), timeout)


async def link_async(
    prefix: str, artifacts: Sequence[LinkArtifact], *, remove: Sequence[str] = (), cache_dir: str, timeout: float = 600
) -> dict[str, Any]:
    return await _run_async(_link_request(prefix, artifacts, remove, cache_dir), timeout)
