"""Publish attestations from a private, test-only Sigstore: every CEP 27 and bundle attack gives `invalid`."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from sigstore_fixtures import PrivateSigstore, Publisher, sidecar, statement

from jupyter_trust.attest.sidecar import SIDECAR_MAX_BYTES
from jupyter_trust.attest.sigroot import SigstoreRoot
from jupyter_trust.attest.verify import verify_attestation

FN = "trusty-lib-1.0-0.conda"
SHA = "a" * 64
CHANNEL = "http://127.0.0.1:1/attested"
PUBLISHER = Publisher()
ALLOWED = [PUBLISHER.policy_entry()]


@pytest.fixture(scope="module")
def sigstore():
    return PrivateSigstore()


@pytest.fixture(scope="module")
def root(sigstore, tmp_path_factory):
    return SigstoreRoot(sigstore.write_root(tmp_path_factory.mktemp("sigstore") / "trusted_root.json"), "test")


def check(root, data, *, fn=FN, sha=SHA, publishers=ALLOWED):
    return verify_attestation(data, fn, sha, CHANNEL, publishers, root, transport="cep50")


def test_good_attestation_verifies_with_signer_and_log_entry(sigstore, root):
    result = check(root, sidecar(sigstore.attest(FN, SHA, target_channel=CHANNEL))).to_json()
    assert result["status"] == "verified", result["reason"]
    assert result["signer"]["repository"] == PUBLISHER.repository
    assert result["signer"]["identity"] == PUBLISHER.identity
    assert result["signer"]["ref"] == PUBLISHER.ref and result["signer"]["commit"] == PUBLISHER.commit
    assert result["log_index"] == 0 and result["integrated_time"]
    assert "mirror" not in result["reason"]


def test_null_predicate_is_accepted(sigstore, root):
    assert check(root, sidecar(sigstore.attest(FN, SHA))).status == "verified"


def test_signed_long_ago_by_a_certificate_now_expired_still_verifies(sigstore, root):
    then = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(hours=5)
    bundle = sigstore.sign(statement(FN, SHA), integrated_time=then)
    assert check(root, sidecar(bundle)).status == "verified"  # the log's signed time is what counts


def test_other_publisher_is_untrusted_publisher(sigstore, root):
    other = Publisher(repository="https://github.com/someone/else")
    result = check(root, sidecar(sigstore.attest(FN, SHA, other)))
    assert result.status == "untrusted-publisher" and result.signer.repository == other.repository


def test_one_allowed_publisher_among_several_bundles_verifies(sigstore, root):
    other = Publisher(repository="https://github.com/someone/else")
    data = sidecar(sigstore.attest(FN, SHA, other), sigstore.attest(FN, SHA))
    result = check(root, data)
    assert result.status == "verified" and result.signer.repository == PUBLISHER.repository


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        (statement("evil-1.0-0.conda", SHA), "is for 'evil-1.0-0.conda'"),
        (statement(FN, "b" * 64), "sha256"),
        (statement(FN, SHA, predicate_type="https://schemas.conda.org/attestations/publish/v1"), "predicate type"),
        (
            statement(FN, SHA, subjects=[{"name": FN, "digest": {"sha256": SHA}}, {"name": "x.conda", "digest": {}}]),
            "2 subjects",
        ),
        (statement(FN, SHA, subjects=[]), "0 subjects"),
        ({**statement(FN, SHA), "_type": "https://in-toto.io/Statement/v0.1"}, "Statement v1"),
        (b'{"_type": "https://in-toto.io/Statement/v1", "_type": "x"}', "duplicate"),
        ({**statement(FN, SHA), "predicate": ["targetChannel"]}, "predicate"),
    ],
    ids=[
        "other-file",
        "other-digest",
        "wrong-predicate",
        "two-subjects",
        "no-subject",
        "old-statement",
        "dup-key",
        "predicate-list",
    ],
)
def test_statement_not_about_this_file_is_invalid(sigstore, root, doc, words):
    result = check(root, sidecar(sigstore.sign(doc)))
    assert result.status == "invalid" and words in result.reason, result.reason
    assert result.blocks


def test_one_bad_bundle_among_good_ones_is_invalid(sigstore, root):
    data = sidecar(sigstore.attest(FN, SHA), sigstore.attest(FN, "c" * 64))
    result = check(root, data)
    assert result.status == "invalid" and "bundle 2 of 2" in result.reason


def _mutate(bundle, fn):
    bundle = json.loads(json.dumps(bundle))
    fn(bundle)
    return bundle


def _entry(bundle):
    return bundle["verificationMaterial"]["tlogEntries"][0]


def _flip_b64(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[len(raw) // 2] ^= 1
    return base64.b64encode(bytes(raw)).decode()


ATTACKS = {
    "bad-signature": lambda b: b["dsseEnvelope"]["signatures"][0].update(
        sig=_flip_b64(b["dsseEnvelope"]["signatures"][0]["sig"])
    ),
    "payload-swapped": lambda b: b["dsseEnvelope"].update(
        payload=base64.b64encode(json.dumps(statement(FN, SHA, target_channel="http://x")).encode()).decode()
    ),
    "two-signatures": lambda b: b["dsseEnvelope"]["signatures"].append(b["dsseEnvelope"]["signatures"][0]),
    "tampered-set": lambda b: _entry(b)["inclusionPromise"].update(
        signedEntryTimestamp=_flip_b64(_entry(b)["inclusionPromise"]["signedEntryTimestamp"])
    ),
    "missing-set": lambda b: _entry(b).pop("inclusionPromise"),
    "tampered-checkpoint": lambda b: _entry(b)["inclusionProof"]["checkpoint"].update(
        envelope=_entry(b)["inclusionProof"]["checkpoint"]["envelope"].replace("\n1\n", "\n2\n", 1)
    ),
    "tampered-root-hash": lambda b: _entry(b)["inclusionProof"].update(
        rootHash=_flip_b64(_entry(b)["inclusionProof"]["rootHash"])
    ),
    "missing-proof": lambda b: _entry(b).pop("inclusionProof"),
    "integrated-time-moved": lambda b: _entry(b).update(integratedTime=str(int(_entry(b)["integratedTime"]) - 86400)),
    "no-certificate": lambda b: b["verificationMaterial"].pop("certificate"),
    "two-log-entries": lambda b: b["verificationMaterial"]["tlogEntries"].append(_entry(b)),
    "not-a-bundle": lambda b: b.clear(),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_broken_bundle_is_invalid(sigstore, root, attack):
    bundle = _mutate(sigstore.attest(FN, SHA), ATTACKS[attack])
    result = check(root, sidecar(bundle))
    assert result.status == "invalid", (attack, result.reason)
    assert result.blocks


def test_bundle_from_another_sigstore_is_invalid(root):
    stranger = PrivateSigstore(name="another sigstore")
    result = check(root, sidecar(stranger.attest(FN, SHA)))
    assert result.status == "invalid" and "does not verify" in result.reason


def test_certificate_from_another_ca_with_our_logs_is_invalid(sigstore, root):
    # Same CT and log keys, a different CA: the chain to the trust root's CA is what fails.
    rogue = PrivateSigstore(ct_key=sigstore.ct_key, log_key=sigstore.log_key)
    result = check(root, sidecar(rogue.attest(FN, SHA)))
    assert result.status == "invalid" and "certificate chain" in result.reason


def test_sct_from_another_ct_log_is_invalid(sigstore, root):
    rogue = PrivateSigstore(ca_key=sigstore.ca_key, log_key=sigstore.log_key, start=sigstore.start)
    rogue.ca_cert = sigstore.ca_cert
    result = check(root, sidecar(rogue.attest(FN, SHA)))
    assert result.status == "invalid" and "SCT" in result.reason


def test_oversized_sidecar_is_a_retrieval_failure(sigstore, root):
    bundle = sigstore.attest(FN, SHA)
    data = sidecar(*([bundle] * (SIDECAR_MAX_BYTES // len(json.dumps(bundle)) + 2)))
    assert len(data) > SIDECAR_MAX_BYTES
    result = check(root, data)
    assert result.status == "retrieval-failed" and "limit" in result.reason


def test_too_many_bundles_is_a_retrieval_failure(sigstore, root):
    assert check(root, b"[" + b",".join([b"{}"] * 65) + b"]").status == "retrieval-failed"


def test_repeated_checks_give_the_same_answer(sigstore, root):
    data = sidecar(sigstore.attest(FN, SHA))
    first = check(root, data)
    assert check(root, data) == first
    assert check(root, data, publishers=[]).status == "untrusted-publisher"  # the publisher policy always runs
    assert check(root, data, sha="d" * 64).status == "invalid"  # and so does the statement check
