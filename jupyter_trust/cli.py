"""``jupyter conda-trust``: the command line over the same core as the server, panel and magic.

Exit codes: 0 ok, 1 verification failed / plan blocked, 2 usage or input error (one line on stderr).
Every command takes ``--json``. Tokens are read from standard input or a hidden prompt, never argv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from .conda.condarc import CondarcLocation
    from .core import Core
    from .plans.model import Plan

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or input: exit 2 with one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            # Never echo stray arguments: a user may have typed a token where none belongs.
            message = "unrecognized arguments (tokens are read from standard input or a hidden prompt)"
        raise UsageError(message)


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(text)


def _core(args: argparse.Namespace) -> Core:
    from .core import Core
    from .server.config import load_policy

    return Core(policy=load_policy())


# -- status ----------------------------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    from .status import build_status
    from .tasks import TaskManager

    core = _core(args)
    tasks = TaskManager(core.private_work_dir(), installer_factory=core.installer)
    status = build_status(core, refresh=args.refresh, interrupted=tasks.interrupted)
    _emit(args, status.to_json(), status.to_text())
    return EXIT_OK


# -- verify ----------------------------------------------------------------------------------------
def cmd_verify(args: argparse.Namespace) -> int:
    from .errors import OUTCOMES
    from .render import verify_text
    from .verify_report import verify_files

    if args.repodata and not args.key_mgr:
        raise UsageError("--repodata needs --key-mgr (records are verified against key_mgr's pkg_mgr delegation)")
    roots = [Path(p) for p in args.root]
    if not roots:
        roots = [_core(args).anchor().path]
    now = _parse_time(args.at) if args.at else None
    report = verify_files(
        roots,
        key_mgr=Path(args.key_mgr) if args.key_mgr else None,
        repodata=Path(args.repodata) if args.repodata else None,
        now=now,
    )
    _emit(args, report.to_json(), verify_text(report.to_json()))
    if report.error is not None:
        print(f"jupyter conda-trust: {report.error['message']}", file=sys.stderr)
    kind = report.kind
    return EXIT_OK if kind is None else OUTCOMES[kind].exit_code


def _parse_time(value: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError as exc:
        raise UsageError(f"--at must look like 2024-01-31T12:00:00Z, not {value!r}") from exc


# -- signing tools ---------------------------------------------------------------------------------
def _pubkeys(values: Sequence[str]) -> list[str]:
    """Each value is a 64-hex ed25519 public key or a ``.pub`` file holding one."""
    keys = []
    for value in values:
        text = value if len(value) == 64 and not os.path.exists(value) else Path(value).read_text().strip()
        if len(text) != 64 or any(c not in "0123456789abcdef" for c in text.lower()):
            raise UsageError(f"{value!r} is not a 64-hex public key or a file holding one")
        keys.append(text.lower())
    return keys


def _expiration(days: int | None) -> dt.datetime | None:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=days) if days else None


def _write_doc(path: str, doc: Any) -> None:
    from .cct.canonical import canonical
    from .fsutil import atomic_write

    atomic_write(Path(path), canonical(doc), mode=0o644)


def _read_doc(path: str) -> Any:
    from .cct.jsonload import loads_strict

    return loads_strict(Path(path).read_bytes(), max_bytes=512 << 20)


def cmd_keygen(args: argparse.Namespace) -> int:
    from .cct.signing import generate_keypair, write_keypair

    pair = generate_keypair()
    private, public = write_keypair(Path(args.dir), args.name, pair)
    _emit(
        args,
        {"public_key": pair.public_hex, "private_key_file": str(private), "public_key_file": str(public)},
        f"public key {pair.public_hex}\nprivate key written to {private} (mode 0600)",
    )
    return EXIT_OK


def cmd_root_create(args: argparse.Namespace) -> int:
    from .cct.signing import build_root

    doc = build_root(
        _pubkeys(args.root_key),
        args.root_threshold,
        _pubkeys(args.key_mgr_key),
        args.key_mgr_threshold,
        version=args.version,
        expiration=_expiration(args.expires_days),
    )
    _write_doc(args.output, doc)
    _emit(
        args, {"output": args.output, "version": args.version}, f"wrote unsigned root v{args.version} to {args.output}"
    )
    return EXIT_OK


def cmd_root_rotate(args: argparse.Namespace) -> int:
    from .cct.signing import rotate_root

    previous = _read_doc(args.previous)
    doc = rotate_root(
        previous,
        root_pubkeys=_pubkeys(args.root_key) if args.root_key else None,
        root_threshold=args.root_threshold,
        key_mgr_pubkeys=_pubkeys(args.key_mgr_key) if args.key_mgr_key else None,
        key_mgr_threshold=args.key_mgr_threshold,
        expiration=_expiration(args.expires_days),
    )
    _write_doc(args.output, doc)
    version = doc["signed"]["version"]
    _emit(args, {"output": args.output, "version": version}, f"wrote unsigned root v{version} to {args.output}")
    return EXIT_OK


def _sign(args: argparse.Namespace, signer: Callable[[dict, Any], dict]) -> int:
    from .cct.signing import read_private_key

    doc = _read_doc(args.file)
    for key in args.key:
        doc = signer(doc, read_private_key(Path(key)))
    _write_doc(args.file, doc)
    _emit(args, {"file": args.file, "signatures": len(doc.get("signatures", {}))}, f"signed {args.file}")
    return EXIT_OK


def cmd_root_sign(args: argparse.Namespace) -> int:
    from .cct.signing import sign_openpgp

    return _sign(args, sign_openpgp)


def cmd_key_mgr_create(args: argparse.Namespace) -> int:
    from .cct.signing import build_key_mgr

    doc = build_key_mgr(
        _pubkeys(args.pkg_mgr_key), args.threshold, version=args.version, expiration=_expiration(args.expires_days)
    )
    _write_doc(args.output, doc)
    _emit(args, {"output": args.output, "version": args.version}, f"wrote unsigned key_mgr to {args.output}")
    return EXIT_OK


def cmd_key_mgr_sign(args: argparse.Namespace) -> int:
    from .cct.signing import sign_raw

    return _sign(args, sign_raw)


def cmd_sign_repodata(args: argparse.Namespace) -> int:
    from .cct.signing import read_private_key, sign_repodata

    doc = _read_doc(args.repodata)
    doc = sign_repodata(doc, read_private_key(Path(args.key)))
    _write_doc(args.repodata, doc)
    count = len(doc.get("signatures", {}))
    _emit(args, {"file": args.repodata, "signed": count}, f"signed {count} records in {args.repodata}")
    return EXIT_OK


# -- token and verification settings --------------------------------------------------------------
def _location(args: argparse.Namespace, core: Core) -> CondarcLocation:
    from .conda.condarc import CondarcLocation

    scope = "file" if args.file else ("system" if args.system else ("env" if args.env else "user"))
    return CondarcLocation.resolve(
        scope, args.file, environ=core.environ, sys_prefix=core.conda.root_prefix, active_prefix=core.active_prefix
    )


def _read_token(args: argparse.Namespace) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        token = getpass.getpass("Anaconda token (input hidden): ")
    else:
        token = (sys.stdin.readline() if sys.stdin else "").strip()
    if not token:
        raise UsageError("no token given: type it at the prompt or pipe it on standard input (never as an argument)")
    return token


def _settings_result(args: argparse.Namespace, result: Any) -> int:
    data = result.to_json()
    token = data["token"]
    text = [*data.get("messages", [])]
    text.append(f"token: {token['masked']} ({token['location']})" if token.get("present") else "token: not set")
    ver = data["verification"]
    text.append(f"signature verification: {'ON' if ver.get('enabled') else 'OFF'} (in {data.get('condarc')})")
    _emit(args, data, "\n".join(text))
    return EXIT_OK


def cmd_token_set(args: argparse.Namespace) -> int:
    core = _core(args)
    token = _read_token(args)
    result = core.settings().set_token(
        token,
        location=_location(args, core),
        validate=not args.no_validate,
        enable_signature_verification=args.enable_signature_verification,
    )
    return _settings_result(args, result)


def cmd_token_remove(args: argparse.Namespace) -> int:
    core = _core(args)
    return _settings_result(args, core.settings().remove_token(location=_location(args, core)))


def cmd_verification(args: argparse.Namespace) -> int:
    core = _core(args)
    result = core.settings().set_verification(
        args.state == "on", location=_location(args, core), metadata_url=args.metadata_url
    )
    return _settings_result(args, result)


# -- plans and installs ----------------------------------------------------------------------------
def _plan(args: argparse.Namespace) -> tuple[Core, Plan]:
    core = _core(args)
    prefix = core.target_prefix(args.prefix or os.environ.get("CONDA_PREFIX") or sys.prefix)
    return core, core.planner().plan(args.specs, prefix)


def cmd_plan(args: argparse.Namespace) -> int:
    from .render import plan_text

    _, plan = _plan(args)
    data = plan.to_json()
    _emit(args, data, plan_text(data))
    return EXIT_FAILED if plan.blocked else EXIT_OK


def cmd_install(args: argparse.Namespace) -> int:
    from .render import plan_text

    core, plan = _plan(args)
    data = plan.to_json()
    if plan.blocked:
        _emit(args, {**data, "installed": False}, plan_text(data) + "\nNothing was installed.")
        return EXIT_FAILED
    confirm_unsigned = args.confirm_unsigned
    if not args.yes:
        if not (sys.stdin and sys.stdin.isatty()):
            raise UsageError("refusing to install without confirmation: pass --yes (and --confirm-unsigned if needed)")
        print(plan_text(data), file=sys.stderr)
        if input("Install this plan? [y/N] ").strip().lower() not in ("y", "yes"):
            _emit(args, {**data, "installed": False}, "Nothing was installed.")
            return EXIT_FAILED
        if plan.needs_confirmation and not confirm_unsigned:
            confirm_unsigned = input("It links UNSIGNED packages. Install them anyway? [y/N] ").strip().lower() in (
                "y",
                "yes",
            )
    if plan.needs_confirmation and not confirm_unsigned:
        _emit(
            args,
            {**data, "installed": False},
            plan_text(data) + "\nNot installed: the plan links unsigned packages (pass --confirm-unsigned).",
        )
        return EXIT_FAILED

    def progress(p: Any) -> None:
        if not args.json:
            print(f"[{p.phase}] {p.packages_done}/{p.packages_total} packages {p.message}", file=sys.stderr)

    result = core.installer().apply(plan, confirm_unsigned=confirm_unsigned, progress=progress)
    out = {**data, "installed": result.installed, "result": result.to_json()}
    _emit(args, out, plan_text(data) + "\n" + result.message)
    return EXIT_OK if result.installed else EXIT_FAILED


def cmd_audit(args: argparse.Namespace) -> int:
    from .audit import audit
    from .render import audit_text

    core = _core(args)
    prefix = core.target_prefix(args.prefix or os.environ.get("CONDA_PREFIX") or sys.prefix)
    report = audit(core.plan_context(), prefix)
    _emit(args, report.to_json(), audit_text(report.to_json()))
    return EXIT_FAILED if report.failed else EXIT_OK


# -- parser ----------------------------------------------------------------------------------------
def _location_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--user", action="store_true", help="~/.condarc (default)")
    group.add_argument("--env", action="store_true", help="the active environment's .condarc")
    group.add_argument("--system", action="store_true", help="the conda installation's .condarc")
    group.add_argument("--file", metavar="PATH", help="an explicit condarc file")


def _new_metadata_flags(p: argparse.ArgumentParser, *, version: bool) -> None:
    if version:
        p.add_argument("--version", type=int, default=1)
    p.add_argument("--expires-days", type=int, default=365)
    p.add_argument("-o", "--output", required=True)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jupyter conda-trust", description=__doc__.splitlines()[0])
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print a JSON document")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("status", parents=[common], help="trust status (the document GET /jupyter-trust/status returns)")
    p.add_argument("--refresh", action="store_true", help="walk the root chain and fetch key_mgr first")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("verify", parents=[common], help="verify root chain, key_mgr and repodata files offline")
    p.add_argument(
        "--root", action="append", default=[], metavar="FILE", help="first = trusted anchor; each next chains"
    )
    p.add_argument("--key-mgr", metavar="FILE")
    p.add_argument("--repodata", metavar="FILE")
    p.add_argument("--at", metavar="TIME", help="judge expiry at this UTC time (YYYY-MM-DDTHH:MM:SSZ)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("keygen", parents=[common], help="generate an ed25519 key pair (private file mode 0600)")
    p.add_argument("name")
    p.add_argument("--dir", default=".")
    p.set_defaults(func=cmd_keygen)

    root = sub.add_parser("root", help="create, rotate and sign root metadata").add_subparsers(
        dest="root_command", required=True, parser_class=_Parser
    )
    p = root.add_parser("create", parents=[common])
    p.add_argument("--root-key", action="append", required=True, metavar="PUB", help="64-hex public key or .pub file")
    p.add_argument("--root-threshold", type=int, default=1)
    p.add_argument("--key-mgr-key", action="append", required=True, metavar="PUB")
    p.add_argument("--key-mgr-threshold", type=int, default=1)
    _new_metadata_flags(p, version=True)
    p.set_defaults(func=cmd_root_create)
    p = root.add_parser(
        "rotate", parents=[common], help="write root N+1 from root N (then sign it with old AND new keys)"
    )
    p.add_argument("previous")
    p.add_argument("--root-key", action="append", metavar="PUB")
    p.add_argument("--root-threshold", type=int)
    p.add_argument("--key-mgr-key", action="append", metavar="PUB")
    p.add_argument("--key-mgr-threshold", type=int)
    _new_metadata_flags(p, version=False)
    p.set_defaults(func=cmd_root_rotate)
    p = root.add_parser("sign", parents=[common], help="add OpenPGP-form signatures (no gpg needed)")
    p.add_argument("file")
    p.add_argument("--key", action="append", required=True, metavar="PRIVATE_KEY_FILE")
    p.set_defaults(func=cmd_root_sign)

    km = sub.add_parser("key-mgr", help="create and sign key_mgr metadata").add_subparsers(
        dest="key_mgr_command", required=True, parser_class=_Parser
    )
    p = km.add_parser("create", parents=[common])
    p.add_argument("--pkg-mgr-key", action="append", required=True, metavar="PUB")
    p.add_argument("--threshold", type=int, default=1)
    _new_metadata_flags(p, version=True)
    p.set_defaults(func=cmd_key_mgr_create)
    p = km.add_parser("sign", parents=[common])
    p.add_argument("file")
    p.add_argument("--key", action="append", required=True, metavar="PRIVATE_KEY_FILE")
    p.set_defaults(func=cmd_key_mgr_sign)

    p = sub.add_parser("sign-repodata", parents=[common], help="sign every record of a repodata.json")
    p.add_argument("repodata")
    p.add_argument("--key", required=True, metavar="PRIVATE_KEY_FILE")
    p.set_defaults(func=cmd_sign_repodata)

    token = sub.add_parser("token", help="set or remove the Anaconda token (read from stdin / hidden prompt)")
    tsub = token.add_subparsers(dest="token_command", required=True, parser_class=_Parser)
    p = tsub.add_parser("set", parents=[common])
    p.add_argument("--enable-signature-verification", action="store_true")
    p.add_argument("--no-validate", action="store_true", help="store the token without the validation request")
    _location_flags(p)
    p.set_defaults(func=cmd_token_set)
    p = tsub.add_parser("remove", parents=[common])
    _location_flags(p)
    p.set_defaults(func=cmd_token_remove)

    p = sub.add_parser("verification", parents=[common], help="turn conda's signature verification on or off")
    p.add_argument("state", choices=["on", "off"])
    p.add_argument("--metadata-url", help="signing_metadata_url_base (default: the token repository's)")
    _location_flags(p)
    p.set_defaults(func=cmd_verification)

    for name, func, text in (("plan", cmd_plan, "show the signed install plan"), ("install", cmd_install, "install")):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("specs", nargs="+", metavar="SPEC")
        p.add_argument("--prefix", "-p", help="target environment (name or prefix; default: the active one)")
        if name == "install":
            p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
            p.add_argument("--confirm-unsigned", action="store_true", help="accept unsigned packages (policy 'warn')")
        p.set_defaults(func=func)

    p = sub.add_parser(
        "audit", parents=[common], help="both verdicts (content trust, attestation) for every installed package"
    )
    p.add_argument("--prefix", "-p", help="environment (name or prefix; default: the active one)")
    p.set_defaults(func=cmd_audit)

    # `demo` is dispatched before parsing (see main); listed here for --help.
    sub.add_parser("demo", help="start JupyterLab against the built-in signed demo channel (--help for options)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:  # everything after `demo` is the launcher's (and JupyterLab's)
        from .demo.launch import main as demo_main

        return demo_main(argv[1:])
    try:
        args = build_parser().parse_args(argv)
        code = args.func(args)
    except UsageError as exc:
        print(f"jupyter conda-trust: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # one clear line, never a traceback (and never a secret)
        code = _report(exc)
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _report(exc: Exception) -> int:
    from .redact import Redactor

    token = None
    try:
        from .conda.tokens import TokenStore

        token = TokenStore().read()
    except Exception:  # noqa: S110 - best effort; the pattern redaction below still applies
        pass
    message = Redactor([token] if token else [])(str(exc) or type(exc).__name__)
    names = {cls.__name__ for cls in type(exc).__mro__}
    failed = names & {"PlanChanged", "InstallRefused", "CCTError", "InstallCancelled"}
    print(f"jupyter conda-trust: {message}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
