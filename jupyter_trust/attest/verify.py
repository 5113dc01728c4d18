"""``verify_attestation``: one sidecar, one package file, one channel's publisher policy -> AttestationResult.

sigstore-python verifies each bundle (certificate chain to the trust root's CA at the log's signed time, the
embedded SCT, the inclusion proof, checkpoint and signed entry timestamp, the DSSE signature and its log
entry); this module then checks the CEP 27 statement against the file name and sha256, and the signer
against the channel's publishers. Bundle checks are remembered per (trust root, bundle bytes), and whole
results per (trust root, sidecar sha256, file name, package sha256, channel, publishers, transport): every
check is a pure function of exactly those, so a warm server answers a sidecar it has seen from memory.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.x509 import Certificate

from .publishers import allowed, signer_of
from .result import AttestationResult, Signer, Transport, iso_time
from .sidecar import SidecarError, parse_sidecar
from .sigroot import SigstoreRoot, SigstoreRootError
from .statement import StatementError, check_statement


class _AnySigner:
    """A sigstore policy accepting every identity: who signed is decided afterwards, by the channel's publishers,
    so that "not an allowed publisher" and "not a valid signature" stay two different results."""

    def verify(self, cert: Certificate) -> None:
        return None


@dataclass(frozen=True)
class _Checked:
    """A bundle sigstore verified: its certificate, signer, DSSE payload and log entry."""

    cert: Certificate
    signer: Signer
    payload_type: str
    payload: bytes
    log_index: int | None
    integrated_time: int | None


_MEMO: OrderedDict[tuple[int, str], _Checked | str] = OrderedDict()
_MEMO_MAX = 4096
_MEMO_LOCK = threading.Lock()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_bundle(root: SigstoreRoot, bundle: Mapping[str, Any]) -> _Checked | str:
    """The verified bundle, or why it does not verify (a text safe to show)."""
    from sigstore.models import Bundle

    text = json.dumps(bundle, sort_keys=True, separators=(",", ":"))
    key = (id(root), hashlib.sha256(text.encode()).hexdigest())
    with _MEMO_LOCK:
        hit = _MEMO.get(key)
    if hit is not None:
        return hit
    verifier = root.verifier()
    try:
        parsed = Bundle.from_json(text)
        payload_type, payload = verifier.verify_dsse(parsed, _AnySigner())
        cert = parsed.signing_certificate
        entries = (bundle.get("verificationMaterial") or {}).get("tlogEntries") or [{}]
        result: _Checked | str = _Checked(
            cert,
            signer_of(cert),
            payload_type,
            payload,
            _int(entries[0].get("logIndex")),
            _int(entries[0].get("integratedTime")),
        )
    except Exception as exc:  # sigstore reports a bad bundle with several exception types
        result = f"the Sigstore bundle does not verify: {str(exc) or type(exc).__name__}"
    _remember(_MEMO, key, result, _MEMO_MAX)
    return result


_PARSED: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
_RESULTS: OrderedDict[tuple[Any, ...], AttestationResult] = OrderedDict()


def _remember(memo: OrderedDict[Any, Any], key: Any, value: Any, limit: int) -> None:
    with _MEMO_LOCK:
        memo[key] = value
        memo.move_to_end(key)
        while len(memo) > limit:
            memo.popitem(last=False)


def _parsed(digest: str, sidecar: bytes) -> list[dict[str, Any]]:
    """The sidecar's bundles, parsed once per content (the parse is strict and pure, so its result is too)."""
    with _MEMO_LOCK:
        hit = _PARSED.get(digest)
    if hit is not None:
        return hit
    bundles = parse_sidecar(sidecar)
    _remember(_PARSED, digest, bundles, _MEMO_MAX // 4)
    return bundles


def verify_attestation(
    sidecar: bytes,
    filename: str,
    sha256: str,
    channel: str,
    publishers: Sequence[Mapping[str, str]] | None,
    trusted_root: SigstoreRoot,
    *,
    transport: Transport = "cep50",
) -> AttestationResult:
    """The attestation result for ``filename`` (``sha256``) from ``channel`` given the sidecar's bytes.

    ``publishers`` is the channel's ``trusted_publishers`` entry (None: any valid signer). Every bundle in the
    sidecar must verify and be about this file; the package is *verified* when one of them is signed by an
    allowed publisher.
    """
    digest = hashlib.sha256(sidecar).hexdigest()
    key = _result_key(trusted_root, digest, filename, sha256, channel, publishers, transport)
    with _MEMO_LOCK:
        hit = _RESULTS.get(key)
    if hit is None:
        try:
            hit = _verify(sidecar, digest, filename, sha256, channel, publishers, trusted_root, transport)
        except SigstoreRootError as exc:  # not remembered: the root may be readable on the next plan
            return AttestationResult("invalid", str(exc), transport=transport, sidecar_sha256=digest)
        _remember(_RESULTS, key, hit, _MEMO_MAX)
    return hit


def _result_key(
    root: SigstoreRoot,
    sidecar_sha256: str,
    filename: str,
    sha256: str,
    channel: str,
    publishers: Sequence[Mapping[str, str]] | None,
    transport: Transport,
) -> tuple[Any, ...]:
    policy = None if publishers is None else json.dumps(list(publishers), sort_keys=True)
    return (id(root), sidecar_sha256, filename, sha256, channel, policy, transport)


def remembered(
    sidecar_sha256: str,
    filename: str,
    sha256: str,
    channel: str,
    publishers: Sequence[Mapping[str, str]] | None,
    trusted_root: SigstoreRoot,
    *,
    transport: Transport = "cep50",
) -> AttestationResult | None:
    """What :func:`verify_attestation` answered for a sidecar with this sha256 and these same inputs, if this
    process has checked it (the sha256 pins the bytes, so a pinned sidecar need not be read again)."""
    key = _result_key(trusted_root, sidecar_sha256, filename, sha256, channel, publishers, transport)
    with _MEMO_LOCK:
        return _RESULTS.get(key)


def _verify(
    sidecar: bytes,
    digest: str,
    filename: str,
    sha256: str,
    channel: str,
    publishers: Sequence[Mapping[str, str]] | None,
    trusted_root: SigstoreRoot,
    transport: Transport,
) -> AttestationResult:
    def result(status: Any, reason: str, checked: _Checked | None = None) -> AttestationResult:
        return AttestationResult(
            status,
            reason,
            signer=checked.signer if checked else None,
            transport=transport,
            sidecar_sha256=digest,
            log_index=checked.log_index if checked else None,
            integrated_time=iso_time(checked.integrated_time) if checked else None,
        )

    try:
        bundles = _parsed(digest, sidecar)
    except SidecarError as exc:
        # CEP 50: a malformed advertised sidecar is a retrieval failure, never "no attestations".
        return result("retrieval-failed" if transport == "cep50" else "invalid", str(exc))
    if not bundles:
        if transport == "cep50":
            return result("retrieval-failed", "the advertised sidecar holds no attestation")
        return result("missing", "the .v0.sigs sidecar holds no attestation")
    checked: list[_Checked] = []
    target_channels: list[str | None] = []
    for number, bundle in enumerate(bundles, 1):
        outcome = _check_bundle(trusted_root, bundle)
        where = f"bundle {number} of {len(bundles)}" if len(bundles) > 1 else "the bundle"
        if isinstance(outcome, str):
            return result("invalid", f"{where}: {outcome}")
        try:
            target_channels.append(check_statement(outcome.payload_type, outcome.payload, filename, sha256))
        except StatementError as exc:
            return result("invalid", f"{where}: {exc}", outcome)
        checked.append(outcome)
    for item, target in zip(checked, target_channels, strict=True):
        if allowed(item.cert, publishers):
            reason = f"published by {item.signer.describe()}"
            if target and target.rstrip("/") != channel.rstrip("/"):
                reason += f" (attested for {target}; served by {channel.rstrip('/')}, a mirror?)"
            if publishers is None:
                reason += "; no trusted_publishers entry for this channel: any valid signer is accepted"
            return result("verified", reason, item)
    first = checked[0]
    return result(
        "untrusted-publisher",
        f"signed by {first.signer.describe()}, which is not a trusted publisher for {channel.rstrip('/')}",
        first,
    )
