"""Argument shapes and steps the command line and the magic have in common, so the two cannot drift apart."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..conda.condarc import CondarcLocation
    from ..core import Core
    from ..engine.rattler_engine import WorkerPool
    from ..plans.install import InstallResult, Progress
    from ..plans.model import Plan
    from ..policy import Policy
    from ..status import Status


def location_flags(p: argparse.ArgumentParser) -> None:
    """Which condarc a settings change writes: ``--user`` (default), ``--env``, ``--system`` or ``--file PATH``."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--user", action="store_true", help="~/.condarc (default)")
    group.add_argument("--env", action="store_true", help="the active environment's .condarc")
    group.add_argument("--system", action="store_true", help="the conda installation's .condarc")
    group.add_argument("--file", metavar="PATH", help="an explicit condarc file")


def plan_arguments(p: argparse.ArgumentParser, *, install: bool) -> None:
    p.add_argument("specs", nargs="+", metavar="SPEC")
    p.add_argument("--prefix", "-p", help="target environment (name or prefix; default: the active one)")
    if install:
        p.add_argument("--confirm-unsigned", action="store_true", help="accept unsigned packages (policy 'warn')")


def verification_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("state", choices=["on", "off"])
    p.add_argument("--metadata-url", help="signing_metadata_url_base (default: the token repository's)")
    location_flags(p)


def make_core(*, kernel_prefix: Path | None = None, policy: Policy | None = None) -> Core:
    """The core with the policy the server would have (Jupyter config files, the admin policy file)."""
    from ..core import Core

    return Core(policy=policy if policy is not None else load_policy(), kernel_prefix=kernel_prefix)


def load_policy() -> Policy:
    from .config import load_policy

    return load_policy()


def condarc_location(core: Core, args: argparse.Namespace) -> CondarcLocation:
    from ..conda.condarc import CondarcLocation

    scope = "file" if args.file else ("system" if args.system else ("env" if args.env else "user"))
    return CondarcLocation.resolve(
        scope, args.file, environ=core.environ, sys_prefix=core.conda.root_prefix, active_prefix=core.active_prefix
    )


def status(core: Core, *, refresh: bool) -> Status:
    from ..status import build_status
    from ..tasks import TaskManager

    tasks = TaskManager(core.private_work_dir(), installer_factory=core.installer)
    return build_status(core, refresh=refresh, interrupted=tasks.interrupted)


def set_verification(core: Core, args: argparse.Namespace) -> Any:
    return core.settings().set_verification(
        args.state == "on", location=condarc_location(core, args), metadata_url=args.metadata_url
    )


@contextlib.contextmanager
def solver_started(policy: Policy) -> Iterator[WorkerPool | None]:
    """A rattler solver process started now for the plan to come (its interpreter and rattler load while the
    planner is still imported and configured), ended afterwards unless a plan took it; None with the conda
    engine. The admin's token variable is declared secret before the child starts: it never inherits it."""
    if policy.engine == "conda":
        yield None
        return
    from ..childenv import declare_secret_variable
    from ..engine.rattler_engine import WorkerPool

    declare_secret_variable(policy.token_env_var)
    workers = WorkerPool.one_started()
    try:
        yield workers
    finally:
        workers.close()


def plan(core: Core, args: argparse.Namespace, *, default_prefix: str, workers: WorkerPool | None = None) -> Plan:
    """``workers``: a solver the caller started (:func:`solver_started`); else one starts here."""
    if workers is None and core.serving_cache_bytes <= 0:
        with solver_started(core.policy) as started:
            return _plan(core, args, default_prefix, started)
    return _plan(core, args, default_prefix, workers)


def _plan(core: Core, args: argparse.Namespace, default_prefix: str, workers: WorkerPool | None) -> Plan:
    config = core.config()  # read once: the target's allowed roots and the plan's channels agree
    prefix = core.target_prefix(args.prefix or default_prefix, config)
    return core.planner(config, workers=workers).plan(args.specs, prefix)


def install(
    core: Core, plan: Plan, *, confirm_unsigned: bool, how_to_confirm: str, progress: Callable[[Progress], None]
) -> InstallResult:
    """Install a plan the one decision allows (:func:`~jupyter_trust.plans.decision.check_installable`)."""
    from ..plans.decision import check_installable

    check_installable(plan, confirm_unsigned=confirm_unsigned, how_to_confirm=how_to_confirm)
    return core.installer().apply(plan, confirm_unsigned=confirm_unsigned, progress=progress)


def default_prefix() -> str:
    """The command line's default target: the active conda environment, else this Python's."""
    return os.environ.get("CONDA_PREFIX") or sys.prefix
