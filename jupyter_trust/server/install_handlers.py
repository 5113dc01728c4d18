"""Signed install plans (POST/GET) and install tasks (POST = apply a plan, GET, DELETE = cancel)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import NotFoundError
from ..plans.decision import check_installable
from ..plans.pool import PlanPool
from ..tasks import Task, valid_task_id
from .base import BadRequest, TrustHandler

if TYPE_CHECKING:
    from ..plans.service import Planner

PLAN_ID = re.compile(r"^[0-9a-f]{64}$")
MAX_SPECS = 100


class PlansHandler(TrustHandler):
    auth_resource = "jupyter_trust:plans"

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body(allowed=("specs", "prefix"))
        specs = self.field(body, "specs", list)
        if not specs or len(specs) > MAX_SPECS or not all(isinstance(s, str) for s in specs):
            raise BadRequest(f"'specs' must be a list of 1 to {MAX_SPECS} package specs (strings)")
        requested = self.field(body, "prefix", str)
        if not requested:
            raise BadRequest("'prefix' (an environment name or prefix path) is required")
        pool: PlanPool = self.settings["jupyter_trust_plans"]
        with self.errors():
            async with pool.slot():  # 503 + Retry-After when the planners and their queue are full
                prefix, planner = await pool.call(self._planner, requested)
                plan = await planner.plan_async(specs, prefix, call=pool.call)
        self.set_header("Location", self.location_url("plans", plan.id))
        self.write_json(plan.to_json(), status=201)

    def _planner(self, requested: str) -> tuple[Path, Planner]:
        """The target and a planner (condarc parsed, trust anchor verified): off the event loop too."""
        config = self.core.config()
        return self.core.target_prefix(requested, config), self.core.planner(config)


class PlanHandler(TrustHandler):
    auth_resource = "jupyter_trust:plans"

    @web.authenticated
    @authorized
    async def get(self, plan_id: str) -> None:
        if not PLAN_ID.match(plan_id):
            raise BadRequest("plan ids are 64 lowercase hex characters")
        with self.errors():
            plan = self.core.planner().load(plan_id)
        self.write_json(plan.to_json())


class TasksHandler(TrustHandler):
    auth_resource = "jupyter_trust:tasks"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json({"tasks": [t.to_json() for t in self.tasks.list(self.username)]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body(allowed=("plan_id", "confirm_unsigned"))
        plan_id = self.field(body, "plan_id", str)
        if not PLAN_ID.match(plan_id):
            raise BadRequest("'plan_id' must be 64 lowercase hex characters")
        confirm = self.field(body, "confirm_unsigned", bool, required=False, default=False)
        with self.errors():
            plan = self.core.planner().load(plan_id)
            check_installable(
                plan, confirm_unsigned=confirm, how_to_confirm='send "confirm_unsigned": true to install them anyway'
            )
            # The target must still be allowed (policy may have changed since planning), and what the plan
            # was verified from must be unchanged (409 now rather than a failed task later).
            self.core.target_prefix(plan.prefix)
            await asyncio.to_thread(self.core.installer().recheck, plan)
            task = self.tasks.start(plan, confirm_unsigned=confirm, owner=self.username)
        self.set_header("Location", self.location_url("tasks", task.id))
        self.write_json(task.to_json(), status=202)


class TaskHandler(TrustHandler):
    auth_resource = "jupyter_trust:tasks"

    def _task(self, task_id: str) -> Task:
        if not valid_task_id(task_id):
            raise BadRequest("task ids are 32 lowercase hex characters")
        with self.errors():
            task = self.tasks.get(task_id)
            if task.owner not in (None, self.username):
                raise NotFoundError(f"no task {task_id}")
        return task

    @web.authenticated
    @authorized
    async def get(self, task_id: str) -> None:
        self.write_json(self._task(task_id).to_json())

    @web.authenticated
    @authorized
    async def delete(self, task_id: str) -> None:
        task = self._task(task_id)
        self.tasks.cancel(task.id)
        self.write_json(task.to_json(), status=202)
