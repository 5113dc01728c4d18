"""The pure trust transitions, without HTTP or files: accept root N+1 / key_mgr from bytes, or refuse them.

Half of these are attacks: rollback, a wrong version, bad or missing signatures, mix-and-match of documents
from different roots, malformed bytes. Expiry is reported, not refused (the ``expiry`` policy decides).
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from jupyter_trust.cct.canonical import canonical
from jupyter_trust.cct.signing import build_key_mgr, build_root, generate_keypair, rotate_root, sign_openpgp, sign_raw
from jupyter_trust.errors import Kind, TrustError
from jupyter_trust.trust.transitions import (
    KeyMgrHighWater,
    MetadataRefused,
    check_key_mgr,
    digest,
    update_key_mgr,
    update_root,
)

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc)
FUTURE = NOW + dt.timedelta(days=300)
PAST = NOW - dt.timedelta(days=1)
CAP = 512 * 1024

ROOT_KEY, KM_KEY, PKG_KEY, NEW_ROOT_KEY, OTHER_KEY = (generate_keypair() for _ in range(5))


def root1(*, km_key=KM_KEY) -> dict:
    return sign_openpgp(build_root([ROOT_KEY.public_hex], 1, [km_key.public_hex], 1, expiration=FUTURE), ROOT_KEY)


def root2(previous: dict, *signers, version: int | None = None, **changes) -> dict:
    doc = rotate_root(previous, expiration=FUTURE, **changes)
    if version is not None:
        doc["signed"]["version"] = version
    for key in signers:
        sign_openpgp(doc, key)
    return doc


def key_mgr(version: int = 1, *, key=KM_KEY, expiration=FUTURE) -> dict:
    return sign_raw(build_key_mgr([PKG_KEY.public_hex], 1, version=version, expiration=expiration), key)


# -- root --------------------------------------------------------------------------------------------
def test_root_rotation_signed_by_old_and_new_keys_is_accepted():
    new = root2(root1(), ROOT_KEY, NEW_ROOT_KEY, root_pubkeys=[NEW_ROOT_KEY.public_hex])
    accepted = update_root(root1(), canonical(new), max_bytes=CAP)
    assert accepted["signed"]["version"] == 2


def test_root_signed_only_by_the_new_key_is_refused():
    new = root2(root1(), NEW_ROOT_KEY, root_pubkeys=[NEW_ROOT_KEY.public_hex])
    with pytest.raises(MetadataRefused, match="2.root.json was refused") as info:
        update_root(root1(), canonical(new), max_bytes=CAP)
    assert info.value.kind is Kind.VERIFICATION_FAILED and isinstance(info.value, TrustError)


def test_root_signed_only_by_the_old_key_after_a_key_change_is_refused():
    new = root2(root1(), ROOT_KEY, root_pubkeys=[NEW_ROOT_KEY.public_hex])
    with pytest.raises(MetadataRefused):
        update_root(root1(), canonical(new), max_bytes=CAP)


@pytest.mark.parametrize("version", [1, 3, 0])
def test_root_with_a_wrong_version_is_refused(version):
    # Replaying root 1 as "the next root", or skipping a version, never advances the chain.
    new = root2(root1(), ROOT_KEY, version=version)
    with pytest.raises(MetadataRefused):
        update_root(root1(), canonical(new), max_bytes=CAP)


def test_root_with_a_tampered_body_is_refused():
    new = root2(root1(), ROOT_KEY)
    new["signed"]["delegations"]["key_mgr"]["pubkeys"] = [OTHER_KEY.public_hex]
    with pytest.raises(MetadataRefused, match="signed"):
        update_root(root1(), canonical(new), max_bytes=CAP)


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b'{"signed": {}, "signed": {}}', b"[]", b'{"signatures": {}, "signed": NaN}', b"\xff\xfe"],
)
def test_malformed_root_bytes_are_refused_not_raised_as_something_else(data):
    with pytest.raises(MetadataRefused, match="2.root.json was refused"):
        update_root(root1(), data, max_bytes=CAP)


def test_oversized_root_is_refused():
    new = canonical(root2(root1(), ROOT_KEY))
    with pytest.raises(MetadataRefused, match="limit|larger"):
        update_root(root1(), new, max_bytes=len(new) - 1)


def test_expired_root_is_accepted_and_left_to_the_policy():
    new = rotate_root(root1(), expiration=PAST)
    sign_openpgp(new, ROOT_KEY)
    assert update_root(root1(), canonical(new), max_bytes=CAP)["signed"]["version"] == 2


# -- key_mgr -------------------------------------------------------------------------------------------
def test_key_mgr_delegated_by_the_root_is_accepted_and_raises_the_high_water_mark():
    accepted = update_key_mgr(root1(), canonical(key_mgr(3)), max_bytes=CAP)
    assert accepted.metadata.version == 3
    assert accepted.high_water == KeyMgrHighWater(3, digest(key_mgr(3)))


def test_key_mgr_rollback_is_refused():
    high = KeyMgrHighWater(4, "x" * 64)
    with pytest.raises(MetadataRefused, match="rollback"):
        update_key_mgr(root1(), canonical(key_mgr(3)), max_bytes=CAP, high_water=high)


def test_key_mgr_same_version_different_content_is_refused():
    first = update_key_mgr(root1(), canonical(key_mgr(2)), max_bytes=CAP)
    other = key_mgr(2, expiration=FUTURE + dt.timedelta(days=1))
    with pytest.raises(MetadataRefused, match="differs"):
        update_key_mgr(root1(), canonical(other), max_bytes=CAP, high_water=first.high_water)
    # The very same document again is fine (a refresh with nothing new).
    again = update_key_mgr(root1(), canonical(key_mgr(2)), max_bytes=CAP, high_water=first.high_water)
    assert again.high_water == first.high_water


def test_key_mgr_signed_by_a_key_the_root_does_not_delegate_is_refused():
    with pytest.raises(MetadataRefused, match="key_mgr.json was refused"):
        update_key_mgr(root1(), canonical(key_mgr(key=OTHER_KEY)), max_bytes=CAP)


def test_key_mgr_mix_and_match_across_roots_is_refused():
    # Valid under a root that delegates key_mgr to OTHER_KEY, presented to a root that delegates to KM_KEY.
    doc = key_mgr(key=OTHER_KEY)
    check_key_mgr(root1(km_key=OTHER_KEY), doc)
    with pytest.raises(MetadataRefused):
        check_key_mgr(root1(), doc)


def test_cached_key_mgr_no_longer_counts_after_a_rotation_away_from_its_key():
    rotated = root2(root1(), ROOT_KEY, key_mgr_pubkeys=[OTHER_KEY.public_hex])
    newest = update_root(root1(), canonical(rotated), max_bytes=CAP)
    with pytest.raises(MetadataRefused):
        check_key_mgr(newest, key_mgr())


def test_root_document_presented_as_key_mgr_is_refused():
    with pytest.raises(MetadataRefused, match="key_mgr"):
        update_key_mgr(root1(), canonical(root1()), max_bytes=CAP)


def test_key_mgr_with_a_stripped_signature_is_refused():
    doc = copy.deepcopy(key_mgr())
    doc["signatures"] = {}
    with pytest.raises(MetadataRefused):
        update_key_mgr(root1(), canonical(doc), max_bytes=CAP)


@pytest.mark.parametrize("data", [b"", b"{", b'{"signed": 1, "signed": 2}', b"null", b'"key_mgr"'])
def test_malformed_key_mgr_bytes_are_refused(data):
    with pytest.raises(MetadataRefused, match="key_mgr.json was refused"):
        update_key_mgr(root1(), data, max_bytes=CAP)


def test_expired_key_mgr_is_accepted_and_reported_expired():
    accepted = update_key_mgr(root1(), canonical(key_mgr(expiration=PAST)), max_bytes=CAP)
    assert accepted.metadata.is_expired(NOW)
