"""Background install tasks: progress, cancel, one install per environment, a journal for crashes.

A task applies a verified plan with :class:`~jupyter_trust.plans.install.Installer`. While it runs it
holds an exclusive lock on ``<work_dir>/locks/<sha256(prefix)>.lock`` (fcntl; released by the OS if the
process dies), so two servers sharing a home directory (JupyterHub named servers) never install into
the same environment at once. Every state change is journalled to ``<work_dir>/tasks/<id>.json``; a
task found ``running`` in the journal whose process is gone is reported as ``interrupted``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import filelock

from .fsutil import atomic_write, ensure_private_dir
from .plans.install import InstallCancelled, Installer, InstallResult, Progress
from .plans.model import Plan
from .redact import Redactor

TaskState = Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
_TASK_ID_LEN = 16


class PrefixBusy(RuntimeError):
    """Another install into the same environment is running (in this or another process)."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def valid_task_id(task_id: str) -> bool:
    return len(task_id) == _TASK_ID_LEN * 2 and all(c in "0123456789abcdef" for c in task_id)


@dataclass
class Task:
    id: str
    plan_id: str
    prefix: str
    owner: str | None = None
    state: TaskState = "queued"
    progress: Progress = field(default_factory=lambda: Progress("checking", 0, 0, 0, 0, "queued"))
    result: InstallResult | None = None
    error: str | None = None
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    pid: int = field(default_factory=os.getpid)

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled", "interrupted")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "plan_id": self.plan_id,
            "prefix": self.prefix,
            "state": self.state,
            "progress": self.progress.to_json(),
            "result": self.result.to_json() if self.result else None,
            "error": self.error,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class TaskManager:
    def __init__(self, work_dir: Path, *, installer_factory: Callable[[], Installer], redactor: Redactor | None = None):
        self.work_dir = Path(work_dir)
        self._installer_factory = installer_factory
        self._redact = redactor or Redactor()
        self._tasks: dict[str, Task] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._cancel: dict[str, bool] = {}
        self._journal_dir = ensure_private_dir(self.work_dir / "tasks")
        self._lock_dir = ensure_private_dir(self.work_dir / "locks")

    # -- journal -------------------------------------------------------------------------------
    def _journal(self, task: Task) -> None:
        task.updated_at = _now()
        record = {**task.to_json(), "pid": task.pid, "owner": task.owner}
        atomic_write(self._journal_dir / f"{task.id}.json", json.dumps(record, indent=1).encode())

    def interrupted(self) -> list[dict[str, Any]]:
        """Journalled tasks that were running in a process that no longer exists."""
        found = []
        for path in sorted(self._journal_dir.glob("*.json")):
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if record.get("state") in ("running", "queued") and record.get("id") not in self._tasks:
                pid = record.get("pid")
                if isinstance(pid, int) and _pid_alive(pid) and pid != os.getpid():
                    continue
                record["state"] = "interrupted"
                record["error"] = (
                    "the install was interrupted (the server stopped while it ran); the environment may need "
                    "repair: re-run the plan, or `conda install --revision` to roll back"
                )
                found.append({k: v for k, v in record.items() if k not in ("pid", "owner")})
        return found

    def acknowledge_interrupted(self, task_id: str) -> None:
        path = self._journal_dir / f"{task_id}.json"
        with contextlib.suppress(OSError, ValueError):
            record = json.loads(path.read_text())
            record["state"] = "interrupted"
            atomic_write(path, json.dumps(record, indent=1).encode())

    # -- tasks ---------------------------------------------------------------------------------
    def get(self, task_id: str) -> Task:
        if not valid_task_id(task_id) or task_id not in self._tasks:
            raise KeyError(task_id)
        return self._tasks[task_id]

    def list(self, owner: str | None = None) -> list[Task]:
        return [t for t in self._tasks.values() if owner is None or t.owner in (None, owner)]

    def _lock_path(self, prefix: str) -> Path:
        return self._lock_dir / (hashlib.sha256(os.path.realpath(prefix).encode()).hexdigest()[:32] + ".lock")

    def start(self, plan: Plan, *, confirm_unsigned: bool, owner: str | None = None) -> Task:
        """Validate synchronously what can be validated, then run the install in the background."""
        for other in self._tasks.values():
            if not other.done and os.path.realpath(other.prefix) == os.path.realpath(plan.prefix):
                raise PrefixBusy(f"an install into {plan.prefix} is already running (task {other.id})")
        lock = filelock.FileLock(str(self._lock_path(plan.prefix)), timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout as exc:
            raise PrefixBusy(f"an install into {plan.prefix} is already running in another process") from exc
        task = Task(id=secrets.token_hex(_TASK_ID_LEN), plan_id=plan.id, prefix=plan.prefix, owner=owner)
        self._tasks[task.id] = task
        self._cancel[task.id] = False
        self._journal(task)
        self._running[task.id] = asyncio.ensure_future(self._run(task, plan, confirm_unsigned, lock))
        return task

    async def _run(self, task: Task, plan: Plan, confirm_unsigned: bool, lock: filelock.BaseFileLock) -> None:
        def progress(p: Progress) -> None:
            task.progress = p
            task.updated_at = _now()

        try:
            task.state = "running"
            self._journal(task)
            installer = self._installer_factory()
            task.result = await installer.apply_async(
                plan,
                confirm_unsigned=confirm_unsigned,
                progress=progress,
                cancelled=lambda: self._cancel.get(task.id, False),
            )
            task.state = "succeeded" if task.result.installed else "failed"
            if not task.result.installed:
                task.error = task.result.message
        except (InstallCancelled, asyncio.CancelledError):
            task.state = "cancelled"
            task.error = "cancelled before anything was linked" if task.progress.phase != "linking" else "cancelled"
        except Exception as exc:
            task.state = "failed"
            task.error = self._redact(str(exc)) or type(exc).__name__
        finally:
            lock.release()
            self._journal(task)
            self._running.pop(task.id, None)

    def cancel(self, task_id: str) -> Task:
        task = self.get(task_id)
        if not task.done:
            self._cancel[task_id] = True
            running = self._running.get(task_id)
            # Before linking, cancel at once; during linking let the engine finish or roll back.
            if running is not None and task.progress.phase not in ("linking",):
                running.cancel()
        return task

    async def wait(self, task_id: str) -> Task:
        running = self._running.get(task_id)
        if running is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await running
        return self.get(task_id)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
