"""Background install tasks: progress, cancel, one install per environment, a journal for crashes.

A task applies a verified plan with :class:`~jupyter_trust.plans.install.Installer`. From the request
until it ends it holds the environment's :class:`~jupyter_trust.plans.claim.InstallClaim` (the lock two
servers sharing a home directory — JupyterHub named servers — and the command line all respect, and the
journal record ``<work_dir>/tasks/<id>.json``); a task found ``running`` in the journal whose process is
gone is reported as ``interrupted``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import journal
from .errors import NotFoundError
from .fsutil import ensure_private_dir
from .plans.claim import InstallCancelled, InstallClaim, PrefixBusy
from .plans.install import Installer, InstallResult, Progress
from .plans.model import Plan
from .redact import Redactor

TaskState = Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
_TASK_ID_LEN = 16


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
    created_at: str = field(default_factory=journal.now)
    updated_at: str = field(default_factory=journal.now)
    pid: int = field(default_factory=os.getpid)
    #: linking started and failed: part of the plan may be linked (journalled, shown until repaired)
    needs_repair: bool = False

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

    # -- journal -------------------------------------------------------------------------------
    def _journal(self, task: Task, claim: InstallClaim) -> None:
        claim.write(**task.to_json(), pid=task.pid, owner=task.owner, needs_repair=task.needs_repair)
        task.updated_at = claim.record["updated_at"]

    def interrupted(self) -> list[dict[str, Any]]:
        """Journalled installs (tasks here, or command-line installs) that may have left an environment half
        changed; one whose plan is found fully applied is marked repaired instead."""
        return journal.interrupted(self._journal_dir, live_ids=self._tasks, plans_dir=self.work_dir / "plans")

    # -- tasks ---------------------------------------------------------------------------------
    def get(self, task_id: str) -> Task:
        if not valid_task_id(task_id) or task_id not in self._tasks:
            raise NotFoundError(f"no task {task_id}" if valid_task_id(task_id) else "no such task")
        return self._tasks[task_id]

    def list(self, owner: str | None = None) -> list[Task]:
        return [t for t in self._tasks.values() if owner is None or t.owner in (None, owner)]

    def start(self, plan: Plan, *, confirm_unsigned: bool, owner: str | None = None) -> Task:
        """Validate synchronously what can be validated, then run the install in the background."""
        for other in self._tasks.values():
            if not other.done and os.path.realpath(other.prefix) == os.path.realpath(plan.prefix):
                raise PrefixBusy(f"an install into {plan.prefix} is already running (task {other.id})")
        task = Task(id=secrets.token_hex(_TASK_ID_LEN), plan_id=plan.id, prefix=plan.prefix, owner=owner)
        claim = InstallClaim(
            self.work_dir,
            {**task.to_json(), "pid": task.pid, "owner": owner},
            redact=self._redact,
            live_ids=lambda: self._tasks,
        ).open()
        self._tasks[task.id] = task
        self._cancel[task.id] = False
        self._running[task.id] = asyncio.ensure_future(self._run(task, plan, confirm_unsigned, claim))
        return task

    async def _run(self, task: Task, plan: Plan, confirm_unsigned: bool, claim: InstallClaim) -> None:
        def progress(p: Progress) -> None:
            task.progress = p
            task.updated_at = journal.now()

        try:
            task.state = "running"
            self._journal(task, claim)
            installer = self._installer_factory()
            task.result = await installer.apply_async(
                plan,
                confirm_unsigned=confirm_unsigned,
                progress=progress,
                cancelled=lambda: self._cancel.get(task.id, False),
                lock=claim.lock,
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
            task.needs_repair = task.progress.phase == "linking"
        finally:
            with claim:
                claim.finish(task.state, task.error, {**task.to_json(), "needs_repair": task.needs_repair})
                task.updated_at = claim.record["updated_at"]
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
