"""Publish attestations for a plan: fetch each planned package's sidecar, verify it, and decide what the
results mean for the plan.

* Discovery: a record's ``attestations_sha256`` (CEP 50, hash-pinned: ``<fn>.sigs.<sha256>``, else
  ``<fn>.sigs``) or, only for channels in ``attestations_v0_sigs_channels``, the unpinned
  ``<package url>.v0.sigs``. For an advertised sidecar, a 404, an oversized body or a hash mismatch is
  ``retrieval-failed``, never "none".
* Sidecars are fetched with the bounded fetcher (token applied as for repodata, never shown), concurrently;
  pinned ones are kept by content hash and re-verified whenever read. A pinned sidecar this process has
  already verified for the same package, channel, publishers and trust root is answered from that result
  (its sha256 pins its bytes): a warm plan reads, fetches and starts nothing for it.
* :func:`attestation_reasons` is the pure policy step: evidence is content trust ``trusted`` **or** an
  attestation ``verified``; the ``unsigned`` policy applies to packages with neither.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..attest.config import mode_for, publishers_for, v0_sigs_enabled
from ..attest.result import AttestationResult, not_checked
from ..attest.sidecar import SIDECAR_MAX_BYTES, valid_sha256
from ..fetch import FetchError, NotFound, TooLarge
from ..fsutil import atomic_write, ensure_private_dir
from ..policy import Policy
from .model import PlannedPackage

if TYPE_CHECKING:
    from .service import ChannelReader

#: sidecars fetched and verified at once
MAX_PARALLEL = 8


class _NeedsSidecar(Exception):
    """The package's result needs its sidecar's bytes (raised only when no fetcher is given)."""


RecordLookup = Callable[[PlannedPackage], "Mapping[str, Any] | None"]


def _file_url(p: PlannedPackage) -> str:
    return f"{p.channel.rstrip('/')}/{p.subdir}/{p.filename}"


class SidecarFetcher:
    """Fetches sidecars through a :class:`ChannelReader`; pinned ones are cached by their sha256."""

    def __init__(self, reader: ChannelReader, cache_dir: Path | None) -> None:
        self.reader = reader
        self.cache_dir = cache_dir

    def _get(self, url: str) -> bytes:
        return self.reader.ctx.fetcher.get(self.reader.url(url), max_bytes=SIDECAR_MAX_BYTES)

    def pinned(self, p: PlannedPackage, sha256: str, *, use_cache: bool = True) -> bytes:
        """The CEP 50 sidecar whose sha256 the record advertises (raises FetchError / ValueError)."""
        cached = self.cache_dir / sha256 if self.cache_dir is not None else None
        if use_cache and cached is not None and cached.is_file():
            data = cached.read_bytes()
            if hashlib.sha256(data).hexdigest() == sha256:
                return data
        try:
            data = self._get(f"{_file_url(p)}.sigs.{sha256}")
        except NotFound:
            data = self._get(f"{_file_url(p)}.sigs")
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("the sidecar's sha256 differs from the attestations_sha256 its record advertises")
        if cached is not None:
            atomic_write(cached, data, durable=False)  # content-addressed: a torn file fails the hash check
        return data

    def v0(self, p: PlannedPackage) -> bytes | None:
        """The unpinned ``.v0.sigs`` sidecar, or None when the channel has none for this file."""
        try:
            return self._get(f"{_file_url(p)}.v0.sigs")
        except NotFound:
            return None


def _advertised(record: Mapping[str, Any] | None) -> tuple[bool, str | None]:
    if record is None or "attestations_sha256" not in record:
        return False, None
    value = record["attestations_sha256"]
    return True, value if valid_sha256(value) else None


def _without_sidecar(
    p: PlannedPackage, record: Mapping[str, Any] | None, *, policy: Policy, channel_name: str | None
) -> AttestationResult | None:
    """The result of a package whose check needs no sidecar (no download); None when one must be fetched."""
    if mode_for(policy.attestations, p.channel, channel_name) == "off":
        return not_checked()
    if record is None:  # content trust already refuses it; nothing of it is looked up on the channel
        return not_checked("the record is not in the verified repodata")
    if "/" in p.filename or "\\" in p.filename or p.filename.startswith("."):
        return AttestationResult("invalid", "the record's file name cannot name a file next to the package")
    advertised, sha256 = _advertised(record)
    if advertised:
        if sha256 is None:
            return AttestationResult("retrieval-failed", "the record's attestations_sha256 is not 64 lowercase hex")
        return None
    if not v0_sigs_enabled(policy.attestations_v0_sigs_channels, p.channel, channel_name):
        return AttestationResult("missing", "no attestation is advertised for this package")
    return None


def check_package(
    p: PlannedPackage,
    record: Mapping[str, Any] | None,
    *,
    policy: Policy,
    channel_name: str | None,
    fetch: SidecarFetcher | None,
    root: Any,
) -> AttestationResult:
    """The attestation result of one planned package (never raises: failures are results). Without ``fetch``,
    only what needs no sidecar bytes is answered; anything else raises :class:`_NeedsSidecar`."""

    def verify(data: bytes, transport: Any) -> AttestationResult:
        from ..attest.verify import verify_attestation  # sigstore loads only when there is a sidecar to check

        return verify_attestation(data, p.filename, p.sha256, p.channel, publishers, root, transport=transport)

    decided = _without_sidecar(p, record, policy=policy, channel_name=channel_name)
    if decided is not None:
        return decided
    publishers = publishers_for(policy.trusted_publishers, p.channel, channel_name)
    advertised, sha256 = _advertised(record)
    if advertised and sha256 is not None:
        from ..attest.verify import remembered

        known = remembered(sha256, p.filename, p.sha256, p.channel, publishers, root, transport="cep50")
        if known is not None:
            return known
    if fetch is None:
        raise _NeedsSidecar
    redact = fetch.reader.redact
    if advertised and sha256 is not None:
        try:
            data = fetch.pinned(p, sha256)
        except NotFound:
            return AttestationResult(
                "retrieval-failed", "the advertised sidecar was not found (HTTP 404)", transport="cep50"
            )
        except TooLarge:
            return AttestationResult(
                "retrieval-failed",
                f"the advertised sidecar is larger than the {SIDECAR_MAX_BYTES}-byte limit",
                transport="cep50",
            )
        except (FetchError, ValueError, OSError) as exc:
            return AttestationResult("retrieval-failed", redact(str(exc)), transport="cep50")
        return verify(data, "cep50")
    try:
        data = fetch.v0(p)
    except TooLarge:
        return AttestationResult(
            "retrieval-failed",
            f"the .v0.sigs sidecar is larger than the {SIDECAR_MAX_BYTES}-byte limit",
            transport="v0.sigs",
        )
    except FetchError as exc:
        return AttestationResult("retrieval-failed", redact(str(exc)), transport="v0.sigs")
    if data is None:
        return AttestationResult("missing", "no attestation is advertised and the channel has no .v0.sigs for it")
    return verify(data, "v0.sigs")


def _root(policy: Policy, environ: Mapping[str, str] | None) -> Any:
    from ..attest.sigroot import sigstore_root

    return sigstore_root(policy.sigstore_trust_root, os.environ if environ is None else environ)


def attach_attestations(
    packages: Sequence[PlannedPackage],
    records: RecordLookup,
    *,
    policy: Policy,
    channels: Sequence[tuple[str, str]],
    reader: ChannelReader,
    environ: Mapping[str, str] | None = None,
) -> list[PlannedPackage]:
    """``packages`` with the ``attestation`` of every package the plan links (removals carry none)."""
    linking = [p for p in packages if p.links]
    names = {url.rstrip("/"): name for name, url in channels}
    if not linking or all(mode_for(policy.attestations, p.channel, names.get(p.channel)) == "off" for p in linking):
        results = {id(p): not_checked() for p in linking}
    else:
        root = _root(policy, environ)
        found: dict[int, Mapping[str, Any] | None] = {}

        def one(p: PlannedPackage, fetch: SidecarFetcher | None) -> AttestationResult:
            try:
                if id(p) not in found:  # looked up once (the first pass runs before any other thread)
                    found[id(p)] = records(p)
                return check_package(
                    p, found[id(p)], policy=policy, channel_name=names.get(p.channel), fetch=fetch, root=root
                )
            except _NeedsSidecar:
                raise
            except Exception as exc:  # fail closed: whatever could not be checked blocks, and says so
                return AttestationResult("invalid", f"the attestation could not be checked ({type(exc).__name__})")

        # First what needs no sidecar bytes (nothing advertised, or a pinned sidecar already verified), on this
        # thread; then the rest, fetched and verified concurrently.
        results = {}
        pending = []
        for p in linking:
            try:
                results[id(p)] = one(p, None)
            except _NeedsSidecar:
                pending.append(p)
        if pending:
            fetch = SidecarFetcher(reader, ensure_private_dir(reader.ctx.work_dir / "sidecars"))
            with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(pending))) as pool:
                results.update(zip(map(id, pending), pool.map(lambda p: one(p, fetch), pending), strict=True))
    return [dataclasses.replace(p, attestation=results[id(p)].to_json()) if p.links else p for p in packages]


def attestation_reasons(
    packages: Sequence[PlannedPackage], policy: Policy, channel_names: Mapping[str, str] | None = None
) -> tuple[list[str], bool]:
    """What attestations do to a plan: the blocking reasons, and whether it links a package with no evidence
    (content trust not ``trusted`` and attestation not ``verified``) that the ``unsigned`` policy must confirm.

    Pure: the decision reads only the packages and the policy."""
    names = channel_names or {}
    reasons: list[str] = []
    unverified = False
    for p in packages:
        if not p.links:
            continue
        att = p.attestation or {}
        status = att.get("status")
        if status in ("invalid", "untrusted-publisher", "retrieval-failed"):
            reasons.append(f"{p.filename}: attestation {status}: {att.get('reason')}")
        elif status == "missing" and mode_for(policy.attestations, p.channel, names.get(p.channel)) == "require":
            reasons.append(f"{p.filename} has no publish attestation, and your policy requires one for {p.channel}")
        if p.verdict == "unsigned" and status != "verified":
            unverified = True
            if policy.unsigned == "block":
                reasons.append(f"{p.filename} is unsigned, and your policy blocks unsigned packages")
    return reasons, unverified


def recheck_sidecars(packages: Sequence[PlannedPackage], reader: ChannelReader) -> list[str]:
    """At install time: every sidecar a plan's attestation was verified from is downloaded again; the file names
    whose sidecar bytes changed (or vanished) since planning."""
    fetch = SidecarFetcher(reader, None)
    pinned = [p for p in packages if p.links and (p.attestation or {}).get("sidecar_sha256")]

    def changed(p: PlannedPackage) -> bool:
        att = p.attestation or {}
        expected = att["sidecar_sha256"]
        try:
            data = fetch.pinned(p, expected, use_cache=False) if att.get("transport") == "cep50" else fetch.v0(p)
        except (FetchError, ValueError, OSError):
            return True
        return data is None or hashlib.sha256(data).hexdigest() != expected

    if not pinned:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(pinned))) as pool:
        flags = list(pool.map(changed, pinned))
    return [p.filename for p, flag in zip(pinned, flags, strict=True) if flag]
