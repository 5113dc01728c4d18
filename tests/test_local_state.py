"""Broken local state — a condarc conda cannot use, corrupt or over-deep journal, plan and trust-state files, a
directory where a file belongs — is reported (status warning, clear 4xx), never a 500 or a silent fallback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_trust.cli import main as cli_main
from jupyter_trust.conda.condarc import CondaConfig
from jupyter_trust.core import Core
from jupyter_trust.errors import InvalidInput, Kind, LocalError
from jupyter_trust.policy import Policy
from jupyter_trust.status import build_status

DEEP = b"[" * 50_000 + b"]" * 50_000


def _yaml(path: Path) -> None:
    path.write_text("channels: [unclosed\n")


def _binary(path: Path) -> None:
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00 binary")


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "inside.yml").write_text("channels: [somewhere]\n")


def _wrong_type(path: Path) -> None:
    path.write_text("channels: 5\nextra_safety_checks: true\n")


def _wrong_flag(path: Path) -> None:
    path.write_text("extra_safety_checks: [1]\n")


def _not_utf8(path: Path) -> None:
    path.write_bytes("channels: [caf\xe9]\n".encode("latin-1"))


BROKEN = {
    "invalid YAML": (_yaml, "invalid YAML at line"),
    "binary": (_binary, "binary file"),
    "directory": (_directory, "is a directory"),
    "channels: 5": (_wrong_type, "'channels' must be a list, not int"),
    "flag of the wrong type": (_wrong_flag, "'extra_safety_checks' must be true or false"),
    "not UTF-8": (_not_utf8, "not UTF-8"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_condarc_is_a_status_warning_and_a_refusal_to_plan(isolated_home, case):
    make, why = BROKEN[case]
    condarc = isolated_home / ".condarc"
    make(condarc)
    config = CondaConfig.load()
    assert len(config.errors) == 1 and str(condarc) in config.errors[0] and why in config.errors[0]
    core = Core(policy=Policy.load({}))
    status = build_status(core)
    warning = next(w for w in status.warnings if str(condarc) in w)
    assert why in warning
    assert f"WARNING: {warning}" in status.to_text()
    assert str(condarc) in status.to_html()
    with pytest.raises(InvalidInput) as info:
        core.planner()
    assert info.value.kind is Kind.INVALID_INPUT and warning in str(info.value)


def test_a_condarc_that_cannot_be_opened_is_named(isolated_home):
    condarc = isolated_home / ".condarc"
    condarc.symlink_to(condarc)  # a loop: open() fails with ELOOP
    config = CondaConfig.load()
    assert config.errors and str(condarc) in config.errors[0]


def test_the_condarc_warning_never_shows_the_files_text(isolated_home):
    (isolated_home / ".condarc").write_text("channels:\n  - http://127.0.0.1/t/tk-SECRET-1234/x\n  - [\n")
    (error,) = CondaConfig.load().errors
    assert "SECRET" not in error and "line" in error


async def test_rest_status_shows_the_condarc_warning_and_plans_are_refused(trust_server, jp_fetch, isolated_home):
    condarc = isolated_home / ".condarc"
    _wrong_type(condarc)
    status = json.loads((await jp_fetch("jupyter-trust", "status")).body)
    assert any(str(condarc) in w and "'channels' must be a list" in w for w in status["warnings"])
    body = json.dumps({"specs": ["trusty-app"], "prefix": str(trust_server.prefix())})
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "plans", method="POST", body=body)
    assert info.value.code == 400
    message = json.loads(info.value.response.body)["message"]
    assert str(condarc) in message and "channels and settings are unknown" in message


# -- journal, plans and trust state on disk -------------------------------------------------------
def server_work_dir(jp_serverapp) -> Path:
    return jp_serverapp.web_app.settings["jupyter_trust_core"].private_work_dir()


@pytest.mark.parametrize("content", [DEEP, b"{not json", b'{"id": "a", "id": "b"}', b"[1, 2]", b"\xff\xfe"])
async def test_a_corrupt_journal_record_is_a_warning_not_a_500(jp_serverapp, jp_fetch, capsys, content):
    tasks = server_work_dir(jp_serverapp) / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    (tasks / "broken.json").write_bytes(content)
    (tasks / "dir.json").mkdir()
    status = json.loads((await jp_fetch("jupyter-trust", "status")).body)
    assert status["interrupted_tasks"] == []
    warnings = [w for w in status["warnings"] if "install journal record" in w]
    assert len(warnings) == 2 and any("broken.json" in w for w in warnings) and any("dir.json" in w for w in warnings)
    assert cli_main(["status", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [w for w in cli["warnings"] if "install journal record" in w] == warnings


async def test_a_corrupt_stored_plan_is_no_such_plan(jp_serverapp, jp_fetch):
    plan_id = "ab" * 32
    directory = server_work_dir(jp_serverapp) / "plans" / plan_id
    directory.mkdir(parents=True)
    for content in (DEEP, b'{"id": 1}', b"null"):
        (directory / "plan.json").write_bytes(content)
        for method, path, body in (
            ("GET", ("plans", plan_id), None),
            ("POST", ("tasks",), json.dumps({"plan_id": plan_id})),
        ):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch("jupyter-trust", *path, method=method, body=body)
            assert info.value.code == 404, content[:20]


def test_an_unreadable_trust_state_is_a_warning(signed_channel):
    core = signed_channel.core()
    store = core.trust_store()
    store.refresh()
    state_file = store.dir / "state.json"
    state_file.write_bytes(b'{"root_version": ' + DEEP + b"}")
    state = store.current()
    assert state.state_error and str(state_file) in state.state_error
    status = build_status(core)
    assert any("trust state file" in w and str(state_file) in w for w in status.warnings)


@pytest.mark.parametrize("name", ["state.json", "key_mgr.json"])
def test_a_trust_state_file_replaced_by_a_directory_is_a_409_kind_error(signed_channel, name):
    core = signed_channel.core()
    store = core.trust_store()
    store.refresh()
    target = store.dir / name
    target.unlink()
    target.mkdir()
    (target / "x").write_text("in the way")
    with pytest.raises(LocalError) as info:
        core.planner().plan(["trusty-app"], core.target_prefix(str(signed_channel.prefix())))
    assert info.value.kind is Kind.LOCAL_STATE and info.value.outcome.http_status == 409
    assert str(target) in str(info.value) and "directory" in str(info.value).lower()
    status = build_status(core)  # status still answers, with the cause
    assert status.to_json()["trust"] is not None


async def test_rest_answers_409_when_trust_state_is_a_directory(trust_server, jp_fetch, jp_serverapp):
    core = jp_serverapp.web_app.settings["jupyter_trust_core"]
    store = core.trust_store()
    store.refresh()
    (store.dir / "state.json").unlink()
    (store.dir / "state.json").mkdir()
    body = json.dumps({"specs": ["trusty-app"], "prefix": str(trust_server.prefix())})
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "plans", method="POST", body=body)
    assert info.value.code == 409
    message = json.loads(info.value.response.body)["message"]
    assert "state.json" in message and "Is a directory" in message
    status = await jp_fetch("jupyter-trust", "status", params={"refresh": "true"})
    assert status.code == 200


def test_status_of_the_cli_with_a_deep_journal_exits_zero(tmp_path):
    import os
    import subprocess

    env = dict(os.environ)
    work = Path(env["JUPYTER_DATA_DIR"]) / "jupyter_trust" / "work" / "tasks"
    work.mkdir(parents=True)
    (work / "deep.json").write_bytes(DEEP)
    argv = [sys.executable, "-m", "jupyter_trust.cli", "status", "--json"]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert any("deep.json" in w for w in json.loads(out.stdout)["warnings"])


# -- an interrupted record is cleared once its plan is found fully applied ----------------------------
def test_an_interrupted_record_is_cleared_when_its_plan_is_found_applied(signed_channel):
    import subprocess

    from jupyter_trust import journal
    from jupyter_trust.tasks import TaskManager

    core = signed_channel.core()
    prefix = core.target_prefix(str(signed_channel.prefix()))
    plan = core.planner().plan(["trusty-app"], prefix)
    assert core.installer().apply(plan).installed
    dead = subprocess.Popen(["true"])
    dead.wait()
    tasks = TaskManager(core.private_work_dir(), installer_factory=core.installer)
    record = {"id": "f" * 32, "plan_id": plan.id, "prefix": str(prefix), "state": "running", "pid": dead.pid}
    path = core.private_work_dir() / "tasks" / f"{'f' * 32}.json"

    installed = json.loads((prefix / "conda-meta" / "trusty-app-1.0-0.json").read_text())
    linked = prefix / installed["files"][0]
    kept = linked.read_bytes()
    linked.unlink()  # half applied: a planned file is missing
    journal.write(path, record)
    assert [t["plan_id"] for t in tasks.interrupted()] == [plan.id]
    linked.write_bytes(kept)  # now the plan is fully there (e.g. the orphaned linker finished)
    assert tasks.interrupted() == []
    assert journal.read(path)["state"] == "repaired"


def test_the_cli_refuses_to_plan_with_a_broken_condarc_naming_it(
    signed_channel, isolated_home, capsys, monkeypatch, tmp_path
):
    for name, value in signed_channel.jupyter_environ(tmp_path / "jupyter-config").items():
        monkeypatch.setenv(name, value)
    _yaml(isolated_home / ".condarc")
    code = cli_main(["plan", "trusty-app", "--prefix", str(signed_channel.prefix()), "--json"])
    assert code == 2  # invalid_input: the request cannot be done as asked until the file is fixed
    assert str(isolated_home / ".condarc") in capsys.readouterr().err
