"""Plans with publish attestations: a loopback channel with CEP 50 sidecars from a private Sigstore, real
rattler solves and installs. Evidence is content trust OR a verified attestation; failures block."""

from __future__ import annotations

import json

import pytest
from attest_fixtures import PUBLISHER, STRANGER, fn, make_attested_channel
from channel_fixtures import tree_digest
from sigstore_fixtures import sidecar

from jupyter_trust.plans.install import PlanChanged


@pytest.fixture(scope="module")
def attested(tmp_path_factory):
    channel = make_attested_channel(tmp_path_factory.mktemp("attested"))
    yield channel
    channel.stop()


@pytest.fixture
def fresh(tmp_path):
    channel = make_attested_channel(tmp_path)
    yield channel
    channel.stop()


def plan(attested, spec: str, prefix_name: str = "target", **policy):
    core = attested.core(**policy)
    return core, core.planner().plan([spec], attested.channel.prefix(prefix_name))


def attestation(plan_, name: str) -> dict:
    return next(p.attestation for p in plan_.packages if p.name == name)


def test_attested_unsigned_packages_install_without_the_unsigned_confirmation(attested):
    core, p = plan(attested, "att-app", "attested-install")
    assert not p.blocked and not p.needs_confirmation, p.reasons
    for name in ("att-app", "att-lib"):
        package = next(x for x in p.packages if x.name == name)
        assert package.verdict == "unsigned"
        att = package.attestation
        assert att["status"] == "verified", att["reason"]
        assert att["transport"] == "cep50" and att["sidecar_sha256"] == attested.record(name)["attestations_sha256"]
        assert att["signer"]["repository"] == PUBLISHER.repository and att["signer"]["commit"] == PUBLISHER.commit
        assert isinstance(att["log_index"], int) and att["integrated_time"].endswith("Z")
    document = p.to_json()
    assert set(document["packages"][0]["attestation"]) == {
        "status",
        "signer",
        "transport",
        "sidecar_sha256",
        "log_index",
        "integrated_time",
        "reason",
    }
    assert set(document["packages"][0]["attestation"]["signer"]) == {
        "identity",
        "issuer",
        "repository",
        "ref",
        "commit",
    }
    loaded = core.planner().load(p.id)
    assert loaded.id == p.id and attestation(loaded, "att-app")["status"] == "verified"
    result = core.installer().apply(p)
    assert result.installed and sorted(result.linked) == [fn("att-app"), fn("att-lib")]


def test_unsigned_block_policy_spares_attested_packages(attested):
    _, p = plan(attested, "att-app", unsigned="block")
    assert not p.blocked, p.reasons
    _, bare = plan(attested, "bare", unsigned="block")
    assert bare.blocked and any("unsigned" in r for r in bare.reasons)


def test_package_with_neither_evidence_needs_confirmation_when_reported(attested):
    _, p = plan(attested, "bare")
    assert attestation(p, "bare")["status"] == "missing"
    assert not p.blocked and p.needs_confirmation


def test_content_trust_alone_is_evidence(attested):
    _, p = plan(attested, "ct-only")
    package = p.packages[0]
    assert package.verdict == "trusted" and package.attestation["status"] == "missing"
    assert not p.blocked and not p.needs_confirmation


@pytest.mark.parametrize("name", ["bare", "ct-only"])
def test_require_blocks_a_missing_attestation(attested, name):
    _, p = plan(attested, name, attestations="require")
    assert p.blocked and any("requires one" in r for r in p.reasons)


def test_require_per_channel_mapping(attested):
    _, p = plan(attested, "bare", attestations={attested.url: "require"})
    assert p.blocked
    _, other = plan(attested, "bare", attestations={"http://127.0.0.1:9/elsewhere": "require"})
    assert not other.blocked
    _, star = plan(attested, "bare", attestations={"*": "require"})
    assert star.blocked


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("foreign", "untrusted-publisher", "not a trusted publisher"),
        ("forged", "invalid", "sha256"),
        ("gone", "retrieval-failed", "404"),
        ("huge", "retrieval-failed", "limit"),
        ("badhash", "retrieval-failed", "differs from the attestations_sha256"),
    ],
)
def test_bad_attestations_block_the_plan(attested, name, status, words):
    _, p = plan(attested, name)
    att = attestation(p, name)
    assert att["status"] == status and words in att["reason"], att
    assert p.blocked and any(f"attestation {status}" in r for r in p.reasons)


def test_untrusted_publisher_still_shows_who_signed(attested):
    _, p = plan(attested, "foreign")
    assert attestation(p, "foreign")["signer"]["repository"] == STRANGER.repository


def test_any_valid_signer_when_the_channel_names_no_publishers(attested):
    _, p = plan(attested, "foreign", trusted_publishers={})
    assert attestation(p, "foreign")["status"] == "verified" and not p.blocked


def test_empty_publisher_list_accepts_none(attested):
    _, p = plan(attested, "att-lib", trusted_publishers={attested.url: []})
    assert attestation(p, "att-lib")["status"] == "untrusted-publisher" and p.blocked


def test_attestations_off_fetches_nothing(attested):
    before = len(attested.channel.server.request_log)
    _, p = plan(attested, "foreign", attestations="off")
    assert attestation(p, "foreign")["status"] == "not-checked" and not p.blocked
    assert not [r for r in attested.channel.server.request_log[before:] if ".sigs" in r]


def test_v0_sigs_only_for_channels_configured_for_it(attested):
    _, p = plan(attested, "oldstyle")
    assert attestation(p, "oldstyle")["status"] == "missing"
    _, p = plan(attested, "oldstyle", attestations_v0_sigs_channels=[attested.url])
    att = attestation(p, "oldstyle")
    assert att["status"] == "verified" and att["transport"] == "v0.sigs", att
    assert not p.needs_confirmation
    _, bare = plan(attested, "bare", attestations_v0_sigs_channels=[attested.url])
    assert attestation(bare, "bare")["status"] == "missing"  # a 404 for .v0.sigs means none


def test_non_canonical_attestations_sha256_is_a_retrieval_failure(fresh):
    repodata = fresh.channel.repodata()
    record = repodata["packages.conda"][fn("att-lib")]
    record["attestations_sha256"] = record["attestations_sha256"].upper()
    fresh.channel.serve_repodata(repodata)
    _, p = plan(fresh, "att-lib")
    assert attestation(p, "att-lib")["status"] == "retrieval-failed" and p.blocked
    assert not [r for r in fresh.channel.server.request_log if ".sigs" in r]


def test_path_in_attestations_sha256_never_becomes_a_url(fresh):
    repodata = fresh.channel.repodata()
    repodata["packages.conda"][fn("att-lib")]["attestations_sha256"] = "../../../etc/passwd"
    fresh.channel.serve_repodata(repodata)
    with pytest.raises(Exception, match="digest"):  # the solver already refuses such repodata
        plan(fresh, "att-lib")
    assert not [r for r in fresh.channel.server.request_log if "passwd" in r or ".sigs" in r]


def test_server_error_for_a_sidecar_is_a_retrieval_failure(fresh):
    sha = fresh.record("att-lib")["attestations_sha256"]
    fresh.channel.server.set_override(fresh.path(f"{fn('att-lib')}.sigs.{sha}"), 500)
    _, p = plan(fresh, "att-lib")
    assert attestation(p, "att-lib")["status"] == "retrieval-failed" and p.blocked


def test_mutable_sidecar_name_is_the_fallback(fresh):
    sha = fresh.record("att-lib")["attestations_sha256"]
    fresh.channel.server.set_override(fresh.path(f"{fn('att-lib')}.sigs.{sha}"), 404)
    _, p = plan(fresh, "att-lib")
    assert attestation(p, "att-lib")["status"] == "verified"


def test_sidecar_swapped_after_planning_is_refused_at_install(fresh):
    core, p = plan(fresh, "att-lib")
    assert not p.blocked
    sha = fresh.record("att-lib")["attestations_sha256"]
    other = sidecar(fresh.sigstore.attest(fn("att-lib"), fresh.record("att-lib")["sha256"], PUBLISHER))
    fresh.channel.server.set_override(fresh.path(f"{fn('att-lib')}.sigs.{sha}"), other)
    fresh.channel.server.set_override(fresh.path(f"{fn('att-lib')}.sigs"), other)
    prefix = fresh.channel.prefix()
    before = tree_digest(prefix)
    with pytest.raises(PlanChanged, match="attestation sidecar of att-lib"):
        core.installer().apply(p)
    assert tree_digest(prefix) == before


def test_a_warm_plan_reuses_a_verified_pinned_sidecar_and_the_install_still_rechecks_it(fresh, monkeypatch):
    from jupyter_trust.plans import attestations

    plan(fresh, "att-lib")
    before = len(fresh.channel.server.request_log)

    def no_pool(*args, **kwargs):
        raise AssertionError("a warm plan of verified pinned sidecars starts no threads")

    monkeypatch.setattr(attestations, "ThreadPoolExecutor", no_pool)
    core, p = plan(fresh, "att-lib")
    monkeypatch.undo()
    assert attestation(p, "att-lib")["status"] == "verified" and not p.blocked
    assert not [r for r in fresh.channel.server.request_log[before:] if ".sigs" in r]  # its sha256 pins it
    sha = fresh.record("att-lib")["attestations_sha256"]
    other = sidecar(fresh.sigstore.attest(fn("att-lib"), fresh.record("att-lib")["sha256"], PUBLISHER))
    fresh.channel.server.set_override(fresh.path(f"{fn('att-lib')}.sigs.{sha}"), other)
    fresh.channel.server.set_override(fresh.path(f"{fn('att-lib')}.sigs"), other)
    with pytest.raises(PlanChanged, match="attestation sidecar of att-lib"):
        core.installer().recheck(p)


def test_a_remembered_result_is_only_for_the_same_publishers(fresh):
    _, p = plan(fresh, "att-lib")
    assert attestation(p, "att-lib")["status"] == "verified"
    _, p = plan(fresh, "att-lib", trusted_publishers={fresh.url: [STRANGER.policy_entry()]})
    assert attestation(p, "att-lib")["status"] == "untrusted-publisher" and p.blocked
    _, p = plan(fresh, "att-lib", trusted_publishers={fresh.url: []})
    assert attestation(p, "att-lib")["status"] == "untrusted-publisher" and p.blocked
    _, p = plan(fresh, "att-lib")
    assert attestation(p, "att-lib")["status"] == "verified"


def test_a_remembered_result_is_only_for_the_advertised_sidecar(fresh):
    _, p = plan(fresh, "att-lib")
    assert attestation(p, "att-lib")["status"] == "verified"
    repodata = fresh.channel.repodata()
    repodata["packages.conda"][fn("att-lib")]["attestations_sha256"] = "0" * 64
    fresh.channel.serve_repodata(repodata)
    _, p = plan(fresh, "att-lib")
    assert attestation(p, "att-lib")["status"] == "retrieval-failed" and p.blocked


def test_v0_sigs_swapped_after_planning_is_refused_at_install(fresh):
    core, p = plan(fresh, "oldstyle", attestations_v0_sigs_channels=[fresh.url])
    assert attestation(p, "oldstyle")["status"] == "verified"
    again = sidecar(fresh.sigstore.attest(fn("oldstyle"), fresh.record("oldstyle")["sha256"], PUBLISHER))
    fresh.channel.server.set_override(fresh.path(f"{fn('oldstyle')}.v0.sigs"), again)
    with pytest.raises(PlanChanged, match="oldstyle"):
        core.installer().recheck(p)


def test_untouched_sidecars_pass_the_install_recheck(fresh):
    core, p = plan(fresh, "att-app")
    captured, linking = core.installer().recheck(p)
    assert len(linking) == 2


def test_plan_files_from_before_attestations_still_load(attested):
    core, p = plan(attested, "bare")
    document = p.to_json()
    for package in document["packages"]:
        package.pop("attestation")
    from jupyter_trust.plans.model import Plan

    old = Plan.from_json(json.loads(json.dumps(document)))
    assert old.packages[0].attestation is None


def test_record_missing_from_the_verified_repodata_is_never_looked_up():
    from jupyter_trust.plans.attestations import check_package
    from jupyter_trust.plans.model import PlannedPackage
    from jupyter_trust.policy import Policy

    package = PlannedPackage(
        "x",
        "1",
        "0",
        0,
        "http://127.0.0.1:9/c",
        "noarch",
        "../../x-1-0.conda",
        "",
        "a" * 64,
        1,
        "install",
        "untrusted",
        "not in the verified repodata",
    )
    policy = Policy.load({"attestations_v0_sigs_channels": ["http://127.0.0.1:9/c"]})
    result = check_package(package, None, policy=policy, channel_name=None, fetch=None, root=None)  # type: ignore[arg-type]
    assert result.status == "not-checked"
    # Listed in the repodata but with a file name that would leave the channel's directory: refused, not fetched.
    result = check_package(package, {"fn": package.filename}, policy=policy, channel_name=None, fetch=None, root=None)  # type: ignore[arg-type]
    assert result.status == "invalid" and result.blocks


def test_sidecars_of_a_token_protected_channel_never_show_the_token(tmp_path):
    from channel_fixtures import make_signed_channel

    token = "tok-SENTINEL-77aa0c3d9e"
    attested = make_attested_channel(tmp_path, require_token=token)
    metadata = make_signed_channel(tmp_path / "meta")  # trust metadata is public
    try:
        channel = attested.channel
        channel.condarc.write_text(
            f"channels:\n  - {channel.channel_url}\nextra_safety_checks: true\n"
            f"signing_metadata_url_base: {metadata.metadata_url}\n"
        )
        channel.environ = {
            **channel.environ,
            "CONDA_TOKEN_REPO_URL": channel.url + "/",
            "JUPYTER_TRUST_ROOT": str(metadata.built.root_path),
        }
        core = attested.core(attestations_v0_sigs_channels=[attested.url])
        core.tokens().write(token)
        prefix = channel.prefix()
        good = core.planner().plan(["att-lib"], prefix)
        assert attestation(good, "att-lib")["status"] == "verified"
        assert any(f"/t/{token}/" in r and ".sigs" in r for r in channel.server.request_log)
        channel.server.set_override(attested.path(f"{fn('oldstyle')}.v0.sigs"), 500)
        for spec in ("gone", "oldstyle"):
            p = core.planner().plan([spec], prefix)
            assert attestation(p, spec)["status"] == "retrieval-failed"
            assert token not in json.dumps(p.to_json())
    finally:
        attested.stop()
        metadata.server.stop()


def test_an_unexpected_failure_while_checking_blocks(attested, monkeypatch):
    from jupyter_trust.plans import attestations

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(attestations, "check_package", broken)
    _, p = plan(attested, "att-lib")
    att = attestation(p, "att-lib")
    assert att["status"] == "invalid" and "RuntimeError" in att["reason"] and p.blocked
