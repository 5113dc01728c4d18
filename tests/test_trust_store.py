"""The trust store and strict parsing: rollback, freeze, endless data, on-disk tampering (V1–V23)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from jupyter_trust.cct.canonical import canonical
from jupyter_trust.cct.errors import FormatError, SignatureError
from jupyter_trust.cct.jsonload import loads_strict
from jupyter_trust.cct.metadata import DelegatingMetadata
from jupyter_trust.cct.signing import build_key_mgr, build_root, generate_keypair, rotate_root, sign_openpgp, sign_raw
from jupyter_trust.cct.verify import verify_records, verify_root
from jupyter_trust.demo.serve import ChannelServer
from jupyter_trust.trust.anchor import AnchorError, discover_anchor
from jupyter_trust.trust.store import TrustStore

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
FUTURE = NOW + dt.timedelta(days=300)


class Chain:
    """A root/key_mgr/pkg_mgr key set and a metadata directory served on 127.0.0.1."""

    def __init__(self, base: Path) -> None:
        self.dir = base / "meta"
        self.dir.mkdir(parents=True)
        self.root_key, self.km_key, self.pkg_key = generate_keypair(), generate_keypair(), generate_keypair()
        self.root1 = sign_openpgp(
            build_root([self.root_key.public_hex], 1, [self.km_key.public_hex], 1, expiration=FUTURE), self.root_key
        )
        self.write("1.root.json", self.root1)
        self.publish_key_mgr(version=1)
        self.server = ChannelServer(self.dir).start()
        self.anchor_path = base / "anchor.root.json"
        self.anchor_path.write_bytes(canonical(self.root1))

    def write(self, name: str, doc: dict) -> None:
        (self.dir / name).write_bytes(canonical(doc))

    def publish_key_mgr(self, version: int, *, key=None, expiration=FUTURE) -> dict:
        doc = sign_raw(
            build_key_mgr([self.pkg_key.public_hex], 1, version=version, expiration=expiration), key or self.km_key
        )
        self.write("key_mgr.json", doc)
        return doc

    def store(self, cache: Path, **kwargs) -> TrustStore:
        anchor = discover_anchor(self.anchor_path)
        return TrustStore(
            metadata_url=f"{self.server.url}/", anchor=anchor, cache_dir=cache, clock=lambda: NOW, **kwargs
        )


@pytest.fixture
def chain(tmp_path):
    c = Chain(tmp_path)
    yield c
    c.server.stop()


def test_fresh_refresh_verifies_key_mgr(chain, tmp_path):
    state = chain.store(tmp_path / "cache").refresh()
    assert state.key_mgr_state == "verified" and state.key_mgr.version == 1
    assert state.root.version == 1 and state.blocking_reasons("block") == []
    files = sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert files == ["key_mgr.json", "state.json"]
    assert all(p.stat().st_mode & 0o077 == 0 for p in (tmp_path / "cache").rglob("*"))


def test_root_rotation_chains_and_is_cached(chain, tmp_path):
    new_key = generate_keypair()
    root2 = rotate_root(chain.root1, root_pubkeys=[new_key.public_hex], expiration=FUTURE)
    sign_openpgp(root2, chain.root_key)
    sign_openpgp(root2, new_key)
    chain.write("2.root.json", root2)
    store = chain.store(tmp_path / "cache")
    assert store.refresh().root.version == 2
    (chain.dir / "2.root.json").unlink()
    assert store.current().root.version == 2  # the verified chain is remembered


def test_root_signed_only_by_new_keys_is_refused(chain, tmp_path):
    new_key = generate_keypair()
    root2 = sign_openpgp(rotate_root(chain.root1, root_pubkeys=[new_key.public_hex], expiration=FUTURE), new_key)
    chain.write("2.root.json", root2)
    state = chain.store(tmp_path / "cache").refresh()
    assert state.root.version == 1 and state.root_error_blocks and "not signed by the trusted" in state.root_error
    assert state.blocking_reasons("warn")


def test_root_signed_only_by_old_keys_is_refused(chain, tmp_path):
    new_key = generate_keypair()
    root2 = sign_openpgp(rotate_root(chain.root1, root_pubkeys=[new_key.public_hex], expiration=FUTURE), chain.root_key)
    with pytest.raises(SignatureError, match="new root"):
        verify_root(chain.root1, root2)


def test_version_skip_is_refused(chain, tmp_path):
    root3 = build_root([chain.root_key.public_hex], 1, [chain.km_key.public_hex], 1, version=3, expiration=FUTURE)
    chain.write("2.root.json", sign_openpgp(root3, chain.root_key))
    state = chain.store(tmp_path / "cache").refresh()
    assert state.root.version == 1 and "N+1" in state.root_error


def test_unverified_root_on_disk_is_ignored(chain, tmp_path):
    cache = tmp_path / "cache"
    store = chain.store(cache)
    store.refresh()
    attacker = generate_keypair()
    evil = sign_openpgp(build_root([attacker.public_hex], 1, [attacker.public_hex], 1, version=2), attacker)
    (store.dir / "2.root.json").write_bytes(canonical(evil))  # V7: planted, never chain-verified
    assert store.current().root.version == 1


def test_key_mgr_rollback_is_refused(chain, tmp_path):
    store = chain.store(tmp_path / "cache")
    chain.publish_key_mgr(version=3)
    assert store.refresh().key_mgr.version == 3
    chain.publish_key_mgr(version=2)  # validly signed, but older (V10)
    state = store.refresh()
    assert state.key_mgr_state == "invalid" and "rollback" in state.key_mgr_error
    assert state.blocking_reasons("warn")


def test_key_mgr_same_version_different_content_is_refused(chain, tmp_path):
    store = chain.store(tmp_path / "cache")
    store.refresh()
    chain.publish_key_mgr(version=1, expiration=FUTURE + dt.timedelta(days=1))
    state = store.refresh()
    assert state.key_mgr_state == "invalid" and "differs" in state.key_mgr_error


def test_key_mgr_signed_by_wrong_key_is_refused(chain, tmp_path):
    chain.publish_key_mgr(version=1, key=chain.pkg_key)  # V15: wrong role's key
    state = chain.store(tmp_path / "cache").refresh()
    assert state.key_mgr_state == "invalid" and state.key_mgr is None


def test_unreachable_key_mgr_uses_cache_then_expiry_blocks(chain, tmp_path):
    store = chain.store(tmp_path / "cache")
    store.refresh()
    chain.server.set_override("/key_mgr.json", 503)
    state = store.refresh()
    assert state.key_mgr_state == "cached" and state.blocking_reasons("block") == []
    later = TrustStore(
        metadata_url=store.metadata_url,
        anchor=store.anchor,
        cache_dir=tmp_path / "cache",
        clock=lambda: FUTURE + dt.timedelta(days=1),
    )
    expired = later.refresh()
    assert expired.key_mgr_state == "cached" and expired.blocking_reasons("warn") == []
    assert any("expired" in r for r in expired.blocking_reasons("block"))  # V11


def test_cached_key_mgr_is_reverified_after_rotation(chain, tmp_path):
    store = chain.store(tmp_path / "cache")
    store.refresh()
    new_km = generate_keypair()
    root2 = rotate_root(chain.root1, key_mgr_pubkeys=[new_km.public_hex], expiration=FUTURE)
    chain.write("2.root.json", sign_openpgp(root2, chain.root_key))
    chain.server.set_override("/key_mgr.json", 503)
    state = store.refresh()
    assert state.root.version == 2
    assert state.key_mgr_state == "invalid" and "no longer verifies" in state.key_mgr_error  # V12


def test_key_mgr_version_reset_after_key_rotation(chain, tmp_path):
    store = chain.store(tmp_path / "cache")
    chain.publish_key_mgr(version=5)
    store.refresh()
    new_km = generate_keypair()
    root2 = rotate_root(chain.root1, key_mgr_pubkeys=[new_km.public_hex], expiration=FUTURE)
    chain.write("2.root.json", sign_openpgp(root2, chain.root_key))
    chain.publish_key_mgr(version=1, key=new_km)  # fast-forward recovery: the new key starts over
    state = store.refresh()
    assert state.key_mgr_state == "verified" and state.key_mgr.version == 1


def test_oversized_metadata_is_refused(chain, tmp_path):
    chain.server.set_override("/key_mgr.json", b"{" + b" " * (600 * 1024) + b"}")
    state = chain.store(tmp_path / "cache").refresh()
    assert state.key_mgr_state == "missing" and "limit" in state.key_mgr_error  # V23: refused while streaming


def test_too_many_root_steps_stop(chain, tmp_path):
    key = chain.root_key
    for version in range(2, 6):
        nxt = sign_openpgp(
            build_root([key.public_hex], 1, [chain.km_key.public_hex], 1, version=version, expiration=FUTURE), key
        )
        chain.write(f"{version}.root.json", nxt)
    state = chain.store(tmp_path / "cache", max_root_steps=2).refresh()
    assert state.root.version == 3 and state.root_error_blocks and "more than 2" in state.root_error


def test_expired_root_warns_or_blocks(tmp_path):
    key = generate_keypair()
    root = sign_openpgp(
        build_root([key.public_hex], 1, [key.public_hex], 1, expiration=NOW - dt.timedelta(days=1)), key
    )
    path = tmp_path / "1.root.json"
    path.write_bytes(canonical(root))
    store = TrustStore(metadata_url=None, anchor=discover_anchor(path), cache_dir=tmp_path / "c", clock=lambda: NOW)
    state = store.current()
    assert state.to_json()["root"]["expired"] is True
    assert any("expired" in w for w in state.warnings())
    assert any("expired" in r for r in state.blocking_reasons("block"))


# -- anchors ---------------------------------------------------------------------------------------
def test_anchor_discovery_order(tmp_path, chain):
    conda_dir = tmp_path / "conda" / "etc" / "conda"
    conda_dir.mkdir(parents=True)
    (conda_dir / "1.root.json").write_bytes(canonical(chain.root1))
    assert discover_anchor(chain.anchor_path, environ={"JUPYTER_TRUST_ROOT": "/nope"}).source == "explicit"
    assert discover_anchor(environ={"JUPYTER_TRUST_ROOT": str(chain.anchor_path)}).source == "env"
    found = discover_anchor(environ={}, conda_dirs=[conda_dir])
    assert found.source == "conda" and found.path == conda_dir / "1.root.json"
    assert discover_anchor(environ={}, conda_dirs=[tmp_path / "empty"]).source == "builtin"


def test_anchor_that_does_not_self_verify_is_refused(tmp_path, chain):
    bad = copy.deepcopy(chain.root1)
    bad["signed"]["expiration"] = "2099-01-01T00:00:00Z"
    path = tmp_path / "bad.root.json"
    path.write_bytes(canonical(bad))
    with pytest.raises(AnchorError, match="does not verify"):
        discover_anchor(path)


# -- strict parsing (V20–V23) ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a": 1, "a": 2}', "duplicate"),
        ('{"x": {"sig": 1, "sig": 1}}', "duplicate"),
        ('{"a": NaN}', "NaN"),
        ('{"a": Infinity}', "Infinity"),
        ("[" * 200_000 + "]" * 200_000, "deeper"),
        ('{"a": "\\ud800', "valid JSON"),
        ("not json", "valid JSON"),
    ],
)
def test_strict_parsing_refuses(text, fragment):
    with pytest.raises(FormatError, match=fragment):
        loads_strict(text.encode(), max_bytes=10 << 20)


def test_invalid_utf8_and_size_limits():
    with pytest.raises(FormatError, match="UTF-8"):
        loads_strict(b'{"a": "\xff"}')
    with pytest.raises(FormatError, match="limit"):
        loads_strict(b"[" + b"1," * 1000 + b"1]", max_bytes=100)


def test_reformatted_json_is_accepted(chain):
    pretty = json.dumps(json.loads(canonical(chain.root1)), indent=7, sort_keys=False, ensure_ascii=False)
    verify_root_self = loads_strict(pretty.encode())
    DelegatingMetadata.from_envelope(verify_root_self)  # V22: meaning, not bytes, is signed


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda s: s.__setitem__("version", True), "integer"),
        (lambda s: s.__setitem__("version", 2.0), "integer"),
        (lambda s: s.__setitem__("version", "2"), "integer"),
        (lambda s: s.__setitem__("metadata_spec_version", "1.0.0"), "unsupported"),
        (lambda s: s.__setitem__("metadata_spec_version", "0.6"), "not a version"),
        (lambda s: s["delegations"]["root"].__setitem__("threshold", True), "threshold"),
        (lambda s: s["delegations"]["root"].__setitem__("threshold", 0), "threshold"),
        (lambda s: s["delegations"]["root"]["pubkeys"].append(s["delegations"]["root"]["pubkeys"][0]), "twice"),
        (
            lambda s: s["delegations"]["root"]["pubkeys"].__setitem__(
                0, s["delegations"]["root"]["pubkeys"][0].upper()
            ),
            "lowercase",
        ),
        (lambda s: s.__setitem__("expiration", "2030-01-01T00:00:00.5Z"), "UTC"),
        (lambda s: s.__setitem__("type", "pkg_mgr"), "type"),
    ],
)
def test_metadata_format_is_strict(chain, mutate, fragment):
    doc = copy.deepcopy(chain.root1)
    mutate(doc["signed"])
    with pytest.raises(FormatError, match=fragment):
        DelegatingMetadata.from_envelope(doc)


def test_extra_envelope_keys_are_refused(chain):
    doc = {**copy.deepcopy(chain.root1), "unsigned_extra": 1}
    with pytest.raises(FormatError, match="signable"):
        DelegatingMetadata.from_envelope(doc)


# -- records (V13–V17) -----------------------------------------------------------------------------
def _repodata(chain) -> tuple[dict, dict]:
    from jupyter_trust.cct.signing import sign_repodata

    record = {
        "name": "a",
        "version": "1",
        "build": "0",
        "build_number": 0,
        "depends": [],
        "sha256": "00" * 32,
        "size": 1,
        "subdir": "noarch",
    }
    repodata = {"packages": {}, "packages.conda": {"a-1-0.conda": record, "b-1-0.conda": {**record, "name": "b"}}}
    sign_repodata(repodata, chain.pkg_key)
    key_mgr = json.loads((chain.dir / "key_mgr.json").read_text())
    return repodata, key_mgr


@pytest.mark.parametrize("field", ["sha256", "size", "depends", "subdir", "version", "constrains"])
def test_any_signed_field_changed_is_untrusted(chain, field):
    repodata, key_mgr = _repodata(chain)
    record = repodata["packages.conda"]["a-1-0.conda"]
    record[field] = {
        "sha256": "11" * 32,
        "size": 2,
        "depends": ["evil"],
        "subdir": "linux-64",
        "version": "2",
        "constrains": ["x"],
    }[field]
    assert verify_records(repodata, key_mgr, ["a-1-0.conda"])["a-1-0.conda"].verdict == "untrusted"


def test_duplicate_signature_entries_do_not_meet_a_threshold_of_two(chain):
    repodata, key_mgr = _repodata(chain)
    km = copy.deepcopy(key_mgr)
    km["signed"]["delegations"]["pkg_mgr"]["threshold"] = 2
    sig = repodata["signatures"]["a-1-0.conda"][chain.pkg_key.public_hex]
    repodata["signatures"]["a-1-0.conda"][chain.pkg_key.public_hex.upper()] = sig  # V16
    assert verify_records(repodata, km, ["a-1-0.conda"])["a-1-0.conda"].verdict == "untrusted"


@pytest.mark.parametrize("entry", ["not a dict", [], {"ab" * 32: {"signature": "zz" * 64}}, {"x": 1}])
def test_malformed_signature_entries_never_raise(chain, entry):
    repodata, key_mgr = _repodata(chain)
    repodata["signatures"]["a-1-0.conda"] = entry
    assert verify_records(repodata, key_mgr, ["a-1-0.conda"])["a-1-0.conda"].verdict in ("untrusted", "unsigned")


def test_missing_signature_is_unsigned_and_root_key_is_not_a_package_key(chain):
    repodata, key_mgr = _repodata(chain)
    del repodata["signatures"]["b-1-0.conda"]
    assert verify_records(repodata, key_mgr, ["b-1-0.conda"])["b-1-0.conda"].verdict == "unsigned"
    from jupyter_trust.cct.signing import sign_repodata

    sign_repodata(repodata, chain.root_key)  # V15: signed by the root key, not pkg_mgr
    assert {v.verdict for v in verify_records(repodata, key_mgr).values()} == {"untrusted"}


def test_parallel_verification_agrees_with_serial(chain):
    from jupyter_trust.cct.signing import sign_repodata

    base = {"name": "p", "version": "1", "build": "0", "depends": [], "sha256": "00" * 32, "size": 1}
    repodata = {"packages": {}, "packages.conda": {f"p{i}-1-0.conda": {**base, "name": f"p{i}"} for i in range(2500)}}
    sign_repodata(repodata, chain.pkg_key)
    repodata["packages.conda"]["p7-1-0.conda"]["size"] = 9
    key_mgr = json.loads((chain.dir / "key_mgr.json").read_text())
    serial = verify_records(repodata, key_mgr)
    parallel = verify_records(repodata, key_mgr, workers=2)
    assert serial == parallel and parallel["p7-1-0.conda"].verdict == "untrusted"
