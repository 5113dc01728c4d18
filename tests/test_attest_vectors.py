"""A real publish attestation (a `.v0.sigs` sidecar) verified offline against the shipped public-good root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_trust.attest.sigroot import SHIPPED_ROOT, sigstore_root
from jupyter_trust.attest.verify import verify_attestation

DATA = Path(__file__).parent / "data" / "sigstore"
SIDECAR = (DATA / "prefix-actionlint.v0.sigs").read_bytes()
FILENAME = "actionlint-1.7.12-h60d57d3_0.conda"
SHA256 = "e3e0f35dec5b09b18baac8729d14115903b5adfd25065f8bbb90a2b3be5401e4"
CHANNEL = "https://mirror.example/github-releases"
ISSUER = "https://token.actions.githubusercontent.com"
IDENTITY = "https://github.com/hunger/octoconda/.github/workflows/octoconda.yaml@refs/heads/main"
RIGHT = [{"issuer": ISSUER, "repository": "https://github.com/hunger/octoconda"}]


@pytest.fixture(scope="module")
def root():
    return sigstore_root(None, {})


def check(root, data=SIDECAR, *, publishers=RIGHT, fn=FILENAME, sha=SHA256):
    return verify_attestation(data, fn, sha, CHANNEL, publishers, root, transport="v0.sigs")


def test_shipped_root_is_the_public_good_root_with_its_date(root):
    assert SHIPPED_ROOT.read_bytes() == (DATA / "public-good-trusted_root.sigstore-4.5.1.json").read_bytes()
    info = root.info()
    assert info["source"].startswith("shipped") and info["error"] is None
    assert info["date"] == "2025-09-23T00:00:00Z"


def test_right_publisher_by_repository_is_verified(root):
    result = check(root).to_json()
    assert result["status"] == "verified"
    assert result["signer"] == {
        "identity": IDENTITY,
        "issuer": ISSUER,
        "repository": "https://github.com/hunger/octoconda",
        "ref": "refs/heads/main",
        "commit": "3486769623122fdddade1fb57e1b4728f162608a",
    }
    assert result["transport"] == "v0.sigs"
    assert result["log_index"] == 1202156555
    assert result["integrated_time"] == "2026-03-31T02:58:31Z"
    assert len(result["sidecar_sha256"]) == 64
    assert "github.com/hunger/octoconda · octoconda.yaml · refs/heads/main" in result["reason"]


def test_right_publisher_by_exact_identity_is_verified(root):
    assert check(root, publishers=[{"issuer": ISSUER, "identity": IDENTITY}]).status == "verified"


def test_any_valid_signer_without_a_policy_entry(root):
    result = check(root, publishers=None)
    assert result.status == "verified" and "any valid signer" in result.reason


@pytest.mark.parametrize(
    "publishers",
    [
        [{"issuer": ISSUER, "repository": "https://github.com/someone/else"}],
        [{"issuer": "https://accounts.example", "repository": "https://github.com/hunger/octoconda"}],
        [{"issuer": ISSUER, "identity": IDENTITY.replace("main", "evil")}],
        [],
    ],
    ids=["other-repository", "other-issuer", "other-identity", "empty-list-accepts-none"],
)
def test_wrong_publisher_is_untrusted_publisher(root, publishers):
    result = check(root, publishers=publishers)
    assert result.status == "untrusted-publisher"
    assert result.signer is not None and result.signer.identity == IDENTITY  # who signed is still shown
    assert result.blocks


def test_flipped_payload_byte_is_invalid(root):
    bundles = json.loads(SIDECAR)
    envelope = bundles[0]["dsseEnvelope"]
    payload = bytearray(__import__("base64").b64decode(envelope["payload"]))
    payload[-5] ^= 1
    envelope["payload"] = __import__("base64").b64encode(bytes(payload)).decode()
    result = check(root, json.dumps(bundles).encode())
    assert result.status == "invalid" and result.blocks


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"logIndex":"1202156555"', b'"logIndex":"1202156556"'),
        (b'"integratedTime":"1774925911"', b'"integratedTime":"1774925912"'),
    ],
    ids=["log-index", "integrated-time"],
)
def test_tampered_log_entry_is_invalid(root, old, new):
    assert old in SIDECAR
    result = check(root, SIDECAR.replace(old, new))
    assert result.status == "invalid" and "does not verify" in result.reason


def test_another_file_or_digest_is_invalid(root):
    assert check(root, fn="actionlint-1.7.13-h60d57d3_0.conda").status == "invalid"
    result = check(root, sha="0" * 64)
    assert result.status == "invalid" and "sha256" in result.reason


def test_empty_v0_sigs_is_missing(root):
    assert check(root, b"[]").status == "missing"


@pytest.mark.parametrize("data", [b"{}", b"[1]", b"not json", b'[{"a":1,"a":2}]', b"[NaN]"])
def test_malformed_v0_sigs_is_invalid(root, data):
    assert check(root, data).status == "invalid"


@pytest.mark.parametrize("data", [b"{}", b"not json", b"[]"])
def test_malformed_advertised_sidecar_is_a_retrieval_failure(root, data):
    result = verify_attestation(data, FILENAME, SHA256, CHANNEL, RIGHT, root, transport="cep50")
    assert result.status == "retrieval-failed"


def test_oversized_sidecar_is_refused_before_parsing(root):
    data = b"[" + b" " * (3 << 20) + b"]"
    result = verify_attestation(data, FILENAME, SHA256, CHANNEL, RIGHT, root, transport="cep50")
    assert result.status == "retrieval-failed" and "limit" in result.reason


def test_unusable_configured_root_is_invalid_not_verified(tmp_path):
    bad = tmp_path / "root.json"
    bad.write_text('{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}')
    root = sigstore_root(str(bad), {})
    result = check(root)
    assert result.status == "invalid"
    assert root.info()["date"] is None
