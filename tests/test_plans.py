"""Signed plans and fail-closed installs against a real channel over loopback HTTP, with real rattler."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from channel_fixtures import make_signed_channel, tree_digest

from jupyter_trust.cct.canonical import canonical
from jupyter_trust.cct.signing import build_root, sign_openpgp
from jupyter_trust.demo.build import PackageSpec
from jupyter_trust.plans.install import InstallCancelled, InstallRefused, PlanChanged

APP, LIB = "trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"
UNSIGNED, TAMPERED = "unsigned-extra-1.0-0.conda", "tampered-tool-1.0-0.conda"


def verdicts(plan) -> dict[str, str]:
    return {p.filename: p.verdict for p in plan.packages}


def installed(prefix) -> set[str]:
    return {p.name for p in (prefix / "conda-meta").glob("*.json")}


def test_trusted_plan_installs_exactly_the_planned_records(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    assert not plan.blocked and not plan.needs_confirmation, plan.reasons
    assert verdicts(plan) == {APP: "trusted", LIB: "trusted"}
    assert {p.action for p in plan.packages} == {"install"}
    assert [r.sha256 for r in plan.repodata] and plan.id == plan.to_json()["id"]
    result = core.installer().apply(plan)
    assert result.installed and sorted(result.linked) == [APP, LIB]
    assert installed(prefix) == {"trusty-app-1.0-0.json", "trusty-lib-1.0-0.json"}
    meta = json.loads((prefix / "conda-meta" / "trusty-app-1.0-0.json").read_text())
    planned = next(p for p in plan.packages if p.filename == APP)
    assert meta["sha256"] == planned.sha256 and meta["url"] == planned.url
    assert meta["url"].startswith(signed_channel.channel_url) and "file:" not in json.dumps(meta)
    assert (prefix / "share" / "trusty-app" / "app.txt").read_text() == "a trusted app\n"


def test_plan_takes_installed_packages_into_account(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    core.installer().apply(core.planner().plan(["trusty-lib"], prefix))
    plan = core.planner().plan(["trusty-app"], prefix)
    assert [p.filename for p in plan.packages] == [APP]


@pytest.mark.parametrize(
    ("policy", "blocked", "confirm"), [("allow", False, False), ("warn", False, True), ("block", True, False)]
)
def test_unsigned_package_follows_policy(signed_channel, policy, blocked, confirm):
    core, prefix = signed_channel.core(unsigned=policy), signed_channel.prefix()
    plan = core.planner().plan(["unsigned-extra"], prefix)
    assert verdicts(plan) == {UNSIGNED: "unsigned"}
    assert plan.blocked is blocked and plan.needs_confirmation is confirm
    if policy == "warn":
        with pytest.raises(InstallRefused, match="unsigned"):
            core.installer().apply(plan)
        assert installed(prefix) == set()
        assert core.installer().apply(plan, confirm_unsigned=True).installed
    elif policy == "allow":
        assert core.installer().apply(plan).installed
    else:
        with pytest.raises(InstallRefused):
            core.installer().apply(plan, confirm_unsigned=True)


def test_altered_record_blocks(signed_channel):
    core, prefix = signed_channel.core(unsigned="allow"), signed_channel.prefix()
    plan = core.planner().plan(["tampered-tool"], prefix)
    assert verdicts(plan)[TAMPERED] == "untrusted"
    assert plan.blocked and any(TAMPERED in r and "UNTRUSTED" in r for r in plan.reasons)
    before = tree_digest(prefix)
    with pytest.raises(InstallRefused, match="blocked"):
        core.installer().apply(plan)
    assert tree_digest(prefix) == before


def test_signature_moved_to_another_filename_blocks(signed_channel):
    repodata = signed_channel.repodata()
    repodata["signatures"][UNSIGNED] = copy.deepcopy(
        repodata["signatures"][LIB]
    )  # V13: a valid signature, wrong record
    signed_channel.serve_repodata(repodata)
    plan = signed_channel.core(unsigned="allow").planner().plan(["unsigned-extra"], signed_channel.prefix())
    assert verdicts(plan) == {UNSIGNED: "untrusted"} and plan.blocked


def test_filename_not_matching_record_blocks(signed_channel):
    repodata = signed_channel.repodata()
    record = repodata["packages.conda"].pop(LIB)
    repodata["packages.conda"]["trusty-lib-9.9-0.conda"] = record  # V18: signed record served under another name
    repodata["signatures"]["trusty-lib-9.9-0.conda"] = repodata["signatures"].pop(LIB)
    signed_channel.serve_repodata(repodata)
    plan = signed_channel.core().planner().plan(["trusty-lib"], signed_channel.prefix())
    assert plan.blocked
    assert any("does not match" in p.reason for p in plan.packages if p.verdict == "untrusted")


def test_artifact_differing_from_signed_sha256_is_refused_with_nothing_linked(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    archive = signed_channel.built.packages[LIB]
    data = archive.read_bytes()
    evil = data[:-1] + bytes([data[-1] ^ 0xFF])  # same size, different bytes
    signed_channel.server.set_override(f"/channel/demo/noarch/{LIB}", evil)
    before = tree_digest(prefix)
    with pytest.raises(InstallRefused, match="does not match its signed sha256"):
        core.installer().apply(plan)
    assert any(p.endswith(LIB) for p in signed_channel.server.request_log)
    assert tree_digest(prefix) == before and installed(prefix) == set()


def test_repodata_changed_between_plan_and_apply_is_a_conflict(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    signed_channel.serve_repodata(
        signed_channel.repodata() | {"repodata_version": 1, "info": {"subdir": "noarch", "x": 1}}
    )
    before = tree_digest(prefix)
    with pytest.raises(PlanChanged):
        core.installer().apply(plan)
    assert tree_digest(prefix) == before


def test_root_rollback_served_by_the_channel_is_refused(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    root1 = json.loads(signed_channel.built.root_path.read_text())
    # Serve, as "2.root.json", a root that does not follow root 1 (a replayed/older version).
    signed_channel.server.set_override("/metadata/2.root.json", canonical(root1))
    plan = core.planner().plan(["trusty-app"], prefix)
    assert plan.blocked
    assert any("root" in r and "refused" in r for r in plan.reasons), plan.reasons


def test_valid_root_rotation_is_followed(signed_channel):
    keys = signed_channel.built.keys
    root2 = build_root([keys.root.public_hex], 1, [keys.key_mgr.public_hex], 1, version=2)
    sign_openpgp(root2, keys.root)
    signed_channel.server.set_override("/metadata/2.root.json", canonical(root2))
    plan = signed_channel.core().planner().plan(["trusty-app"], signed_channel.prefix())
    assert not plan.blocked and plan.trust["root"]["version"] == 2


def test_key_mgr_unreachable_uses_cached_verified_copy(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    core.planner().plan(["trusty-lib"], prefix)  # caches a verified key_mgr
    signed_channel.server.set_override("/metadata/key_mgr.json", 503)
    plan = core.planner().plan(["trusty-app"], prefix)
    assert not plan.blocked
    assert plan.trust["key_mgr"]["state"] == "cached"
    assert any("cached" in w for w in plan.warnings)


def test_key_mgr_unreachable_without_cache_blocks(signed_channel):
    signed_channel.server.set_override("/metadata/key_mgr.json", 503)
    plan = signed_channel.core().planner().plan(["trusty-app"], signed_channel.prefix())
    assert plan.blocked and any("key_mgr" in r for r in plan.reasons)


def test_expired_metadata_warns_or_blocks_by_policy(tmp_path):
    past = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    channel = make_signed_channel(tmp_path, expiration=past)
    try:
        warn = channel.core(expiry="warn").planner().plan(["trusty-app"], channel.prefix())
        assert not warn.blocked and any("expired" in w for w in warn.warnings)
        block = channel.core(expiry="block").planner().plan(["trusty-app"], channel.prefix())
        assert block.blocked and any("expired" in r for r in block.reasons)
    finally:
        channel.server.stop()


def test_unrequested_downgrade_blocks(tmp_path):
    packages = [
        PackageSpec("trusty-lib", "1.0"),
        PackageSpec("trusty-lib", "2.0"),
        PackageSpec("trusty-app", "1.0", depends=("trusty-lib <2",)),
    ]
    channel = make_signed_channel(tmp_path, packages=packages, tamper=())
    try:
        core, prefix = channel.core(), channel.prefix()
        core.installer().apply(core.planner().plan(["trusty-lib"], prefix))
        plan = core.planner().plan(["trusty-app"], prefix)
        lib = next(p for p in plan.packages if p.name == "trusty-lib")
        assert lib.action == "downgrade" and lib.previous_version == "2.0"
        assert plan.blocked and any("downgraded" in r for r in plan.reasons)
        asked = core.planner().plan(["trusty-app", "trusty-lib <2"], prefix)
        assert not asked.blocked
    finally:
        channel.server.stop()


def test_cancel_before_linking_links_nothing(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    before = tree_digest(prefix)
    with pytest.raises(InstallCancelled):
        core.installer().apply(plan, cancelled=lambda: True)
    assert tree_digest(prefix) == before


def test_token_protected_channel_never_leaks_the_token(tmp_path, monkeypatch):
    token = "tok-SENTINEL-5f3c9a7e1b"
    channel = make_signed_channel(tmp_path, require_token=token)
    metadata = make_signed_channel(tmp_path / "meta")  # trust metadata is public (fetched without the token)
    try:
        channel.condarc.write_text(
            f"channels:\n  - {channel.channel_url}\nextra_safety_checks: true\n"
            f"signing_metadata_url_base: {metadata.metadata_url}\n"
        )
        environ = {
            **channel.environ,
            "CONDA_TOKEN_REPO_URL": channel.url + "/",
            "JUPYTER_TRUST_ROOT": str(metadata.built.root_path),
        }
        channel.environ = environ
        core = channel.core()
        core.tokens().write(token)
        prefix = channel.prefix()
        plan = core.planner().plan(["trusty-lib"], prefix)
        # The channel's packages are signed by a different pkg_mgr key than the metadata server's key_mgr
        # delegates to: the plan must say so, and the token must appear nowhere.
        text = json.dumps(plan.to_json())
        assert token not in text and plan.blocked
        assert any(f"/t/{token}/" in p for p in channel.server.request_log), "the token was sent to the channel"
        assert not any(token in p for p in metadata.server.request_log), "trust metadata must be fetched without it"
        channel.server.set_override("/channel/demo/noarch/repodata.json", 500)
        with pytest.raises(Exception) as info:
            core.planner().plan(["trusty-lib"], prefix)
        assert token not in str(info.value)
    finally:
        channel.server.stop()
        metadata.server.stop()


def test_in_process_install_respects_the_environment_lock(signed_channel):
    from jupyter_trust.plans.install import PrefixBusy, prefix_lock

    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    with prefix_lock(core.private_work_dir(), str(prefix)):  # e.g. a server task installing there right now
        with pytest.raises(PrefixBusy):
            core.installer().apply(plan)
    assert core.installer().apply(plan).installed


def test_unrelated_installed_packages_are_kept(signed_channel):
    core, prefix = signed_channel.core(unsigned="allow"), signed_channel.prefix()
    core.installer().apply(core.planner().plan(["unsigned-extra"], prefix))
    plan = core.planner().plan(["trusty-lib"], prefix)
    assert [(p.name, p.action) for p in plan.packages] == [("trusty-lib", "install")]
    core.installer().apply(plan)
    assert installed(prefix) == {"unsigned-extra-1.0-0.json", "trusty-lib-1.0-0.json"}
