"""The conda engine: conda only solves; every record it plans is verified from our captured repodata.

These tests run a conda-CLI stand-in (``tests/engine_fixtures.py``) that solves with rattler over the same loopback
channel and prints conda's dry-run JSON, so tests can make it lie or misbehave; ``tests/test_real_conda.py`` runs
the engine against real conda.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from channel_fixtures import make_signed_channel, tree_digest
from engine_fixtures import make_conda_standin, serve_with_conda

from jupyter_trust.demo.build import PackageSpec
from jupyter_trust.engine import conda_engine
from jupyter_trust.engine.base import Completed, EngineError
from jupyter_trust.plans.install import InstallRefused
from jupyter_trust.plans.service import EngineUnavailable
from jupyter_trust.status import build_status

APP, LIB = "trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"
UNSIGNED, TAMPERED = "unsigned-extra-1.0-0.conda", "tampered-tool-1.0-0.conda"
TOKEN = "tok-CONDA-SENTINEL-8d1e4f"


def summary(plan) -> set[tuple[object, ...]]:
    return {(p.filename, p.verdict, p.action, p.sha256, p.size, p.url, p.previous_version) for p in plan.packages}


def verdicts(plan) -> dict[str, str]:
    return {p.filename: p.verdict for p in plan.packages}


def reason(plan, filename: str) -> str:
    return next(p.reason for p in plan.packages if p.filename == filename)


# -- the same plan as rattler's, installed by the verifying installer ------------------------------
def test_conda_plan_equals_the_rattler_plan_and_installs_exactly_it(conda_channel):
    prefix = conda_channel.prefix()
    rattler_plan = conda_channel.core().planner().plan(["trusty-app"], prefix)
    core = conda_channel.core(engine="conda")
    plan = core.planner().plan(["trusty-app"], prefix)
    assert summary(plan) == summary(rattler_plan) and verdicts(plan) == {APP: "trusted", LIB: "trusted"}
    assert not plan.blocked and not plan.needs_confirmation and plan.repodata == rattler_plan.repodata
    assert len(conda_channel.standin.calls()) == 1
    result = core.installer().apply(plan)
    assert sorted(result.linked) == [APP, LIB]
    assert len(conda_channel.standin.calls()) == 1, "installing must never run conda"
    meta = {p.name for p in (prefix / "conda-meta").glob("*.json")}
    assert meta == {"trusty-app-1.0-0.json", "trusty-lib-1.0-0.json"}
    # Everything requested is installed now: conda says so without "actions", which is an empty plan.
    again = core.planner().plan(["trusty-app"], prefix)
    assert again.packages == () and not again.blocked


def test_async_conda_plan_is_the_sync_plan(conda_channel):
    core, prefix = conda_channel.core(engine="conda"), conda_channel.prefix()
    sync = core.planner().plan(["trusty-app"], prefix)
    planned = asyncio.run(core.planner().plan_async(["trusty-app"], prefix))
    assert summary(planned) == summary(sync) and not planned.blocked


def test_installed_packages_are_kept_and_cached_packages_need_no_fetch(conda_channel):
    core, prefix = conda_channel.core(engine="conda", unsigned="allow"), conda_channel.prefix()
    core.installer().apply(core.planner().plan(["unsigned-extra"], prefix))
    conda_channel.standin.behave(drop_fetch=["trusty-lib"])  # conda had it in its package cache
    plan = core.planner().plan(["trusty-lib"], prefix)
    assert [(p.filename, p.action, p.verdict) for p in plan.packages] == [(LIB, "install", "trusted")]


def test_an_update_unlinks_the_old_record_like_rattler(tmp_path):
    packages = [PackageSpec("trusty-lib", "1.0"), PackageSpec("trusty-lib", "2.0")]
    channel = make_signed_channel(tmp_path, packages=packages, tamper=())
    try:
        channel.environ["CONDA_EXE"] = str(make_conda_standin(tmp_path / "conda").exe)
        core, prefix = channel.core(engine="conda"), channel.prefix()
        core.installer().apply(core.planner().plan(["trusty-lib ==1.0"], prefix))
        plan = core.planner().plan(["trusty-lib >=2"], prefix)
        assert [(p.filename, p.action, p.previous_version) for p in plan.packages] == [
            ("trusty-lib-2.0-0.conda", "update", "1.0")
        ]
        assert summary(plan) == summary(channel.core().planner().plan(["trusty-lib >=2"], prefix))
        core.installer().apply(plan)
        assert {p.name for p in (prefix / "conda-meta").glob("*.json")} == {"trusty-lib-2.0-0.json"}
    finally:
        channel.server.stop()


@pytest.mark.parametrize("history", [True, False])
def test_a_prefix_without_history_is_planned_again_with_create_when_conda_refuses_install(conda_channel, history):
    """conda 26 calls a prefix without conda-meta/history no environment (conda 25 refuses ``create`` there)."""
    conda_channel.standin.behave(conda26=True)
    prefix = conda_channel.prefix()
    if not history:  # an environment another tool made: a package record, no history
        scratch = conda_channel.prefix("scratch")
        rattler = conda_channel.core()
        rattler.installer().apply(rattler.planner().plan(["trusty-app"], scratch))
        app_record = next((scratch / "conda-meta").glob("trusty-app-*.json"))
        (prefix / "conda-meta" / app_record.name).write_bytes(app_record.read_bytes())
        (prefix / "conda-meta" / "history").unlink()
    core = conda_channel.core(engine="conda")
    assert verdicts(core.planner().plan(["trusty-lib"], prefix)) == {LIB: "trusted"}
    assert verdicts(asyncio.run(core.planner().plan_async(["trusty-lib"], prefix))) == {LIB: "trusted"}
    commands = [call["argv"][1] for call in conda_channel.standin.calls()]
    assert commands == (["install"] * 2 if history else ["install", "create"] * 2)


def test_a_new_prefix_is_planned_with_create(conda_channel):
    prefix = conda_channel.envs / "brand-new"
    plan = conda_channel.core(engine="conda").planner().plan(["trusty-lib"], prefix)
    assert verdicts(plan) == {LIB: "trusted"}
    assert conda_channel.standin.calls()[0]["argv"][1] == "create"


# -- conda's answer is never trusted -----------------------------------------------------------------
def test_a_record_not_in_the_served_repodata_blocks(conda_channel):
    evil = {
        "base_url": conda_channel.channel_url,
        "build_number": 0,
        "build_string": "0",
        "channel": "channel/demo",
        "dist_name": "evil-6.6-0",
        "name": "evil",
        "platform": "noarch",
        "version": "6.6",
    }
    fetch = {
        "name": "evil",
        "version": "6.6",
        "build": "0",
        "build_number": 0,
        "fn": "evil-6.6-0.conda",
        "subdir": "noarch",
        "url": f"{conda_channel.channel_url}/noarch/evil-6.6-0.conda",
        "sha256": "a" * 64,
        "size": 10,
        "depends": [],
    }
    conda_channel.standin.behave(add=[{"link": evil, "fetch": fetch}])
    core, prefix = conda_channel.core(engine="conda"), conda_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    assert verdicts(plan)["evil-6.6-0.conda"] == "untrusted" and plan.blocked
    assert "not found in the verified repodata" in reason(plan, "evil-6.6-0.conda")
    before = tree_digest(prefix)
    with pytest.raises(InstallRefused):
        core.installer().apply(plan)
    assert tree_digest(prefix) == before


@pytest.mark.parametrize("claim", [{"sha256": "b" * 64}, {"size": 999999}, {"depends": ["evil"]}])
def test_conda_disagreeing_with_the_capture_about_a_real_file_blocks(conda_channel, claim):
    conda_channel.standin.behave(fetch={"trusty-lib": claim})
    plan = conda_channel.core(engine="conda").planner().plan(["trusty-app"], conda_channel.prefix())
    assert verdicts(plan) == {APP: "trusted", LIB: "untrusted"} and plan.blocked
    assert "differs from the verified record" in reason(plan, LIB)


def test_conda_claiming_another_version_for_a_file_blocks(conda_channel):
    conda_channel.standin.behave(link={"trusty-lib": {"version": "9.9", "dist_name": "trusty-lib-1.0-0"}})
    plan = conda_channel.core(engine="conda").planner().plan(["trusty-app"], conda_channel.prefix())
    assert plan.blocked and verdicts(plan)[LIB] == "untrusted"


def test_a_package_from_a_channel_that_is_not_allowed_blocks(conda_channel):
    other = "http://127.0.0.1:9/channel/elsewhere"
    conda_channel.standin.behave(
        link={"trusty-lib": {"base_url": other}},
        fetch={"trusty-lib": {"url": f"{other}/noarch/{LIB}"}},
    )
    plan = conda_channel.core(engine="conda").planner().plan(["trusty-app"], conda_channel.prefix())
    assert plan.blocked and verdicts(plan)[LIB] == "untrusted"
    assert "not an allowed channel" in reason(plan, LIB)


def test_conda_linking_one_name_twice_is_an_error(conda_channel):
    app = conda_channel.core().planner().plan(["trusty-app"], conda_channel.prefix())
    assert app.packages
    twin = {"base_url": conda_channel.channel_url, "dist_name": "trusty-lib-1.0-0", "name": "trusty-lib"}
    conda_channel.standin.behave(add=[{"link": {**twin, "platform": "noarch", "version": "1.0"}}])
    with pytest.raises(EngineError, match="twice"):
        conda_channel.core(engine="conda").planner().plan(["trusty-app"], conda_channel.prefix())


@pytest.mark.parametrize(
    ("spec", "policy", "expected", "blocked"),
    [
        ("tampered-tool", "allow", {TAMPERED: "untrusted", LIB: "trusted"}, True),
        ("unsigned-extra", "warn", {UNSIGNED: "unsigned"}, False),
        ("unsigned-extra", "block", {UNSIGNED: "unsigned"}, True),
    ],
)
def test_tampered_and_unsigned_packages_get_rattlers_verdicts(conda_channel, spec, policy, expected, blocked):
    prefix = conda_channel.prefix()
    plan = conda_channel.core(engine="conda", unsigned=policy).planner().plan([spec], prefix)
    rattler_plan = conda_channel.core(unsigned=policy).planner().plan([spec], prefix)
    assert verdicts(plan) == expected == verdicts(rattler_plan)
    assert plan.blocked is blocked is rattler_plan.blocked
    assert plan.needs_confirmation is rattler_plan.needs_confirmation


# -- conda's output, errors and process handling -----------------------------------------------------
def test_noise_before_the_json_is_tolerated(conda_channel):
    conda_channel.standin.behave(noise="Collecting package metadata: done\nSolving environment: done\n{oops\n")
    plan = conda_channel.core(engine="conda").planner().plan(["trusty-app"], conda_channel.prefix())
    assert verdicts(plan) == {APP: "trusted", LIB: "trusted"}


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (
            {"error": {"exception_name": "PackagesNotFoundError", "message": f"not found in /t/{TOKEN}/demo"}},
            "PackagesNotFoundError",
        ),
        ({"error": {"success": False, "error": f"bad token {TOKEN}"}}, "could not plan"),
        ({"raw": f"Traceback (most recent call last): token {TOKEN}\n", "exit_code": 3}, "exit code 3"),
        ({"raw": json.dumps({"success": True, "actions": {}}), "exit_code": 1}, "exit code 1"),
        ({"raw": json.dumps({"success": True, "actions": {"LINK": "x"}})}, "malformed"),
        ({"raw": ""}, "no JSON answer"),
    ],
)
def test_conda_failures_are_clear_token_free_errors(conda_channel, behaviour, message):
    core = conda_channel.core(engine="conda")
    core.tokens().write(TOKEN)
    conda_channel.standin.behave(**behaviour)
    with pytest.raises(EngineError) as info:
        core.planner().plan(["trusty-app"], conda_channel.prefix())
    assert message in str(info.value) and TOKEN not in str(info.value)


def test_argv_and_environment_carry_no_secret(conda_channel):
    conda_channel.environ.update(JUPYTERHUB_API_TOKEN="hub-secret-1", JPY_API_TOKEN="jpy-secret-2")
    core = conda_channel.core(engine="conda")
    core.tokens().write(TOKEN)
    prefix = conda_channel.prefix()
    core.planner().plan(["trusty-app", "trusty-lib >=1"], prefix)
    (call,) = conda_channel.standin.calls()
    argv, env = call["argv"], call["env"]
    assert argv[0] == str(conda_channel.standin.exe) and argv[1] == "install"
    assert {"--dry-run", "--json", "--yes", "--quiet", "--override-channels"} <= set(argv)
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-c"] == [conda_channel.channel_url]
    assert argv[argv.index("--prefix") + 1] == str(prefix)
    assert argv[argv.index("--") + 1 :] == ["trusty-app", "trusty-lib >=1"]
    assert argv.index("--") > argv.index("--prefix")
    assert TOKEN not in json.dumps(call)
    assert not {"JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN"} & set(env)
    assert "hub-secret-1" not in json.dumps(env) and "jpy-secret-2" not in json.dumps(env)


def test_channel_urls_passed_to_conda_are_token_free(tmp_path):
    call = conda_engine.CondaCall(
        executable="/opt/conda/bin/conda",
        specs=("numpy",),
        channels=(f"http://127.0.0.1:8/t/{TOKEN}/channel/demo", "http://user:pw@127.0.0.1:8/c"),
        prefix=str(tmp_path / "env"),
        env={},
    )
    argv = call.argv()
    assert TOKEN not in " ".join(argv) and "pw" not in " ".join(argv)
    assert argv[:2] == ["/opt/conda/bin/conda", "create"] and argv[-2:] == ["--", "numpy"]
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-c"] == [
        "http://127.0.0.1:8/channel/demo",
        "http://127.0.0.1:8/c",
    ]


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_hung_conda_is_killed_and_reported(conda_channel, monkeypatch):
    monkeypatch.setattr(conda_engine, "DEFAULT_TIMEOUT", 3.0)
    conda_channel.standin.behave(hang=True)
    start = time.monotonic()
    with pytest.raises(EngineError, match="did not finish within 3 s"):
        conda_channel.core(engine="conda").planner().plan(["trusty-app"], conda_channel.prefix())
    assert time.monotonic() - start < 30
    hung = conda_channel.standin.hung()
    assert hung and _wait_gone(hung["pid"]) and _wait_gone(hung["child"]), "conda and its children must be killed"


def test_cancelling_an_async_plan_kills_conda(conda_channel):
    conda_channel.standin.behave(hang=True)
    core = conda_channel.core(engine="conda")

    async def scenario() -> None:
        task = asyncio.ensure_future(core.planner().plan_async(["trusty-app"], conda_channel.prefix()))
        for _ in range(200):
            if conda_channel.standin.hung():
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    hung = conda_channel.standin.hung()
    assert hung and _wait_gone(hung["pid"]) and _wait_gone(hung["child"])


# -- configuration and status ----------------------------------------------------------------------
def test_engine_conda_without_a_conda_executable_is_a_clear_error(signed_channel, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    signed_channel.environ["PATH"] = "/nonexistent"
    core = signed_channel.core(engine="conda")
    with pytest.raises(EngineUnavailable, match="no conda executable was found"):
        core.planner().plan(["trusty-app"], signed_channel.prefix())
    engine = build_status(core).to_json()["engine"]
    assert engine["name"] == "conda" and engine["effective"] is None and engine["available"] == ["rattler"]
    assert "no conda executable" in engine["error"]
    assert signed_channel.core(engine="auto").planner().plan(["trusty-lib"], signed_channel.prefix()).packages


def test_status_reports_the_engines(conda_channel):
    from engine_fixtures import CONDA_VERSION

    engine = build_status(conda_channel.core(engine="conda")).to_json()["engine"]
    assert engine == {
        "name": "conda",
        "effective": "conda",
        "available": ["rattler", "conda"],
        "conda": {"executable": str(conda_channel.standin.exe), "version": CONDA_VERSION},
        "locked": False,
        "source": "config",
        "error": None,
    }
    default = build_status(conda_channel.core()).to_json()["engine"]
    assert default["name"] == "rattler" and default["effective"] == "rattler" and default["source"] == "default"


def test_engine_is_locked_by_the_policy_file(conda_channel, tmp_path):
    from jupyter_trust.policy import Policy, PolicyError

    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"engine": "conda"}))
    policy = Policy.load({"engine": "rattler"}, policy_file=path)
    assert policy.engine == "conda" and policy.get("engine").locked
    with pytest.raises(PolicyError):
        Policy.load({"engine": "mamba"})


# -- the CLI and the REST API ------------------------------------------------------------------------
def _cli_env(monkeypatch, channel, policy: dict, tmp_path: Path) -> None:
    path = tmp_path / "admin-policy.json"
    path.write_text(json.dumps({"allowed_prefix_roots": [str(channel.envs)], **policy}))
    for name in ("CONDARC", "JUPYTER_TRUST_ROOT", "CONDA_EXE"):
        if name in channel.environ:
            monkeypatch.setenv(name, channel.environ[name])
    monkeypatch.setenv("JUPYTER_TRUST_POLICY_FILE", str(path))


def test_cli_plan_with_conda(conda_channel, monkeypatch, tmp_path, capsys):
    from jupyter_trust.cli import main

    _cli_env(monkeypatch, conda_channel, {"engine": "conda"}, tmp_path)
    prefix = conda_channel.prefix()
    assert main(["plan", "trusty-app", "--prefix", str(prefix), "--json"]) == 0
    assert {p["filename"] for p in json.loads(capsys.readouterr().out)["packages"]} == {APP, LIB}
    conda_channel.standin.behave(error={"exception_name": "UnsatisfiableError", "message": f"no {TOKEN}"})
    monkeypatch.setenv("CONDA_TOKEN", TOKEN)  # a secret in the parent's environment
    assert main(["plan", "trusty-app", "--prefix", str(prefix), "--json"]) == 2
    err = capsys.readouterr().err
    assert "UnsatisfiableError" in err and "Traceback" not in err
    assert "CONDA_TOKEN" not in conda_channel.standin.calls()[-1]["env"]


def test_cli_engine_conda_without_conda_exits_2(signed_channel, monkeypatch, tmp_path, capsys):
    from jupyter_trust.cli import main

    _cli_env(monkeypatch, signed_channel, {"engine": "conda"}, tmp_path)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["plan", "trusty-app", "--prefix", str(signed_channel.prefix())]) == 2
    assert "no conda executable was found" in capsys.readouterr().err


@pytest.fixture
def conda_server(conda_channel, jp_serverapp):
    return serve_with_conda(jp_serverapp, conda_channel)


async def _post_plan(jp_fetch, prefix: Path) -> tuple[int, dict]:
    from tornado.httpclient import HTTPClientError

    body = json.dumps({"specs": ["trusty-app"], "prefix": str(prefix)})
    try:
        response = await jp_fetch("jupyter-trust", "plans", method="POST", body=body)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body)


async def test_rest_plans_with_conda_and_reports_its_errors(conda_server, jp_fetch):
    prefix = conda_server.prefix()
    code, plan = await _post_plan(jp_fetch, prefix)
    assert code == 201 and {p["filename"] for p in plan["packages"]} == {APP, LIB} and not plan["blocked"]
    status = json.loads((await jp_fetch("jupyter-trust", "status")).body)["engine"]
    assert status["effective"] == "conda" and status["available"] == ["rattler", "conda"]
    conda_server.environ["JUPYTERHUB_API_TOKEN"] = "hub-secret-3"
    conda_server.standin.behave(error={"exception_name": "CondaHTTPError", "message": f"401 for /t/{TOKEN}/x"})
    code, error = await _post_plan(jp_fetch, prefix)
    assert code == 422 and "CondaHTTPError" in json.dumps(error) and TOKEN not in json.dumps(error)
    assert "hub-secret-3" not in json.dumps(conda_server.standin.calls()[-1]["env"])


async def test_rest_engine_conda_without_conda_is_422_unavailable(conda_server, jp_serverapp, jp_fetch, monkeypatch):
    del conda_server.environ["CONDA_EXE"]
    conda_server.environ["PATH"] = "/nonexistent"
    monkeypatch.setenv("PATH", "/nonexistent")
    jp_serverapp.web_app.settings["jupyter_trust_core"].__dict__.pop("conda", None)
    code, error = await _post_plan(jp_fetch, conda_server.prefix())
    # A setting that cannot be used here, not a malformed request.
    assert code == 422 and error["kind"] == "unavailable" and "no conda executable was found" in error["message"]


def test_answer_parsing_without_actions_and_with_huge_output():
    nothing = Completed(b'{"success": true, "message": "All requested packages already installed."}', b"", 0)
    assert conda_engine.answer(nothing) == conda_engine.DryRun([], [], [])
    with pytest.raises(EngineError, match="larger"):
        conda_engine.answer(Completed(b" " * (conda_engine.MAX_OUTPUT_BYTES + 1), b"", 0))
    with pytest.raises(EngineError, match="does not say success"):
        conda_engine.answer(Completed(b"{}", b"", 0))
