"""Every file in tests/data gives the outcome its MANIFEST states (conda-content-trust compatibility)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from jupyter_trust.cct.canonical import canonical
from jupyter_trust.cct.crypto import ed25519_verify, public_from_private, sign_raw_bytes
from jupyter_trust.cct.errors import MetadataVerificationError, SignatureError, UnknownRoleError
from jupyter_trust.cct.metadata import DelegatingMetadata, is_delegating
from jupyter_trust.cct.verify import (
    self_verify_root,
    verify_delegation,
    verify_records,
    verify_root,
    verify_signable,
)
from jupyter_trust.trust.anchor import discover_anchor

VECTORS = Path(__file__).resolve().parent / "data"  # see data/PROVENANCE.md
CCT = VECTORS / "conda-content-trust"
TD, DEMO, CODE, CONDA, ANACONDA = (
    CCT / "testdata",
    CCT / "demo",
    CCT / "from-test-code",
    VECTORS / "conda",
    VECTORS / "anaconda",
)
NOW = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)


def load(path: Path):
    return json.loads(path.read_text())


def self_(root) -> None:
    d = root["signed"]["delegations"]["root"]
    verify_signable(root, d["pubkeys"], d["threshold"], gpg=True)


def pkg(repodata, fn, key_mgr):
    return verify_records(repodata, key_mgr, [fn])[fn].verdict


# -- testdata/ ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["1.root.json", "2.root.json", "3.root.json"])
def test_testdata_roots_self_verify(name):
    self_(load(TD / name))


def test_testdata_root_chain():
    r1, r2, r3 = (load(TD / f"{n}.root.json") for n in (1, 2, 3))
    verify_root(r1, r2)
    verify_root(r2, r3)
    with pytest.raises(MetadataVerificationError):
        verify_root(r1, r3)  # version skip


def test_root2_raw_delegation_checks():
    r1, r2 = load(TD / "1.root.json"), load(TD / "2.root.json")
    with pytest.raises(SignatureError):
        verify_delegation("root", r2, r1)
    no_type = copy.deepcopy(r2)
    del no_type["signed"]["type"]
    with pytest.raises(SignatureError):
        verify_delegation("root", no_type, r1)
    as_km = copy.deepcopy(r2)
    as_km["signed"]["type"] = "key_mgr"
    with pytest.raises(MetadataVerificationError):
        verify_delegation("root", as_km, r1)


@pytest.mark.parametrize(
    ("trusted", "untrusted"),
    [
        ("1.root.json", "2.root_invalid.json"),
        ("2.root.json", "3.root_invalid.json"),
        ("2.root_invalid.json", "3.root_invalid.json"),
    ],
)
def test_invalid_roots_do_not_chain(trusted, untrusted):
    with pytest.raises(SignatureError):
        verify_root(load(TD / trusted), load(TD / untrusted))


@pytest.mark.parametrize("name", ["2.root_invalid.json", "3.root_invalid.json"])
def test_invalid_roots_do_not_self_verify(name):
    with pytest.raises(SignatureError):
        self_(load(TD / name))


@pytest.mark.parametrize("root", ["1.root.json", "2.root.json", "3.root.json"])
def test_key_mgr_verifies_under_a_roots(root):
    verify_delegation("key_mgr", load(TD / "key_mgr.json"), load(TD / root))


def test_key_mgr_mutations_fail():
    r1, km = load(TD / "1.root.json"), load(TD / "key_mgr.json")
    changed = copy.deepcopy(km)
    changed["signed"]["timestamp"] = "2030-01-01T00:00:00Z"
    with pytest.raises(SignatureError):
        verify_delegation("key_mgr", changed, r1)
    unsigned = copy.deepcopy(km)
    unsigned["signatures"] = {}
    with pytest.raises(SignatureError):
        verify_delegation("key_mgr", unsigned, r1)
    with pytest.raises(MetadataVerificationError):
        verify_delegation("pkg_mgr", km, r1)
    for root in ("2.root_invalid.json", "3.root_invalid.json"):
        with pytest.raises(SignatureError):
            verify_delegation("key_mgr", km, load(TD / root))


@pytest.mark.parametrize(
    "root", ["1.root.json", "2.root.json", "3.root.json", "2.root_invalid.json", "3.root_invalid.json"]
)
def test_key_mgr_invalid_fails_everywhere(root):
    with pytest.raises(SignatureError):
        verify_delegation("key_mgr", load(TD / "key_mgr_invalid.json"), load(TD / root))


def test_key_mgr_verify_only_under_relabelled_b_roots():
    km = load(TD / "key_mgr_verify.json")
    for root in ("2.root_invalid.json", "3.root_invalid.json"):
        verify_delegation("key_mgr", km, load(TD / root))
    for root in ("1.root.json", "2.root.json", "3.root.json"):
        with pytest.raises(SignatureError):
            verify_delegation("key_mgr", km, load(TD / root))


def test_testdata_repodata_verdicts():
    repodata = load(TD / "repodata.json")
    good_km = load(TD / "key_mgr_verify.json")
    verdicts = {fn: v.verdict for fn, v in verify_records(repodata, good_km).items()}
    assert verdicts == {
        "first.tar.bz2": "trusted",
        "second.conda": "trusted",
        "third.conda": "trusted",
        "broken-0.0.1-broken.tar.bz2": "untrusted",
        "broken-0.0.1-broken.conda": "unsigned",
    }
    other = verify_records(repodata, load(TD / "key_mgr.json"))
    assert {fn: v.verdict for fn, v in other.items() if fn != "broken-0.0.1-broken.conda"} == {
        fn: "untrusted" for fn in ("first.tar.bz2", "second.conda", "third.conda", "broken-0.0.1-broken.tar.bz2")
    }


def test_repodata_sample_is_unsigned_and_signs_round_trip():
    from jupyter_trust.cct.signing import keypair_from_private, sign_repodata

    keys = load(CODE / "test_keys.json")
    repodata = load(TD / "repodata_sample.json")
    verdicts = verify_records(repodata, load(TD / "key_mgr.json"))
    assert {v.verdict for v in verdicts.values()} == {"unsigned"}
    km_private = _find_private(keys, "013ddd")
    signed = sign_repodata(copy.deepcopy(repodata), keypair_from_private(km_private))
    pub = public_from_private(km_private)
    names = set(repodata["packages"]) | set(repodata.get("packages.conda", {}))
    assert set(signed["signatures"]) == names
    for section in ("packages", "packages.conda"):
        for fn, record in signed.get(section, {}).items():
            assert ed25519_verify(pub, signed["signatures"][fn][pub]["signature"], canonical(record))
    assert {k: v for k, v in signed.items() if k != "signatures"} == repodata


def test_repodata_without_packages_cannot_be_signed():
    from jupyter_trust.cct.signing import generate_keypair, sign_repodata

    with pytest.raises(ValueError):
        sign_repodata(load(TD / "repodata_no_packages.json"), generate_keypair())


def test_short_signed_sample():
    repodata = load(TD / "repodata_short_signed_sample.json")
    key = next(iter(next(iter(repodata["signatures"].values()))))
    assert key.startswith("4a044c")
    for fn in repodata["packages"]:
        verify_signable({"signatures": repodata["signatures"][fn], "signed": repodata["packages"][fn]}, [key], 1)
    for km in ("key_mgr.json", "key_mgr_verify.json"):
        assert {v.verdict for v in verify_records(repodata, load(TD / km)).values()} == {"untrusted"}


# -- demo/ -------------------------------------------------------------------------------------------
def test_demo_vectors():
    d1, d2, km = load(DEMO / "1.root.json"), load(DEMO / "2.root.json"), load(DEMO / "key_mgr.json")
    self_(d1)
    verify_root(d1, d2)
    for root in (d1, d2, load(TD / "1.root.json"), load(TD / "2.root.json"), load(TD / "3.root.json")):
        verify_delegation("key_mgr", km, root)


# -- from-test-code/ ---------------------------------------------------------------------------------
def test_canonserialize_cases():
    import ast

    cases = load(CODE / "canonserialize_cases.json")["cases"]
    for case in cases:
        value = ast.literal_eval(case["input_repr"])
        if case.get("raises"):
            with pytest.raises(TypeError):
                canonical(value)
        else:
            assert canonical(value).decode() == case["output"], case
    assert len(cases) == 9


def test_exact_bytes_of_sample_root():
    sample = load(CODE / "test_common.SAMPLE_SIGNED_ROOT_MD.json")
    expected = (CODE / "test_common.EXPECTED_SERIALIZED_SAMPLE_SIGNED_ROOT_MD.bin").read_bytes()
    assert canonical(sample) == expected


def test_common_sample_root_is_stale_and_has_unknown_role():
    sample = load(CODE / "test_common.SAMPLE_SIGNED_ROOT_MD.json")
    assert is_delegating(sample)
    key = sample["signed"]["delegations"]["root.json"]["pubkeys"][0]
    with pytest.raises(SignatureError):
        verify_signable(sample, [key], 1, gpg=True)
    with pytest.raises(UnknownRoleError):
        verify_delegation("root", sample, sample)


def test_authentication_v1_v2_and_mutations():
    v1 = load(CODE / "test_authentication.TEST_ROOT_MD_V1.json")
    v2 = load(CODE / "test_authentication.TEST_ROOT_MD_V2.json")
    verify_root(v1, v2)
    skip = copy.deepcopy(v2)
    skip["signed"]["version"] = 10
    with pytest.raises(MetadataVerificationError):
        verify_root(v1, skip)
    key = next(k for k in v2["signatures"] if k.startswith("c8bd83"))
    bad = copy.deepcopy(v2)
    bad["signatures"][key]["signature"] = bad["signatures"][key]["signature"][:-6] + "ffffff"
    with pytest.raises(SignatureError):
        verify_root(v1, bad)
    moved = copy.deepcopy(v2)
    moved["signatures"]["0" * 64] = moved["signatures"].pop(key)
    with pytest.raises(SignatureError):
        verify_root(v1, moved)
    raised = copy.deepcopy(v1)
    raised["signed"]["delegations"]["root"]["threshold"] += 1
    with pytest.raises(SignatureError):
        verify_root(raised, v2)
    wrong_type = copy.deepcopy(v2)
    wrong_type["signed"]["type"] = "key_mgr"
    with pytest.raises(ValueError, match="Expected two instances of root metadata"):
        verify_root(v1, wrong_type)


def test_root_sample_with_see_also_verifies():
    sample = load(CODE / "test_root.SAMPLE_SIGNED_ROOT_MD.json")
    key = next(k for k in sample["signatures"] if k.startswith("c8bd83"))
    verify_signable(sample, [key], 1, gpg=True)


def test_expected_unsigned_root_passes_format_check_and_matches_builder():
    from jupyter_trust.cct.signing import build_root

    signed = load(CODE / "test_metadata_construction.EXPECTED_UNSIGNED_ROOT.json")
    meta = DelegatingMetadata.from_envelope({"signatures": {}, "signed": signed})
    assert meta.type == "root" and meta.version == 1
    built = build_root(
        signed["delegations"]["root"]["pubkeys"],
        1,
        signed["delegations"]["key_mgr"]["pubkeys"],
        1,
        timestamp=dt.datetime(2019, 10, 1, tzinfo=dt.timezone.utc),
        expiration=dt.datetime(2025, 1, 1, 10, 30, tzinfo=dt.timezone.utc),
    )
    assert built["signed"] == signed


def _find_private(keys, prefix: str) -> str:
    def walk(obj):
        if isinstance(obj, dict):
            for v in obj.values():
                yield from walk(v)
            yield obj
        elif isinstance(obj, list):
            for v in obj:
                yield from walk(v)

    for obj in walk(keys):
        pub = next(
            (v for k, v in obj.items() if "pub" in k.lower() and isinstance(v, str) and v.startswith(prefix)), None
        )
        priv = next((v for k, v in obj.items() if "pri" in k.lower() and isinstance(v, str) and len(v) == 64), None)
        if pub and priv:
            return priv
    raise LookupError(prefix)


def test_test_keys_regression_signature():
    keys = load(CODE / "test_keys.json")
    priv = _find_private(keys, "013ddd")
    pub = public_from_private(priv)
    message = bytes.fromhex("3132333435360637383930")
    sig = sign_raw_bytes(priv, message)
    assert ed25519_verify(pub, sig, message)
    assert not ed25519_verify(pub, sig[:-6] + "ffffff", message)
    text = json.dumps(keys)
    # The published regression signature, wherever the file keeps it, verifies too.
    for candidate in {s for s in _strings(keys) if len(s) == 128}:
        if ed25519_verify(pub, candidate, message):
            break
    else:
        raise AssertionError("no regression signature in test_keys.json verifies: " + text[:200])


def _strings(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, str):
        yield obj


def test_each_test_private_key_derives_its_public_key():
    keys = load(CODE / "test_keys.json")
    pairs = 0
    for obj in _dicts(keys):
        priv = next((v for k, v in obj.items() if "pri" in k.lower() and isinstance(v, str) and len(v) == 64), None)
        pub = next((v for k, v in obj.items() if "pub" in k.lower() and isinstance(v, str) and len(v) == 64), None)
        if priv and pub:
            assert public_from_private(priv) == pub
            pairs += 1
    assert pairs >= 2


def _dicts(obj):
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _dicts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _dicts(v)


# -- conda/ ------------------------------------------------------------------------------------------
def test_conda_chain_and_records():
    r1, r2, r3 = (load(CONDA / f"{n}.root.json") for n in (1, 2, 3))
    self_(r1)
    verify_root(r1, r2)
    verify_root(r2, r3)
    with pytest.raises(MetadataVerificationError):
        verify_root(r1, r3)
    with pytest.raises(SignatureError):
        verify_root(r1, load(CONDA / "2.root_invalid.json"))
    with pytest.raises(SignatureError):
        verify_root(r2, load(CONDA / "3.root_invalid.json"))
    km = load(CONDA / "key_mgr.json")
    for root in (r1, r2, r3):
        verify_delegation("key_mgr", km, root)
        with pytest.raises(SignatureError):
            verify_delegation("key_mgr", load(CONDA / "key_mgr_invalid.json"), root)
    repodata = load(CONDA / "repodata.json")
    verdicts = verify_records(repodata, km)
    assert {fn: v.verdict for fn, v in verdicts.items()} == {
        "first.tar.bz2": "trusted",
        "second.conda": "trusted",
        "third.conda": "trusted",
        "broken-0.0.1-broken.tar.bz2": "untrusted",
        "broken-0.0.1-broken.conda": "unsigned",
    }
    assert "no signatures found for broken-0.0.1-broken.conda" in verdicts["broken-0.0.1-broken.conda"].reason
    assert DelegatingMetadata.from_envelope(r3).is_expired(NOW)
    assert DelegatingMetadata.from_envelope(km).is_expired(NOW)


# -- anaconda/ ---------------------------------------------------------------------------------------
def test_anaconda_root_verifies_as_anchor_and_is_expired():
    root = load(ANACONDA / "1.root.json")
    self_verify_root(root)
    meta = DelegatingMetadata.from_envelope(root)
    assert meta.version == 1 and meta.is_expired(NOW)
    assert meta.delegations["root"].threshold == 2 and len(meta.delegations["root"].pubkeys) == 4
    assert meta.delegations["key_mgr"].pubkeys[0].startswith("f24c813d")
    import hashlib

    assert hashlib.sha256(canonical(root["signed"])).hexdigest() == (
        "33f936b66c39d4a4f79066cdb52442450728deef407b4d29a4b52f06e1c3728f"
    )
    with pytest.raises(SignatureError):
        d = root["signed"]["delegations"]["root"]
        verify_signable(root, d["pubkeys"], d["threshold"], gpg=False)
    changed = copy.deepcopy(root)
    changed["signed"]["expiration"] = "2099-01-01T00:00:00Z"
    with pytest.raises(SignatureError):
        self_verify_root(changed)


def test_shipped_anchor_is_anacondas_root(isolated_home):
    anchor = discover_anchor(environ={})
    assert anchor.source == "builtin"
    assert canonical(anchor.metadata.envelope["signed"]) == canonical(load(ANACONDA / "1.root.json")["signed"])
    assert anchor.to_json(NOW)["expired"] is True
