"""``%conda_trust``: the IPython magic over the same core as the server, panel and command line.

    %load_ext jupyter_trust
    %conda_trust status [--refresh]
    %conda_trust token set [--no-validate] [--no-verification] [--user|--env|--system|--file PATH]
                           [--from-env VAR | --from-file PATH]
    %conda_trust token remove [--user|--env|--system|--file PATH]
    %conda_trust verification on|off [--user|--env|--system|--file PATH]
    %conda_trust plan SPEC... [--prefix P]
    %conda_trust install SPEC... [--prefix P] [--confirm-unsigned]
    %conda_trust audit [--prefix P]

The token is never an argument (it would be saved in the notebook): it is read with a hidden prompt,
or from an environment variable or file the user names. Installs go into the kernel's environment
by default, like IPython's ``%conda``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import sys
from pathlib import Path
from typing import Any, NoReturn

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.display import display

from .commands import steps
from .commands.report import describe, redactor_for
from .core import Core
from .errors import InvalidInput, TrustError
from .render import plan_html, plan_text, settings_text


class MagicUsageError(InvalidInput):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            # Never echo stray arguments into the notebook: one may be a token typed where none belongs.
            message = "unrecognized arguments (a token is never an argument: `token set` prompts for it)"
        raise MagicUsageError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise MagicUsageError(message or self.format_usage())


def _parser() -> _Parser:
    parser = _Parser(prog="%conda_trust", add_help=False)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("status", add_help=False)
    p.add_argument("--refresh", action="store_true")
    token = sub.add_parser("token", add_help=False).add_subparsers(dest="action", required=True, parser_class=_Parser)
    p = token.add_parser("set", add_help=False)
    p.add_argument("--no-validate", action="store_true")
    p.add_argument("--no-verification", action="store_true", help="do not enable signature verification")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--from-env", metavar="VAR")
    src.add_argument("--from-file", metavar="PATH")
    steps.location_flags(p)
    p = token.add_parser("remove", add_help=False)
    steps.location_flags(p)
    steps.verification_arguments(sub.add_parser("verification", add_help=False))
    steps.plan_arguments(sub.add_parser("plan", add_help=False), install=False)
    steps.plan_arguments(sub.add_parser("install", add_help=False), install=True)
    p = sub.add_parser("audit", add_help=False)
    p.add_argument("--prefix", "-p")
    return parser


def _show(text: str, html: str | None = None) -> None:
    bundle = {"text/plain": text}
    if html:
        bundle["text/html"] = html
    display(bundle, raw=True)


@magics_class
class CondaTrustMagics(Magics):
    def _core(self) -> Core:
        return steps.make_core(kernel_prefix=Path(sys.prefix))

    @line_magic
    def conda_trust(self, line: str) -> None:
        """Trust status, token and verification settings, signed install plans. See ``%conda_trust?``."""
        core: Core | None = None
        try:
            args = _parser().parse_args(shlex.split(line))
            core = self._core()
            getattr(self, f"_do_{args.command}")(core, args)
        except Exception as exc:
            # The same table as the CLI and REST decide what the error is; the message is redacted.
            problem = describe(exc, redactor_for(core))
            usage = f"\n{__doc__.split(chr(10) + chr(10))[1]}" if isinstance(exc, MagicUsageError) else ""
            print(f"%conda_trust: {problem.message.strip()}{usage}", file=sys.stderr)

    # -- commands ------------------------------------------------------------------------------
    def _do_status(self, core: Core, args: argparse.Namespace) -> None:
        status = steps.status(core, refresh=args.refresh)
        _show(status.to_text(), status.to_html())

    def _settings(self, result: Any) -> None:
        _show(settings_text(result.to_json()))

    def _do_token(self, core: Core, args: argparse.Namespace) -> None:
        location = steps.condarc_location(core, args)
        if args.action == "remove":
            self._settings(core.settings().remove_token(location=location))
            return
        if args.from_env:
            token = os.environ.get(args.from_env, "")
        elif args.from_file:
            try:
                token = Path(args.from_file).expanduser().read_text().strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise MagicUsageError(f"--from-file {args.from_file} cannot be read: {type(exc).__name__}") from None
        else:
            token = getpass.getpass("Anaconda token (input hidden): ")
        if not token.strip():
            raise MagicUsageError("no token given")
        result = core.settings().set_token(
            token.strip(),
            location=location,
            validate=not args.no_validate,
            enable_signature_verification=not args.no_verification,
        )
        self._settings(result)

    def _do_verification(self, core: Core, args: argparse.Namespace) -> None:
        self._settings(steps.set_verification(core, args))

    def _plan(self, core: Core, args: argparse.Namespace) -> Any:
        plan = steps.plan(core, args, default_prefix=sys.prefix)
        data = plan.to_json()
        _show(plan_text(data), plan_html(data))
        return plan

    def _do_plan(self, core: Core, args: argparse.Namespace) -> None:
        self._plan(core, args)

    def _do_audit(self, core: Core, args: argparse.Namespace) -> None:
        from .audit import audit
        from .render import audit_text

        report = audit(core.plan_context(), core.target_prefix(args.prefix or sys.prefix)).to_json()
        _show(audit_text(report))

    def _do_install(self, core: Core, args: argparse.Namespace) -> None:
        plan = self._plan(core, args)

        def progress(p: Any) -> None:
            print(f"[{p.phase}] {p.packages_done}/{p.packages_total} packages {p.message}")

        try:
            result = steps.install(
                core,
                plan,
                confirm_unsigned=args.confirm_unsigned,
                how_to_confirm="re-run with --confirm-unsigned to accept them",
                progress=progress,
            )
        except TrustError as exc:
            raise TrustError(f"Not installed: {exc}", kind=exc.kind, **exc.details) from None
        print(result.message)
        if result.installed:
            print("Note: you may need to restart the kernel to use updated packages.")


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(CondaTrustMagics)
