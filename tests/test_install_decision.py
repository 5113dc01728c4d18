"""The one install decision (plans/decision.py) and the one environment claim (plans/claim.py), unit by unit."""

from __future__ import annotations

import json
import os

import pytest

from jupyter_trust.errors import Kind
from jupyter_trust.plans.claim import InstallCancelled, InstallClaim, PrefixBusy, prefix_lock
from jupyter_trust.plans.decision import ConfirmationNeeded, InstallRefused, check_installable, decide, install_refusal
from jupyter_trust.plans.model import Plan, PlannedPackage
from jupyter_trust.policy import Policy
from jupyter_trust.redact import Redactor

SECRET = "tok-DECISION-SENTINEL-4242"


def package(verdict: str = "trusted", *, action: str = "install", name: str = "a", previous: str | None = None):
    return PlannedPackage(
        name=name,
        version="1.0",
        build="0",
        build_number=0,
        channel="https://c",
        subdir="noarch",
        filename=f"{name}-1.0-0.conda",
        url="https://c/noarch/x.conda",
        sha256="0" * 64,
        size=1,
        action=action,  # type: ignore[arg-type]
        verdict=verdict,  # type: ignore[arg-type]
        reason="why",
        previous_version=previous,
    )


def plan_with(decision) -> Plan:
    return Plan(
        prefix="/p",
        specs=("a",),
        packages=(),
        repodata=(),
        trust={},
        blocked=decision.blocked,
        reasons=decision.reasons,
        needs_confirmation=decision.needs_confirmation,
    )


# -- decide ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("verdicts", "policy", "blocked", "confirm"),
    [
        (["trusted"], "warn", False, False),
        (["trusted", "unsigned"], "allow", False, False),
        (["trusted", "unsigned"], "warn", False, True),
        (["unsigned"], "block", True, False),
        (["trusted", "untrusted"], "allow", True, False),  # untrusted blocks whatever the unsigned policy
        (["untrusted", "unsigned"], "warn", True, False),  # blocked wins over "needs confirmation"
        ([], "warn", False, False),
    ],
)
def test_verdicts_and_the_unsigned_policy(verdicts, policy, blocked, confirm):
    got = decide(
        [package(v, name=f"p{i}") for i, v in enumerate(verdicts)],
        policy=Policy.load({"unsigned": policy}),
        requested={"p0"},
    )
    assert (got.blocked, got.needs_confirmation) == (blocked, confirm)
    assert bool(got.reasons) == blocked


def test_untrusted_reason_names_the_file_and_the_verifier_reason():
    got = decide([package("untrusted")], policy=Policy.load({"unsigned": "allow"}), requested=set())
    assert got.reasons == ("a-1.0-0.conda is UNTRUSTED: why",)


def test_unrequested_downgrade_blocks_a_requested_one_does_not():
    down = package(action="downgrade", name="lib", previous="2.0")
    assert decide([down], policy=Policy.load({"unsigned": "allow"}), requested={"app"}).blocked
    assert not decide([down], policy=Policy.load({"unsigned": "allow"}), requested={"lib"}).blocked


def test_removals_do_not_block_and_trust_reasons_do():
    removal = package("n/a", action="remove")
    assert not decide([removal], policy=Policy.load({"unsigned": "block"}), requested=set()).blocked
    got = decide(
        [package()], policy=Policy.load({"unsigned": "allow"}), requested=set(), trust_reasons=["no verified key_mgr"]
    )
    assert got.blocked and got.reasons == ("no verified key_mgr",)


# -- install_refusal: what every surface asks before installing ----------------------------------------------------
def test_blocked_plan_is_refused_even_when_unsigned_is_confirmed():
    plan = plan_with(decide([package("untrusted")], policy=Policy.load({"unsigned": "warn"}), requested=set()))
    refusal = install_refusal(plan, confirm_unsigned=True)
    assert isinstance(refusal, InstallRefused) and not isinstance(refusal, ConfirmationNeeded)
    assert refusal.kind is Kind.VERIFICATION_FAILED and refusal.details["reasons"] == list(plan.reasons)


def test_unsigned_needs_the_surfaces_own_words_to_confirm():
    plan = plan_with(decide([package("unsigned")], policy=Policy.load({"unsigned": "warn"}), requested=set()))
    with pytest.raises(ConfirmationNeeded, match="pass --confirm-unsigned"):
        check_installable(plan, confirm_unsigned=False, how_to_confirm="pass --confirm-unsigned")
    assert install_refusal(plan, confirm_unsigned=True) is None


def test_a_tampered_plan_document_cannot_unblock_itself():
    # A plan says blocked in its own content; its id is the sha256 of that content, so flipping the flag is a
    # different plan. The decision reads the flag, which the planner set from the verdicts.
    plan = plan_with(decide([package("untrusted")], policy=Policy.load({"unsigned": "allow"}), requested=set()))
    data = plan.to_json()
    data["blocked"] = False
    assert Plan.from_json(data).id != plan.id


# -- InstallClaim: the lock and the journal, together ----------------------------------------------------------------
def record(task_id: str = "ab" * 16, prefix: str = "/env") -> dict:
    return {"id": task_id, "plan_id": "cd" * 32, "prefix": prefix, "state": "running"}


def journal(work_dir, task_id: str = "ab" * 16) -> dict:
    return json.loads((work_dir / "tasks" / f"{task_id}.json").read_text())


def test_claim_holds_the_lock_and_refuses_a_second_writer(tmp_path):
    with InstallClaim(tmp_path, record(), redact=Redactor()):
        with pytest.raises(PrefixBusy) as info:
            InstallClaim(tmp_path, record("ef" * 16), redact=Redactor()).open()
        assert info.value.kind is Kind.BUSY
    # Released on leaving: the next install may start.
    with InstallClaim(tmp_path, record("ef" * 16), redact=Redactor()) as claim:
        claim.finish("succeeded")


def test_claim_journals_a_failure_with_the_error_redacted_and_releases_the_lock(tmp_path):
    with pytest.raises(RuntimeError), InstallClaim(tmp_path, record(), redact=Redactor([SECRET])):
        raise RuntimeError(f"link failed for https://x/t/{SECRET}/pkg")
    entry = journal(tmp_path)
    assert entry["state"] == "failed" and SECRET not in json.dumps(entry) and entry["pid"] == os.getpid()
    lock = prefix_lock(tmp_path, "/env")
    lock.acquire()
    lock.release()


def test_claim_journals_a_cancellation(tmp_path):
    with pytest.raises(InstallCancelled), InstallClaim(tmp_path, record(), redact=Redactor()):
        raise InstallCancelled("cancelled before anything was linked")
    assert journal(tmp_path)["state"] == "cancelled"


def test_claim_success_repairs_earlier_interrupted_installs_into_the_same_environment(tmp_path):
    dead = {**record("01" * 16), "pid": 2**22 + 4321}  # a process that no longer exists
    (tmp_path / "tasks").mkdir(mode=0o700)
    (tmp_path / "tasks" / f"{dead['id']}.json").write_text(json.dumps(dead))
    other_env = {**record("02" * 16, prefix="/other"), "pid": 2**22 + 4321}
    (tmp_path / "tasks" / f"{other_env['id']}.json").write_text(json.dumps(other_env))
    with InstallClaim(tmp_path, record(), redact=Redactor()) as claim:
        claim.finish("succeeded", fields={"result": {"installed": True}})
    assert journal(tmp_path)["state"] == "succeeded" and journal(tmp_path)["result"] == {"installed": True}
    assert journal(tmp_path, dead["id"])["state"] == "repaired"
    assert journal(tmp_path, other_env["id"])["state"] == "running"  # another environment: untouched


def test_claim_opened_early_is_kept_when_entered(tmp_path):
    claim = InstallClaim(tmp_path, {**record(), "state": "queued"}, redact=Redactor()).open()
    assert journal(tmp_path)["state"] == "queued"
    with claim:
        claim.write(state="running")
        with pytest.raises(PrefixBusy):
            InstallClaim(tmp_path, record("ef" * 16), redact=Redactor()).open()
        claim.finish("succeeded")
    assert journal(tmp_path)["state"] == "succeeded"
    InstallClaim(tmp_path, record("ef" * 16), redact=Redactor()).open().release()


# -- every surface asks the same decision ----------------------------------------------------------------------------
@pytest.fixture
def cli_channel(signed_channel, monkeypatch, tmp_path):
    """The command line and the magic pointed at the signed channel (condarc, trust root, admin env root)."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"allowed_prefix_roots": [str(signed_channel.envs)]}))
    for name in ("CONDARC", "JUPYTER_TRUST_ROOT"):
        monkeypatch.setenv(name, signed_channel.environ[name])
    monkeypatch.setenv("JUPYTER_TRUST_POLICY_FILE", str(policy))
    return signed_channel


def test_cli_and_magic_refuse_what_the_decision_refuses(cli_channel, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_trust.cli import main

    prefix = str(cli_channel.prefix())
    code = main(["plan", "tampered-tool", "--prefix", prefix, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["blocked"] and doc["ok"] is False and doc["error"]["kind"] == "verification_failed"
    assert doc["error"]["reasons"] == doc["reasons"]

    code = main(["install", "unsigned-extra", "--prefix", prefix, "--yes", "--json"])
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert code == 1 and doc["installed"] is False and doc["needs_confirmation"]
    assert "--confirm-unsigned" in doc["error"]["message"] and "--confirm-unsigned" in err

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_trust")
    try:
        ip.run_line_magic("conda_trust", f"install tampered-tool --prefix {prefix}")
        err = capsys.readouterr().err
        assert err.startswith("%conda_trust: Not installed: the plan is blocked")
    finally:
        InteractiveShell.clear_instance()
    assert not list((cli_channel.prefix() / "conda-meta").glob("*.json"))  # nothing was linked
