"""The route table: every path under ``<base_url>jupyter-trust/``."""

from __future__ import annotations

from .install_handlers import PlanHandler, PlansHandler, TaskHandler, TasksHandler
from .settings_handlers import TokenHandler, VerificationHandler
from .status_handlers import AuditHandler, EnvironmentsHandler, StatusHandler

NAMESPACE = "/jupyter-trust"

ROUTES = [
    (rf"{NAMESPACE}/status", StatusHandler),
    (rf"{NAMESPACE}/token", TokenHandler),
    (rf"{NAMESPACE}/verification", VerificationHandler),
    (rf"{NAMESPACE}/environments", EnvironmentsHandler),
    (rf"{NAMESPACE}/environments/audit", AuditHandler),
    (rf"{NAMESPACE}/plans", PlansHandler),
    (rf"{NAMESPACE}/plans/([^/]+)", PlanHandler),
    (rf"{NAMESPACE}/tasks", TasksHandler),
    (rf"{NAMESPACE}/tasks/([^/]+)", TaskHandler),
]
