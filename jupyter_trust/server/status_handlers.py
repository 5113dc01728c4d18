"""GET status and environments."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..status import build_status
from .base import BadRequest, TrustHandler


class StatusHandler(TrustHandler):
    auth_resource = "jupyter_trust:status"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        refresh = self.bool_query("refresh")
        with self.errors():
            if refresh:
                status = await asyncio.to_thread(
                    build_status, self.core, refresh=True, interrupted=self.tasks.interrupted
                )
            else:
                status = build_status(self.core, interrupted=self.tasks.interrupted)
        self.write_json(status.to_json())


class EnvironmentsHandler(TrustHandler):
    auth_resource = "jupyter_trust:environments"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        with self.errors():
            envs = self.core.environments()
        default = next((e for e in envs if e.kind == "kernel"), None) or next(
            (e for e in envs if not e.is_server_prefix or self.core.policy.allow_server_prefix), None
        )
        self.write_json(
            {
                "environments": [
                    {"name": e.name, "prefix": str(e.prefix), "kind": e.kind, "is_server_prefix": e.is_server_prefix}
                    for e in envs
                ],
                "default": str(default.prefix) if default else None,
            }
        )


class AuditHandler(TrustHandler):
    """Both verdicts for every package installed in an environment (``?prefix=`` name or path)."""

    auth_resource = "jupyter_trust:environments"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        from ..audit import audit

        requested = self.get_query_argument("prefix", "")
        if not requested:
            raise BadRequest("'prefix' (an environment name or prefix path) is required")
        with self.errors():
            prefix = self.core.target_prefix(requested)
            report = await asyncio.to_thread(audit, self.core.plan_context(), prefix)
        self.write_json(report.to_json())
