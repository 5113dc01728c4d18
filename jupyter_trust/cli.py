"""``jupyter conda-trust``: the command line over the same core as the server, panel and magic.

Exit codes (:data:`jupyter_trust.errors.OUTCOMES`): 0 ok, 1 verification failed / plan blocked / plan changed,
2 usage or input error, 3 could not be done here and now (upstream, local disk, internal error); the message is one
line on stderr. Every command takes ``--json`` and then prints exactly one JSON document on stdout, whatever
happens: on failure ``{"ok": false, "error": {"kind": ..., "message": ...}, ...partial results}``.
Tokens are read from standard input or a hidden prompt, never argv.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import getpass
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .commands import steps
from .errors import EXIT_OK, EXIT_USAGE, InvalidInput, TrustError, VerificationFailed, from_os_error

if TYPE_CHECKING:
    from .core import Core


class UsageError(InvalidInput):
    """Bad arguments: exit 2 with one line on stderr."""


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
    return steps.make_core()


# -- user-named files: what goes wrong with them is the user's input, not our internal error ----------
def _input_file(path: str | Path, what: str) -> Path:
    """``path`` names a readable regular file, else :class:`InvalidInput` saying which argument is wrong."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise InvalidInput(f"{what} {path} is a directory, not a file")
        if not stat.S_ISREG(mode):  # checked before opening: a FIFO would block the open
            raise InvalidInput(f"{what} {path} is not a regular file")
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise InvalidInput(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise InvalidInput(f"{what} {path} cannot be read: {exc.strerror or type(exc).__name__}") from None
    return path


@contextlib.contextmanager
def _user_file(path: str | Path | None, what: str = "file") -> Iterator[None]:
    """Errors reading, parsing or writing what the user named: input errors, except a full or read-only disk."""
    label = f"{what} {path}" if path else what
    try:
        yield
    except TrustError as exc:
        if exc.outcome.exit_code == EXIT_USAGE:
            raise
        raise InvalidInput(f"{label}: {exc}") from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise from_os_error(exc, label) from None
        raise InvalidInput(f"{label}: {exc.strerror or type(exc).__name__}") from None
    except (ValueError, TypeError, KeyError) as exc:  # the signing tools' checks of a document's shape
        raise InvalidInput(f"{label} cannot be used: {exc}") from None


# -- status ----------------------------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    status = steps.status(_core(args), refresh=args.refresh)
    _emit(args, status.to_json(), status.to_text())
    return EXIT_OK


# -- verify ----------------------------------------------------------------------------------------
def cmd_verify(args: argparse.Namespace) -> int:
    from .render import verify_text
    from .verify_report import verify_files

    if args.repodata and not args.key_mgr:
        raise UsageError("--repodata needs --key-mgr (records are verified against key_mgr's pkg_mgr delegation)")
    now = _parse_time(args.at) if args.at else None
    roots = [Path(p) for p in args.root] or [_core(args).anchor().path]
    report = verify_files(
        roots,
        key_mgr=Path(args.key_mgr) if args.key_mgr else None,
        repodata=Path(args.repodata) if args.repodata else None,
        now=now,
    )
    doc = report.to_json()
    if report.kind is not None:
        # The report is the partial result; the error names the first unusable file, or what failed.
        error = report.error or {"message": _verify_failure(doc)}
        details = {k: v for k, v in error.items() if k not in ("kind", "message")}
        raise PartialResult(TrustError(error["message"], kind=report.kind, **details), doc, verify_text(doc))
    _emit(args, doc, verify_text(doc))
    return EXIT_OK


def _verify_failure(doc: Mapping[str, Any]) -> str:
    root, key_mgr = doc.get("root") or {}, doc.get("key_mgr")
    if not root.get("verified"):
        return f"the root chain did not verify: {root.get('error')}"
    if key_mgr is not None and not key_mgr.get("verified"):
        return f"key_mgr did not verify: {key_mgr.get('error')}"
    untrusted = sum(1 for v in (doc.get("packages") or {}).values() if v.get("verdict") == "untrusted")
    return f"{untrusted} record(s) are UNTRUSTED"


class PartialResult(Exception):
    """A command failed after producing part of its result: ``--json`` prints it with the error, text mode
    prints ``text`` (if any) on stdout; the error's kind decides the exit code."""

    def __init__(self, error: BaseException, partial: Mapping[str, Any], text: str | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.partial = partial
        self.text = text


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
        if os.path.exists(value):
            with _user_file(value, "public key file"):
                text = _input_file(value, "public key file").read_text().strip()
        else:
            text = value
        if len(text) != 64 or any(c not in "0123456789abcdef" for c in text.lower()):
            raise UsageError(f"{value!r} is not a 64-hex public key or a file holding one")
        keys.append(text.lower())
    return keys


def _expiration(days: int | None) -> dt.datetime | None:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=days) if days else None


def _write_doc(path: str, doc: Any) -> None:
    from .cct.canonical import canonical
    from .fsutil import atomic_write

    with _user_file(path, "output file"):
        atomic_write(Path(path), canonical(doc), mode=0o644)


def _read_doc(path: str) -> Any:
    from .cct.jsonload import loads_strict

    with _user_file(path):
        return loads_strict(_input_file(path, "file").read_bytes(), max_bytes=512 << 20)


def _private_key(path: str) -> Any:
    from .cct.signing import read_private_key

    with _user_file(path, "private key"):
        return read_private_key(_input_file(path, "private key"))


def cmd_keygen(args: argparse.Namespace) -> int:
    from .cct.signing import generate_keypair, write_keypair

    pair = generate_keypair()
    with _user_file(args.dir, "--dir"):
        private, public = write_keypair(Path(args.dir), args.name, pair)
    _emit(
        args,
        {"public_key": pair.public_hex, "private_key_file": str(private), "public_key_file": str(public)},
        f"public key {pair.public_hex}\nprivate key written to {private} (mode 0600)",
    )
    return EXIT_OK


def cmd_root_create(args: argparse.Namespace) -> int:

    with _user_file(None, "--root-key/--key-mgr-key"):
        doc = _build_root(args)
    _write_doc(args.output, doc)
    _emit(
        args, {"output": args.output, "version": args.version}, f"wrote unsigned root v{args.version} to {args.output}"
    )
    return EXIT_OK


def _build_root(args: argparse.Namespace) -> dict[str, Any]:
    from .cct.signing import build_root

    return build_root(
        _pubkeys(args.root_key),
        args.root_threshold,
        _pubkeys(args.key_mgr_key),
        args.key_mgr_threshold,
        version=args.version,
        expiration=_expiration(args.expires_days),
    )


def cmd_root_rotate(args: argparse.Namespace) -> int:
    from .cct.signing import rotate_root

    previous = _read_doc(args.previous)
    with _user_file(args.previous, "root"):
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
    doc = _read_doc(args.file)
    keys = [_private_key(key) for key in args.key]
    with _user_file(args.file):
        for key in keys:
            doc = signer(doc, key)
    _write_doc(args.file, doc)
    _emit(args, {"file": args.file, "signatures": len(doc.get("signatures", {}))}, f"signed {args.file}")
    return EXIT_OK


def cmd_root_sign(args: argparse.Namespace) -> int:
    from .cct.signing import sign_openpgp

    return _sign(args, sign_openpgp)


def cmd_key_mgr_create(args: argparse.Namespace) -> int:
    from .cct.signing import build_key_mgr

    with _user_file(None, "--pkg-mgr-key"):
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
    from .cct.signing import sign_repodata

    doc = _read_doc(args.repodata)
    key = _private_key(args.key)
    with _user_file(args.repodata, "repodata"):
        doc = sign_repodata(doc, key)
    _write_doc(args.repodata, doc)
    count = len(doc.get("signatures", {}))
    _emit(args, {"file": args.repodata, "signed": count}, f"signed {count} records in {args.repodata}")
    return EXIT_OK


# -- token and verification settings --------------------------------------------------------------


def _read_token(args: argparse.Namespace) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        token = getpass.getpass("Anaconda token (input hidden): ")
    else:
        token = (sys.stdin.readline() if sys.stdin else "").strip()
    if not token:
        raise UsageError("no token given: type it at the prompt or pipe it on standard input (never as an argument)")
    return token


def _settings_result(args: argparse.Namespace, result: Any) -> int:
    from .render import settings_text

    data = result.to_json()
    _emit(args, data, settings_text(data))
    return EXIT_OK


def cmd_token_set(args: argparse.Namespace) -> int:
    core = _core(args)
    token = _read_token(args)
    result = core.settings().set_token(
        token,
        location=steps.condarc_location(core, args),
        validate=not args.no_validate,
        enable_signature_verification=args.enable_signature_verification,
    )
    return _settings_result(args, result)


def cmd_token_remove(args: argparse.Namespace) -> int:
    core = _core(args)
    return _settings_result(args, core.settings().remove_token(location=steps.condarc_location(core, args)))


def cmd_verification(args: argparse.Namespace) -> int:
    return _settings_result(args, steps.set_verification(_core(args), args))


# -- plans and installs ----------------------------------------------------------------------------
def cmd_plan(args: argparse.Namespace) -> int:
    # The solver process starts as soon as the policy is known, before the core and the planner are imported.
    policy = steps.load_policy()
    with steps.solver_started(policy) as workers:
        core = steps.make_core(policy=policy)
        plan = steps.plan(core, args, default_prefix=steps.default_prefix(), workers=workers)
    from .plans.decision import install_refusal
    from .render import plan_text

    data = plan.to_json()
    refusal = install_refusal(plan, confirm_unsigned=True)
    if refusal is not None:
        raise PartialResult(refusal, data, plan_text(data))
    _emit(args, data, plan_text(data))
    return EXIT_OK


def cmd_install(args: argparse.Namespace) -> int:
    from .plans.claim import InstallCancelled
    from .render import plan_text

    core = _core(args)
    plan = steps.plan(core, args, default_prefix=steps.default_prefix())
    data = plan.to_json()
    text = plan_text(data)
    try:
        confirm_unsigned = args.confirm_unsigned
        if not args.yes and not plan.blocked:
            if not (sys.stdin and sys.stdin.isatty()):
                raise UsageError(
                    "refusing to install without confirmation: pass --yes (and --confirm-unsigned if needed)"
                )
            print(text, file=sys.stderr)
            if not _yes("Install this plan? [y/N] "):
                raise InstallCancelled("not confirmed; nothing was installed")
            if plan.needs_confirmation and not confirm_unsigned:
                confirm_unsigned = _yes("It links UNSIGNED packages. Install them anyway? [y/N] ")

        def progress(p: Any) -> None:
            if not args.json:
                print(f"[{p.phase}] {p.packages_done}/{p.packages_total} packages {p.message}", file=sys.stderr)

        result = steps.install(
            core,
            plan,
            confirm_unsigned=confirm_unsigned,
            how_to_confirm="pass --confirm-unsigned to install them anyway",
            progress=progress,
        )
    except TrustError as exc:
        raise PartialResult(exc, {**data, "installed": False}, text) from None
    out = {**data, "installed": result.installed, "result": result.to_json()}
    _emit(args, out, text + "\n" + result.message)
    return EXIT_OK


def _yes(prompt: str) -> bool:
    return input(prompt).strip().lower() in ("y", "yes")


def cmd_audit(args: argparse.Namespace) -> int:
    from .audit import audit
    from .render import audit_text

    core = _core(args)
    prefix = core.target_prefix(args.prefix or steps.default_prefix())
    report = audit(core.plan_context(), prefix)
    doc = report.to_json()
    if report.failed:
        failed = VerificationFailed(f"the audit of {prefix} found untrusted packages or failed attestations")
        raise PartialResult(failed, doc, audit_text(doc))
    _emit(args, doc, audit_text(doc))
    return EXIT_OK


# -- parser ----------------------------------------------------------------------------------------
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
    steps.location_flags(p)
    p.set_defaults(func=cmd_token_set)
    p = tsub.add_parser("remove", parents=[common])
    steps.location_flags(p)
    p.set_defaults(func=cmd_token_remove)

    p = sub.add_parser("verification", parents=[common], help="turn conda's signature verification on or off")
    steps.verification_arguments(p)
    p.set_defaults(func=cmd_verification)

    p = sub.add_parser("plan", parents=[common], help="show the signed install plan (exit 1 when it is blocked)")
    steps.plan_arguments(p, install=False)
    p.set_defaults(func=cmd_plan)
    p = sub.add_parser("install", parents=[common], help="install a plan that verified")
    steps.plan_arguments(p, install=True)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_install)

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
    # Known before parsing, so that an argument error is one JSON document too.
    json_mode = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        code = args.func(args)
    except KeyboardInterrupt:
        from .plans.claim import InstallCancelled

        _report(InstallCancelled("interrupted"), json_mode=json_mode)
        code = 130
    except PartialResult as failed:
        code = _report(failed.error, json_mode=json_mode, partial=failed.partial, text=failed.text)
    except Exception as exc:  # one clear line, never a traceback (and never a secret)
        code = _report(exc, json_mode=json_mode)
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def run() -> NoReturn:
    """The ``jupyter-conda-trust`` executable: :func:`main`, then the process ends at once. Everything a command
    writes is written and closed by then (stdout and stderr are flushed); tearing down a few hundred modules
    would add tens of milliseconds to every command for nothing. ``demo`` keeps the ordinary exit."""
    code = main()
    if sys.argv[1:2] == ["demo"]:
        sys.exit(code)
    os._exit(code)


def _report(
    exc: BaseException, *, json_mode: bool, partial: Mapping[str, Any] | None = None, text: str | None = None
) -> int:
    """The error as one stderr line (and, with ``--json``, as the one document on stdout); its exit code."""
    from .commands.report import describe, error_document, redactor_for

    problem = describe(exc, redactor_for())
    if json_mode:
        print(json.dumps(error_document(problem, partial), indent=2))
    elif text:
        print(text)
    print(f"jupyter conda-trust: {problem.message}", file=sys.stderr)
    return problem.outcome.exit_code


if __name__ == "__main__":  # pragma: no cover
    run()
