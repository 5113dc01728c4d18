"""The trust transitions, pure: given what is trusted now and the bytes of a new document, accept it or raise.

Nothing here fetches, reads or writes a file (python-tuf's ``TrustedMetadataSet`` is the model): the store
(:mod:`jupyter_trust.trust.store`) downloads the bytes, calls a transition, and persists what it accepted.
The conda-content-trust-compatible errors of the verifier (:mod:`jupyter_trust.cct.errors`) stop here: every
refusal is a :class:`MetadataRefused` (kind ``verification_failed``) whose message says why.

Expiry is not a refusal: an expired document is accepted and reported expired; the ``expiry`` policy decides
(see :meth:`~jupyter_trust.trust.store.TrustState.blocking_reasons`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..cct.canonical import canonical
from ..cct.errors import CCTError
from ..cct.jsonload import loads_strict
from ..cct.metadata import DelegatingMetadata
from ..cct.verify import verify_delegation, verify_root
from ..errors import VerificationFailed

#: the exceptions the verifier raises on a bad document (its compatible types, and shape errors)
VERIFIER_ERRORS = (CCTError, ValueError, TypeError, KeyError)


class MetadataRefused(VerificationFailed):
    """A trust-metadata document was refused (bad signature, wrong version, rollback, malformed)."""


def digest(doc: Mapping[str, Any]) -> str:
    """The sha256 of a document's canonical ``signed`` part (what a rollback check compares)."""
    return hashlib.sha256(canonical(doc["signed"])).hexdigest()


def parse(data: bytes, *, max_bytes: int, what: str) -> Any:
    try:
        return loads_strict(data, max_bytes=max_bytes)
    except VERIFIER_ERRORS as exc:
        raise MetadataRefused(f"{what} was refused: {exc}") from None


def update_root(trusted: Mapping[str, Any], data: bytes, *, max_bytes: int) -> dict[str, Any]:
    """Root N+1 from its bytes: parsed strictly, version exactly N+1, signed by root N's keys and its own."""
    expected = (DelegatingMetadata.from_envelope(trusted).version or 1) + 1
    what = f"{expected}.root.json"
    doc = parse(data, max_bytes=max_bytes, what=what)
    try:
        verify_root(trusted, doc)
        version = DelegatingMetadata.from_envelope(doc).version
    except VERIFIER_ERRORS as exc:
        raise MetadataRefused(f"{what} was refused: {exc}") from None
    if version != expected:
        raise MetadataRefused(f"{what} was refused: it says version {version}, not {expected}")
    return dict(doc)


@dataclass(frozen=True)
class KeyMgrHighWater:
    """The highest key_mgr accepted before under the same root key_mgr keys (None: no such memory)."""

    version: int | None = None
    digest: str | None = None


@dataclass(frozen=True)
class AcceptedKeyMgr:
    doc: dict[str, Any]
    metadata: DelegatingMetadata
    high_water: KeyMgrHighWater


def check_key_mgr(root: Mapping[str, Any], doc: Any) -> DelegatingMetadata:
    """``doc`` is key_mgr metadata delegated by ``root`` (its keys and threshold), else :class:`MetadataRefused`."""
    try:
        meta = DelegatingMetadata.from_envelope(doc)
        if meta.type != "key_mgr":
            raise MetadataRefused(f"expected key_mgr metadata, got {meta.type!r}")
        verify_delegation("key_mgr", doc, root)
    except VERIFIER_ERRORS as exc:
        raise MetadataRefused(str(exc)) from None
    return meta


def update_key_mgr(
    root: Mapping[str, Any], data: bytes, *, max_bytes: int, high_water: KeyMgrHighWater = KeyMgrHighWater()
) -> AcceptedKeyMgr:
    """key_mgr from its bytes: delegated by the newest root, and no rollback: never older than the version accepted
    before, and an equal version must be the same document."""
    doc = parse(data, max_bytes=max_bytes, what="key_mgr.json")
    try:
        meta = check_key_mgr(root, doc)
    except MetadataRefused as exc:
        raise MetadataRefused(f"key_mgr.json was refused: {exc}") from None
    version = meta.version or 0
    high, high_digest = high_water.version, high_water.digest
    if high is not None and version < high:
        raise MetadataRefused(f"key_mgr.json was refused: rollback: v{version} is older than v{high} accepted before")
    new_digest = digest(doc)
    if high is not None and version == high and high_digest and new_digest != high_digest:
        raise MetadataRefused(f"key_mgr.json was refused: v{version} differs from the v{version} accepted before")
    return AcceptedKeyMgr(dict(doc), meta, KeyMgrHighWater(max(version, high or 0), new_digest))
