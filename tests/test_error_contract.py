"""One error contract on every surface: the table, the CLI's one JSON document and exit codes, REST's JSON errors.

Every error the core raises on purpose is a TrustError with a kind; the kind alone decides the HTTP status and
the exit code (jupyter_trust/errors.py). Anything else is internal: 500 / exit 3, a redacted message.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_trust import errors
from jupyter_trust.cli import main
from jupyter_trust.errors import EXIT_ERROR, EXIT_FAILED, EXIT_USAGE, OUTCOMES, Kind, TrustError, classify

SECRET = "tok-CONTRACT-SENTINEL-98765"


# -- the table ---------------------------------------------------------------------------------------------------
def test_every_kind_has_one_outcome_and_exit_codes_are_the_documented_ones():
    assert set(OUTCOMES) == set(Kind)
    assert {o.exit_code for o in OUTCOMES.values()} == {EXIT_FAILED, EXIT_USAGE, EXIT_ERROR}
    assert all(400 <= o.http_status < 600 for o in OUTCOMES.values())
    assert OUTCOMES[Kind.INTERNAL].http_status == 500 and OUTCOMES[Kind.INTERNAL].exit_code == EXIT_ERROR


@pytest.mark.parametrize("exc", [ValueError("x"), KeyError("x"), TypeError("x"), RuntimeError("x"), OSError("x")])
def test_built_in_exceptions_are_internal_not_client_errors(exc):
    found = classify(exc)
    assert found.kind is Kind.INTERNAL and found.message == errors.INTERNAL_MESSAGE and "x" not in found.message


@pytest.mark.parametrize(
    ("code", "kind"),
    [(errno.ENOSPC, Kind.NO_SPACE), (errno.EROFS, Kind.LOCAL_DENIED), (errno.EACCES, Kind.LOCAL_DENIED)],
)
def test_local_os_errors_are_classified_by_errno(code, kind):
    assert classify(OSError(code, "boom")).kind is kind


def _core_error_classes() -> list[type]:
    from jupyter_trust.cli import UsageError
    from jupyter_trust.conda.condarc import CondarcError
    from jupyter_trust.conda.envs import PrefixNotAllowed
    from jupyter_trust.conda.tokens import UnsafeTokenLocation
    from jupyter_trust.engine.base import EngineError, InvalidSpec
    from jupyter_trust.fsutil import UnsafeFileError
    from jupyter_trust.plans.claim import InstallCancelled, PrefixBusy
    from jupyter_trust.plans.decision import ConfirmationNeeded, InstallRefused
    from jupyter_trust.plans.install import PlanChanged
    from jupyter_trust.plans.service import ArtifactMismatch, ChannelUnavailable, EngineUnavailable, PlanError
    from jupyter_trust.plans.specs import SpecError
    from jupyter_trust.policy import PolicyError
    from jupyter_trust.trust.anchor import AnchorError
    from jupyter_trust.trust.transitions import MetadataRefused

    return [
        PlanError,
        ChannelUnavailable,
        EngineUnavailable,
        ArtifactMismatch,
        PlanChanged,
        InstallRefused,
        ConfirmationNeeded,
        InstallCancelled,
        PrefixBusy,
        SpecError,
        UnsafeTokenLocation,
        CondarcError,
        PrefixNotAllowed,
        EngineError,
        InvalidSpec,
        PolicyError,
        AnchorError,
        UnsafeFileError,
        UsageError,
        MetadataRefused,
    ]


@pytest.mark.parametrize("cls", _core_error_classes(), ids=lambda c: c.__name__)
def test_every_deliberate_core_error_has_a_kind(cls):
    assert issubclass(cls, TrustError) and cls.kind is not Kind.INTERNAL
    assert classify(cls("a message")).message == "a message"


def test_kinds_of_errors_that_carry_more_than_a_message():
    from jupyter_trust.conda.tokens import TokenValidationError
    from jupyter_trust.policy import AdminTokenLocked, PolicyLocked

    assert TokenValidationError("no", "rejected").kind is Kind.UNPROCESSABLE
    assert TokenValidationError("down", "unreachable").kind is Kind.UPSTREAM
    assert TokenValidationError("down", "unreachable").failure == "unreachable"
    locked = PolicyLocked("unsigned", "/etc/policy.json")
    assert locked.kind is Kind.LOCKED and isinstance(locked, PermissionError) and "locked" in str(locked)
    admin = AdminTokenLocked("token_env_var", "$X", "/etc/policy.json")
    assert classify(admin).kind is Kind.LOCKED and classify(admin).details == {}


# -- the CLI: one JSON document on every outcome --------------------------------------------------------------------
def run_json(capsys, argv: list[str]) -> tuple[int, dict, str]:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    doc = json.loads(out)  # exactly one document: json.loads refuses anything after it
    return code, doc, err


def _signing_files(tmp: Path) -> dict[str, str]:
    (tmp / "notjson.json").write_text("this is not json")
    (tmp / "nopackages.json").write_text("{}")
    (tmp / "adir").mkdir()
    (tmp / "afile").write_text("x")
    return {"tmp": str(tmp)}


ERROR_PATHS = [
    # (id, argv with {tmp}, expected kind, expected exit code)
    ("verify-missing-root", ["verify", "--root", "{tmp}/missing.json"], "invalid_input", 2),
    ("verify-anchor-not-json", ["verify", "--root", "{tmp}/notjson.json"], "invalid_input", 2),
    ("verify-root-is-a-directory", ["verify", "--root", "{tmp}/adir"], "invalid_input", 2),
    ("verify-bad-time", ["verify", "--at", "yesterday"], "invalid_input", 2),
    ("keygen-dir-is-a-file", ["keygen", "k", "--dir", "{tmp}/afile"], "invalid_input", 2),
    (
        "root-create-bad-key",
        ["root", "create", "--root-key", "zz", "--key-mgr-key", "zz", "-o", "{tmp}/r"],
        "invalid_input",
        2,
    ),
    ("root-rotate-missing", ["root", "rotate", "{tmp}/missing.json", "-o", "{tmp}/r2"], "invalid_input", 2),
    ("root-sign-not-json", ["root", "sign", "{tmp}/notjson.json", "--key", "{tmp}/k.pri"], "invalid_input", 2),
    (
        "key-mgr-create-bad-key",
        ["key-mgr", "create", "--pkg-mgr-key", "{tmp}/missing.pub", "-o", "{tmp}/k"],
        "invalid_input",
        2,
    ),
    (
        "key-mgr-sign-missing-key",
        ["key-mgr", "sign", "{tmp}/nopackages.json", "--key", "{tmp}/missing.pri"],
        "invalid_input",
        2,
    ),
    (
        "sign-repodata-no-packages",
        ["sign-repodata", "{tmp}/nopackages.json", "--key", "{tmp}/k.pri"],
        "invalid_input",
        2,
    ),
    ("token-set-no-token", ["token", "set", "--no-validate"], "invalid_input", 2),
    ("token-remove-env-without-env", ["token", "remove", "--env"], "invalid_input", 2),
    ("verification-file-is-a-directory", ["verification", "on", "--file", "{tmp}/adir"], "invalid_input", 2),
    ("plan-unknown-environment", ["plan", "x", "--prefix", "no-such-env"], "invalid_input", 2),
    ("install-unknown-environment", ["install", "x", "--prefix", "no-such-env", "--yes"], "invalid_input", 2),
    ("argparse-unknown-command", ["nonsense"], "invalid_input", 2),
    ("argparse-missing-specs", ["plan"], "invalid_input", 2),
    ("argparse-bad-choice", ["verification", "maybe"], "invalid_input", 2),
]


@pytest.mark.parametrize(("argv", "kind", "code"), [p[1:] for p in ERROR_PATHS], ids=[p[0] for p in ERROR_PATHS])
def test_json_error_path_of_every_command_is_one_document(capsys, tmp_path, monkeypatch, argv, kind, code):
    files = _signing_files(tmp_path)
    monkeypatch.setattr("sys.stdin", open("/dev/null"))
    main(["keygen", "k", "--dir", str(tmp_path)])
    capsys.readouterr()
    got, doc, err = run_json(capsys, [a.format(**files) for a in argv])
    assert (got, doc["ok"], doc["error"]["kind"]) == (code, False, kind), doc
    assert isinstance(doc["error"]["message"], str) and doc["error"]["message"]
    assert err.startswith("jupyter conda-trust: ") and err.strip().count("\n") == 0
    assert "Traceback" not in err + json.dumps(doc)


@pytest.mark.parametrize(
    ("variable", "content", "argv", "fragment"),
    [
        # An administrator's broken policy file, a trust anchor that does not verify: not the user's bad input.
        ("JUPYTER_TRUST_POLICY_FILE", '{"unsigned": "sometimes"}', ["status"], "unsigned"),
        ("JUPYTER_TRUST_ROOT", '{"signed": {}, "signatures": {}}', ["verify"], "does not verify"),
    ],
)
def test_misconfiguration_is_unavailable_not_a_crash(capsys, tmp_path, monkeypatch, variable, content, argv, fragment):
    path = tmp_path / "configured.json"
    path.write_text(content)
    monkeypatch.setenv(variable, str(path))
    code, doc, _ = run_json(capsys, argv)
    assert code == 2 and doc["error"]["kind"] == "unavailable" and fragment in doc["error"]["message"]


# -- verify's input errors keep the partial results ----------------------------------------------------------------
@pytest.fixture
def signed_files(tmp_path, capsys) -> Path:
    for name in ("root", "km", "pkg"):
        main(["keygen", name, "--dir", str(tmp_path)])
    pub = {n: str(tmp_path / f"{n}.pub") for n in ("root", "km", "pkg")}
    main(["root", "create", "--root-key", pub["root"], "--key-mgr-key", pub["km"], "-o", str(tmp_path / "1.root.json")])
    main(["root", "sign", str(tmp_path / "1.root.json"), "--key", str(tmp_path / "root.pri")])
    main(["key-mgr", "create", "--pkg-mgr-key", pub["pkg"], "-o", str(tmp_path / "key_mgr.json")])
    main(["key-mgr", "sign", str(tmp_path / "key_mgr.json"), "--key", str(tmp_path / "km.pri")])
    capsys.readouterr()
    return tmp_path


def test_missing_key_mgr_file_is_an_input_error_with_the_verified_root(capsys, signed_files):
    root = str(signed_files / "1.root.json")
    code, doc, err = run_json(capsys, ["verify", "--root", root, "--key-mgr", str(signed_files / "gone.json")])
    assert code == 2 and doc["ok"] is False and doc["error"]["kind"] == "invalid_input"
    assert doc["error"]["file"].endswith("gone.json") and "cannot be read" in doc["error"]["message"]
    assert doc["root"]["verified"] is True and doc["root"]["version"] == 1
    assert "gone.json" in err


@pytest.mark.parametrize("repodata", ["gone.json", "adir", "notjson.json"])
def test_unusable_repodata_is_an_input_error_with_root_and_key_mgr_judged(capsys, signed_files, repodata):
    (signed_files / "adir").mkdir()
    (signed_files / "notjson.json").write_text("[1, 2")
    argv = ["verify", "--root", str(signed_files / "1.root.json"), "--key-mgr", str(signed_files / "key_mgr.json")]
    code, doc, _ = run_json(capsys, [*argv, "--repodata", str(signed_files / repodata)])
    assert code == 2 and doc["error"]["kind"] == "invalid_input" and doc["error"]["file"].endswith(repodata)
    assert doc["root"]["verified"] is True and doc["key_mgr"]["verified"] is True


def test_verification_failure_is_exit_one_not_an_input_error(capsys, signed_files):
    km = json.loads((signed_files / "key_mgr.json").read_text())
    km["signed"]["version"] = 7  # the signature no longer covers it
    (signed_files / "key_mgr.json").write_text(json.dumps(km))
    argv = ["verify", "--root", str(signed_files / "1.root.json"), "--key-mgr", str(signed_files / "key_mgr.json")]
    code, doc, _ = run_json(capsys, argv)
    assert code == 1 and doc["ok"] is False and doc["key_mgr"]["verified"] is False


def test_world_readable_private_key_is_an_input_error(capsys, signed_files):
    (signed_files / "root.pri").chmod(0o644)
    code, doc, _ = run_json(
        capsys, ["root", "sign", str(signed_files / "1.root.json"), "--key", str(signed_files / "root.pri")]
    )
    assert code == 2 and doc["error"]["kind"] == "invalid_input" and "readable" in doc["error"]["message"]


# -- internal errors: exit 3, one JSON document, redacted ----------------------------------------------------------
@pytest.mark.parametrize("exc", [KeyError("key"), ValueError(f"https://x/t/{SECRET}/y"), RuntimeError("boom")])
def test_internal_error_exits_three_with_a_redacted_json_error(capsys, monkeypatch, exc):
    def broken(*_a, **_k):
        raise exc

    monkeypatch.setattr("jupyter_trust.commands.steps.status", broken)
    code, doc, err = run_json(capsys, ["status"])
    assert code == 3 and doc == {"ok": False, "error": {"kind": "internal", "message": doc["error"]["message"]}}
    assert "internal error" in doc["error"]["message"] and type(exc).__name__ in doc["error"]["message"]
    assert "Traceback" not in err and SECRET not in err + json.dumps(doc)


def test_internal_error_redacts_the_stored_token(capsys, monkeypatch):
    from jupyter_trust.conda.tokens import TokenStore

    TokenStore().write(SECRET)

    def broken(*_a, **_k):
        raise ValueError(f"failed with {SECRET}")

    monkeypatch.setattr("jupyter_trust.commands.steps.status", broken)
    code, doc, err = run_json(capsys, ["status"])
    assert code == 3 and SECRET not in json.dumps(doc) + err


def test_plain_internal_error_without_json_is_one_stderr_line(capsys, monkeypatch):
    monkeypatch.setattr("jupyter_trust.commands.steps.status", lambda *_a, **_k: {}["missing"])
    code = main(["status"])
    out, err = capsys.readouterr()
    assert code == 3 and out == "" and err.count("\n") == 1 and "KeyError" in err


# -- the magic uses the same classification -------------------------------------------------------------------------
def test_magic_internal_error_is_one_redacted_line(capsys, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_trust")
    try:
        monkeypatch.setattr(
            "jupyter_trust.commands.steps.status",
            lambda *_a, **_k: (_ for _ in ()).throw(ValueError(f"/t/{SECRET}/x")),
        )
        ip.run_line_magic("conda_trust", "status")
        err = capsys.readouterr().err
        assert err.startswith("%conda_trust: internal error in jupyter_trust (ValueError)") and SECRET not in err
        ip.run_line_magic("conda_trust", "plan x --prefix no-such-env")
        err = capsys.readouterr().err
        assert err.startswith("%conda_trust: unknown environment") and "Traceback" not in err
    finally:
        InteractiveShell.clear_instance()


# -- REST: the one table, JSON bodies, internal errors redacted ------------------------------------------------------
async def _error(jp_fetch, *path: str, **kwargs) -> tuple[int, dict, dict]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", *path, **kwargs)
    return info.value.code, json.loads(info.value.response.body), dict(info.value.response.headers)


@pytest.mark.parametrize("exc", [ValueError("bad"), KeyError("k"), TypeError("t")])
async def test_rest_built_in_exception_in_a_handler_is_a_redacted_500(jp_serverapp, jp_fetch, caplog, exc):
    core = jp_serverapp.web_app.settings["jupyter_trust_core"]
    core.tokens().write(SECRET)
    exc.args = (f"{exc.args[0]} {SECRET}",)

    def broken() -> None:
        raise exc

    core.environments = broken
    with caplog.at_level(logging.ERROR):
        code, body, _ = await _error(jp_fetch, "environments")
    assert code == 500 and body["kind"] == "internal" and body["message"] == errors.INTERNAL_MESSAGE
    assert SECRET not in json.dumps(body) and SECRET not in caplog.text
    assert type(exc).__name__ in caplog.text and "<redacted>" in caplog.text


async def test_rest_exception_outside_errors_block_is_classified_too(jp_serverapp, jp_fetch):
    from jupyter_trust.errors import Overloaded

    tasks = jp_serverapp.web_app.settings["jupyter_trust_tasks"]

    def overloaded(owner=None):
        raise Overloaded("too many plans at once", retry_after=7)

    tasks.list = overloaded
    code, body, headers = await _error(jp_fetch, "tasks")
    assert code == 503 and body["kind"] == "overloaded" and body["retry_after"] == 7
    assert headers["Retry-After"] == "7" and body["message"] == "too many plans at once"


async def test_rest_misconfigured_anchor_is_not_a_bad_request(jp_serverapp, jp_fetch):
    from jupyter_trust.trust.anchor import AnchorError

    core = jp_serverapp.web_app.settings["jupyter_trust_core"]

    def broken() -> None:
        raise AnchorError("trust root /etc/x.json does not verify")

    core.environments = broken
    code, body, _ = await _error(jp_fetch, "environments")
    assert code == 422 and body["kind"] == "unavailable" and "does not verify" in body["message"]


@pytest.mark.parametrize(
    ("path", "method", "body", "status", "kind"),
    [
        (("plans", "0" * 64), "GET", None, 404, "not_found"),
        (("tasks", "0" * 32), "GET", None, 404, "not_found"),
        (("plans", "xyz"), "GET", None, 400, "invalid_input"),
        (("plans",), "POST", "[1]", 400, "invalid_input"),
        (("plans",), "POST", json.dumps({"specs": ["x"], "prefix": "no-such-env"}), 400, "invalid_input"),
        (("status",), "DELETE", None, 405, "invalid_input"),
    ],
)
async def test_rest_error_bodies_carry_kind_and_reason(jp_fetch, path, method, body, status, kind):
    kwargs = {"method": method, **({"body": body} if body is not None else {})}
    code, doc, headers = await _error(jp_fetch, *path, **kwargs)
    assert (code, doc["kind"]) == (status, kind) and doc["message"] and doc["reason"]
    assert headers["Content-Type"].startswith("application/json")


# -- the documents repeat the table: they must not drift -------------------------------------------------------------
def test_openapi_error_schema_enumerates_every_kind_and_every_operation_has_it():
    from ruamel.yaml import YAML

    spec = YAML(typ="safe").load((Path(__file__).resolve().parents[1] / "docs" / "openapi.yaml").read_text())
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]["kind"]["enum"]) == {k.value for k in Kind} and "kind" in error["required"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], (path, method)
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    text = json.dumps(response)
                    assert "#/components/schemas/Error" in text or "#/components/responses/" in text, (path, status)


def test_architecture_table_is_the_code_table():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text()
    for kind, outcome in OUTCOMES.items():
        assert f"| `{kind.value}` | {outcome.http_status} | {outcome.exit_code} |" in doc, kind


# -- the verifier's own exception types end at its boundary -----------------------------------------------------------
def test_key_mgr_without_pkg_mgr_is_a_verification_failure_with_the_report(capsys, signed_files):
    from jupyter_trust.cct.signing import build_delegating_metadata, read_private_key, sign_raw

    other = build_delegating_metadata(
        "key_mgr", {"not_pkg_mgr": ([read_private_key(signed_files / "pkg.pri").public_hex], 1)}
    )
    (signed_files / "key_mgr.json").write_text(json.dumps(sign_raw(other, read_private_key(signed_files / "km.pri"))))
    record = {"name": "a", "version": "1", "build": "0", "build_number": 0, "depends": [], "subdir": "noarch"}
    # A record with a signature entry: signed, so it cannot be trusted without a pkg_mgr delegation.
    signature = {"ab" * 32: {"signature": "cd" * 64}}
    repodata = {
        "info": {"subdir": "noarch"},
        "packages": {"a-1-0.tar.bz2": record},
        "signatures": {"a-1-0.tar.bz2": signature},
    }
    (signed_files / "repodata.json").write_text(json.dumps(repodata))
    argv = ["verify", "--root", str(signed_files / "1.root.json"), "--key-mgr", str(signed_files / "key_mgr.json")]
    code, doc, err = run_json(capsys, [*argv, "--repodata", str(signed_files / "repodata.json")])
    assert code == 1 and doc["ok"] is False and doc["error"]["kind"] == "verification_failed"
    assert doc["root"]["verified"] is True and "Traceback" not in err


def test_planner_boundary_turns_verifier_errors_into_verification_failed(monkeypatch):
    from jupyter_trust.cct.errors import UnknownRoleError
    from jupyter_trust.plans import service

    def raising(*_a):
        raise UnknownRoleError("key_mgr does not delegate 'pkg_mgr'")

    monkeypatch.setattr(service, "verdicts_for", raising)
    with pytest.raises(TrustError) as info:
        service.judged([], None, {}, "warn")
    assert info.value.kind is Kind.VERIFICATION_FAILED and "pkg_mgr" in str(info.value)


def test_interrupt_is_still_one_json_document(capsys, monkeypatch):
    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr("jupyter_trust.commands.steps.status", interrupted)
    code, doc, _ = run_json(capsys, ["status"])
    assert code == 130 and doc["error"] == {"kind": "cancelled", "message": "interrupted"}


def test_a_fifo_given_as_a_file_is_refused_without_blocking(capsys, tmp_path):
    fifo = tmp_path / "root.fifo"
    os.mkfifo(fifo)
    code, doc, _ = run_json(capsys, ["verify", "--root", str(fifo)])
    assert code == 2 and "not a regular file" in doc["error"]["message"]
