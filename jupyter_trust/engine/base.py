"""What every engine shares: the solve result, the error type, and running a child process (argv, never a shell).

The rattler worker and a conda executable are both run through :func:`run` (plain subprocess: CLI, magic) or
:func:`run_async` (asyncio subprocess: the server), with a bounded timeout, the child killed on timeout or on
cancellation, and an environment the caller built with :func:`~jupyter_trust.childenv.child_environ`.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import Kind, TrustError

if TYPE_CHECKING:
    import asyncio


class EngineError(TrustError, RuntimeError):
    """The solver or installer failed; the message is safe to show (callers redact secrets before raising)."""

    kind = Kind.UNPROCESSABLE


class InvalidSpec(EngineError):
    """The solver could not parse a package spec (a bad request, not an engine failure)."""

    kind = Kind.INVALID_INPUT


@dataclass(frozen=True)
class LocalRepodata:
    channel: str
    subdir: str
    path: str

    def to_json(self) -> dict[str, str]:
        return {"channel": self.channel, "subdir": self.subdir, "path": self.path}


@dataclass(frozen=True)
class SolveResult:
    """The environment after the solve (``records``) and before it (``installed``), as record dicts."""

    records: list[dict[str, Any]]
    installed: list[dict[str, Any]]
    #: normalized package names the specs ask for (an unrequested downgrade blocks a plan)
    requested: list[str]


@dataclass(frozen=True)
class Completed:
    stdout: bytes
    stderr: bytes
    returncode: int


def _kill(proc: subprocess.Popen[bytes] | asyncio.subprocess.Process, group: bool) -> None:
    """Kill the child (and, when it leads its own session, everything it started)."""
    if proc.returncode is not None:
        return
    try:
        if group and os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


class Child:
    """A child process started now; :meth:`result` sends ``input`` and waits at most ``timeout`` seconds.

    ``new_session`` puts the child in its own process group, so a timeout or cancel also ends what it started.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        timeout: float,
        label: str,
        new_session: bool = False,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.label, self.timeout, self.group = label, timeout, new_session
        try:
            self.proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(env),
                start_new_session=new_session,
                pass_fds=tuple(pass_fds),
            )
        except OSError as exc:
            raise EngineError(f"{label} could not be started: {exc.strerror or exc}") from None

    def write(self, data: bytes) -> None:
        """Part of the input (the child reads it while more may follow)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)  # small: never fills the pipe
        self.proc.stdin.flush()

    def send(self, data: bytes) -> Child:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)  # small: never fills the pipe
        self.proc.stdin.close()
        self.proc.stdin = None  # communicate() must not touch the closed pipe
        return self

    def result(self, data: bytes | None = None) -> Completed:
        try:
            stdout, stderr = self.proc.communicate(data, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.cancel()
            raise EngineError(f"{self.label} did not finish within {self.timeout:.0f} s and was stopped") from None
        except BaseException:
            self.cancel()
            raise
        return Completed(stdout, stderr, self.proc.returncode)

    def cancel(self) -> None:
        if self.proc.poll() is None:
            _kill(self.proc, self.group)
            self.proc.wait()


def run(
    argv: Sequence[str],
    *,
    input: bytes | None,
    env: Mapping[str, str],
    timeout: float,
    label: str,
    new_session: bool = False,
    pass_fds: Sequence[int] = (),
) -> Completed:
    """``pass_fds``: descriptors the child keeps (e.g. an environment lock it holds for as long as it lives)."""
    child = Child(argv, env=env, timeout=timeout, label=label, new_session=new_session, pass_fds=pass_fds)
    return child.result(input)


async def run_async(
    argv: Sequence[str],
    *,
    input: bytes | None,
    env: Mapping[str, str],
    timeout: float,
    label: str,
    new_session: bool = False,
    pass_fds: Sequence[int] = (),
) -> Completed:
    import asyncio  # the server's path only: a command line's plan never loads the event loop machinery

    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            start_new_session=new_session,
            pass_fds=tuple(pass_fds),
        )
    except OSError as exc:
        raise EngineError(f"{label} could not be started: {exc.strerror or exc}") from None
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(input), timeout)
    except (asyncio.CancelledError, asyncio.TimeoutError) as exc:
        _kill(proc, new_session)
        await proc.wait()
        if isinstance(exc, asyncio.TimeoutError):
            raise EngineError(f"{label} did not finish within {timeout:.0f} s and was stopped") from None
        raise
    return Completed(stdout, stderr, proc.returncode or 0)
