"""Parent side of the rattler boundary: solve over verified repodata files, link verified archives.

Each call runs ``python -m jupyter_trust.engine.worker`` with an argument list (never a shell), the request
on stdin and an environment without Hub, Jupyter or Anaconda secrets.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..childenv import child_environ
from .base import Child, EngineError, LocalRepodata, SolveResult, run, run_async

__all__ = ["EngineError", "LinkArtifact", "LocalRepodata", "SolveResult", "Solving"]

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
        raise EngineError(str(reply.get("error") or "the rattler worker failed"))
    return reply


def _run(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    out = run(WORKER, input=json.dumps(request).encode(), env=child_environ(), timeout=timeout, label=LABEL)
    return _reply(out.stdout, out.returncode, out.stderr)


async def _run_async(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    out = await run_async(WORKER, input=json.dumps(request).encode(), env=child_environ(), timeout=timeout, label=LABEL)
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

    def result(self) -> SolveResult:
        out = self._child.result()
        reply = _reply(out.stdout, out.returncode, out.stderr)
        return SolveResult(reply["records"], reply["installed"])

    def cancel(self) -> None:
        self._child.cancel()


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


async def solve_async(
    specs: Sequence[str], repodata: Sequence[LocalRepodata], *, prefix: str | None = None, timeout: float = 120
) -> SolveResult:
    reply = await _run_async(_solve_request(specs, repodata, prefix, timeout), timeout + 30)
    return SolveResult(reply["records"], reply["installed"])


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
