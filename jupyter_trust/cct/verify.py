"""Verification, with conda-content-trust's semantics and error classes (docs: content-trust-spec §4).

``verify_signable`` counts good signatures per distinct authorized key; ``verify_root`` enforces the N+1
rule and both the old and the new root thresholds (OpenPGP-form signatures only); ``verify_delegation``
checks key_mgr against root and package records against key_mgr (raw ed25519); ``verify_records`` gives
each repodata record a verdict: trusted, untrusted or unsigned.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .canonical import canonical, canonical_record
from .crypto import ed25519_verify, openpgp_digest
from .errors import FormatError, MetadataVerificationError, SignatureError, UnknownRoleError
from .jsonload import StrictRecords, loads_strict_records
from .metadata import DelegatingMetadata, is_delegating, is_gpg_signature, is_hex64, is_raw_signature, is_signable

Verdict = Literal["trusted", "untrusted", "unsigned"]
_PARALLEL_MIN_RECORDS = 2000


def _good_keys(signatures: Mapping[str, Any], authorized: frozenset[str], *, gpg: bool, data: bytes) -> set[str]:
    """Authorized keys with a valid signature; malformed entries are skipped (CCT skips them too).

    ``authorized`` holds only 64-hex keys (both callers check them), so a key found in it is one.
    """
    good: set[str] = set()
    for pubkey, sig in signatures.items():
        if pubkey not in authorized:
            continue
        if gpg:
            if not is_gpg_signature(sig):
                continue
            message = openpgp_digest(data, sig["other_headers"])
        else:
            if not (is_raw_signature(sig) or is_gpg_signature(sig)):
                continue
            message = data
        if ed25519_verify(pubkey, sig["signature"], message):
            good.add(pubkey)
    return good


def verify_signable(
    envelope: Mapping[str, Any], authorized_keys: Sequence[str], threshold: int, *, gpg: bool = False
) -> None:
    """Raise :class:`SignatureError` unless ``threshold`` distinct authorized keys signed ``canonical(signed)``."""
    if not is_signable(envelope):
        raise TypeError("not a signable: expected exactly the keys 'signatures' and 'signed'")
    if not isinstance(authorized_keys, list | tuple) or not all(is_hex64(k) for k in authorized_keys):
        raise TypeError("authorized keys must be a list of 64-hex public keys")
    if isinstance(threshold, bool):
        threshold = int(threshold)
    if not isinstance(threshold, int) or threshold < 1:
        raise TypeError("threshold must be an integer >= 1")
    good = _good_keys(envelope["signatures"], frozenset(authorized_keys), gpg=gpg, data=canonical(envelope["signed"]))
    if len(good) < threshold:
        raise SignatureError(f"{len(good)} valid signature(s) from authorized keys, {threshold} required")


def _root(doc: Any) -> DelegatingMetadata:
    return DelegatingMetadata.from_envelope(doc, strict=False)


def verify_root(trusted: Mapping[str, Any], untrusted: Mapping[str, Any]) -> None:
    """Root rotation: version N+1 exactly, signed by the old root's and the new root's root keys (OpenPGP)."""
    old, new = _root(trusted), _root(untrusted)
    if old.type != "root" or new.type != "root":
        raise FormatError("Expected two instances of root metadata")
    if "root" not in old.delegations or "root" not in new.delegations:
        raise KeyError("root")
    if new.version != (old.version or 0) + 1:
        raise MetadataVerificationError(
            f"root version {new.version} does not follow the trusted root version {old.version} (must be N+1)"
        )
    for label, delegation in (("trusted", old.delegations["root"]), ("new", new.delegations["root"])):
        try:
            verify_signable(untrusted, delegation.pubkeys, delegation.threshold, gpg=True)
        except SignatureError as exc:
            raise SignatureError(f"root v{new.version} is not signed by the {label} root's keys: {exc}") from None


def self_verify_root(root: Mapping[str, Any]) -> None:
    """A first root, checked against its own root delegation (how a trust anchor is checked)."""
    meta = _root(root)
    if meta.type != "root":
        raise FormatError(f"expected root metadata, got {meta.type!r}")
    if "root" not in meta.delegations:
        raise UnknownRoleError("the root does not delegate 'root'")
    delegation = meta.delegations["root"]
    verify_signable(root, delegation.pubkeys, delegation.threshold, gpg=True)


def verify_delegation(
    role: str, untrusted: Mapping[str, Any], trusted: Mapping[str, Any], *, gpg: bool = False
) -> None:
    """``untrusted`` (key_mgr, or a package-record envelope) against ``trusted``'s delegation of ``role``."""
    if not isinstance(role, str) or not isinstance(gpg, bool):
        raise TypeError("role must be a str and gpg a bool")
    delegator = DelegatingMetadata.from_envelope(trusted, strict=False)
    if not is_signable(untrusted):
        raise TypeError("not a signable: expected exactly the keys 'signatures' and 'signed'")
    if is_delegating(untrusted) and untrusted["signed"]["type"] != role:
        raise MetadataVerificationError(f"expected metadata of type {role!r}, got {untrusted['signed']['type']!r}")
    if role not in delegator.delegations:
        raise UnknownRoleError(f"the trusted metadata does not delegate {role!r}")
    delegation = delegator.delegations[role]
    verify_signable(untrusted, delegation.pubkeys, delegation.threshold, gpg=gpg)


# -- package records ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordVerdict:
    verdict: Verdict
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"verdict": self.verdict, "reason": self.reason}


TRUSTED = RecordVerdict("trusted", "package metadata is signed by the channel's pkg_mgr key and verified")
_ABSENT = object()


def _record_table(repodata: Mapping[str, Any]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key in ("packages", "packages.conda"):
        section = repodata.get(key)
        if section is None:
            continue
        if not isinstance(section, dict):
            raise FormatError(f"repodata '{key}' must be an object")
        table.update(section)
    return table


NOT_FOUND = "the record was not found in the verified repodata"


def _wanted_records(repodata: Mapping[str, Any], names: list[str]) -> tuple[dict[str, Any], dict[str, RecordVerdict]]:
    """The records of ``names``, looked up one by one in a lazily read document (nothing else is read), and
    verdicts for those missing or unusable (a lookup names the defect)."""
    table: dict[str, Any] = {}
    refused: dict[str, RecordVerdict] = {}
    for fn in names:
        try:
            for key in ("packages.conda", "packages"):
                section = repodata.get(key)
                if section is None:
                    continue
                record = section.get(fn, _ABSENT)
                if record is not _ABSENT:
                    table[fn] = record
                    break
            else:
                refused[fn] = RecordVerdict("untrusted", NOT_FOUND)
        except FormatError as exc:
            refused[fn] = RecordVerdict("untrusted", f"{fn} cannot be used: {exc}")
    return table, refused


def _pkg_delegation(key_mgr: Mapping[str, Any] | None) -> tuple[frozenset[str], int] | str:
    """The pkg_mgr keys and threshold, or why there are none (then no signed record can be trusted).

    conda-content-trust checks the key_mgr's format, its signatures' shapes included, before each record.
    """
    if key_mgr is None:
        return "no verified key_mgr metadata"
    try:
        meta = DelegatingMetadata.from_envelope(key_mgr, strict=False)
    except (FormatError, ValueError, TypeError) as exc:
        return f"the key_mgr metadata is malformed: {exc}"
    if meta.type != "key_mgr":
        return f"expected key_mgr metadata, got {meta.type!r}"
    if not all(is_raw_signature(s) or is_gpg_signature(s) for s in key_mgr["signatures"].values()):
        return "the key_mgr metadata holds a malformed signature"
    if "pkg_mgr" not in meta.delegations:
        return "the key_mgr does not delegate 'pkg_mgr'"
    delegation = meta.delegations["pkg_mgr"]
    return frozenset(delegation.pubkeys), delegation.threshold


def _entry_shape(entry: Any) -> str:
    return "null" if entry is None else f"a {type(entry).__name__}" if not isinstance(entry, dict) else "an object"


def _poses_as_metadata(record: dict[str, Any], entry: dict[str, Any]) -> bool:
    """conda-content-trust refuses a signed object that passes as root/key_mgr metadata (type mismatch)."""
    return (
        "delegations" in record
        and all(is_raw_signature(s) or is_gpg_signature(s) for s in entry.values())
        and is_delegating({"signatures": entry, "signed": record})
    )


def _verdict(fn: str, record: Any, entry: Any, keys: frozenset[str], threshold: int, float_free: bool) -> RecordVerdict:
    """One record, as conda-content-trust's ``verify_delegation("pkg_mgr", ...)`` would judge it.

    ``entry`` is the record's signature entry; its presence is what makes the record signed: whatever it
    holds, it must then verify.
    """
    if type(entry) is not dict:
        # conda-content-trust: not a signable (TypeError), so conda refuses the transaction
        return RecordVerdict("untrusted", f"the signature entry for {fn} is {_entry_shape(entry)}, not an object")
    if not (fn.endswith(".tar.bz2") or fn.endswith(".conda")):
        return RecordVerdict("untrusted", f"{fn} is not a .conda or .tar.bz2 file name")
    if type(record) is not dict:
        return RecordVerdict("untrusted", f"the record for {fn} is not an object")
    if _poses_as_metadata(record, entry):
        return RecordVerdict("untrusted", f"the record for {fn} poses as root/key_mgr metadata")
    if not entry:
        return RecordVerdict("untrusted", f"the signature entry for {fn} is empty")
    good = _good_keys(entry, keys, gpg=False, data=canonical_record(record, float_free=float_free))
    if len(good) >= threshold:
        return TRUSTED
    if keys.isdisjoint(entry):
        return RecordVerdict("untrusted", f"{fn} is signed only by keys the key_mgr does not delegate pkg_mgr to")
    return RecordVerdict(
        "untrusted",
        f"invalid signature for {fn}: {len(good)} of {threshold} required pkg_mgr signature(s) verify "
        "(the record was changed after signing, or the signature is malformed)",
    )


def _forked(work: Callable[[int], tuple[dict[str, RecordVerdict], list[str]]]) -> dict[str, RecordVerdict]:
    """``work(0)`` here and ``work(1)`` in a forked child, on both cores; the union of their verdicts.

    ``work(part)`` judges its half and returns those verdicts and the names of the other half. The child
    sends back only the verdicts that are not "trusted", so almost nothing crosses the pipe.
    """
    import gc
    import pickle

    read_fd, write_fd = os.pipe()
    gc.freeze()  # collections would walk (and so copy) every page the two processes share
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_fd)
            result, _ = work(1)
            odd = {fn: (v.verdict, v.reason) for fn, v in result.items() if v.verdict != "trusted"}
            with os.fdopen(write_fd, "wb") as out:
                out.write(pickle.dumps(odd))
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        results, theirs = work(0)
    finally:
        gc.unfreeze()
        # also when work(0) raised: the child (which met the same error) is reaped, not left a zombie
        with os.fdopen(read_fd, "rb") as inp:
            payload = inp.read()
        os.waitpid(pid, 0)
    if not payload:
        raise RuntimeError("the verification worker failed")
    odd = pickle.loads(payload)  # noqa: S301 - our own forked child
    for fn in theirs:
        results[fn] = RecordVerdict(*odd[fn]) if fn in odd else TRUSTED
    return results


Judge = Callable[[str], RecordVerdict]


def _judge(
    repodata: Mapping[str, Any] | StrictRecords,
    key_mgr: Mapping[str, Any] | None,
    filenames: Iterable[str] | None,
    unverifiable: str | None,
) -> tuple[dict[str, RecordVerdict], list[str], Judge]:
    """The verdicts decided without a record (names not in the repodata), the names still to judge, and
    the judge of one of them."""
    if isinstance(repodata, StrictRecords):
        document, defect, float_free = repodata.document, repodata.defect, not repodata.floats
    else:
        document, defect, float_free = repodata, None, False
    lazy = filenames is not None and callable(getattr(document, "locate", None))
    if lazy:
        # A lazily read document (the planner's): one pass finds the wanted records, each parsed strictly.
        names = list(filenames)  # type: ignore[arg-type]
        document.locate(names)  # type: ignore[union-attr]
        table, results = _wanted_records(document, names)
    else:
        table = _record_table(document)
        names = list(table) if filenames is None else list(filenames)
        results = {fn: RecordVerdict("untrusted", f"{fn} is not in the repodata") for fn in names if fn not in table}
    delegation = _pkg_delegation(key_mgr) if unverifiable is None else unverifiable
    sigs = document.get("signatures", _ABSENT)
    names = [fn for fn in names if fn in table]
    if sigs is not _ABSENT and not (type(sigs) is dict or (lazy and isinstance(sigs, Mapping))):
        # conda-content-trust: null and numbers raise TypeError in conda's hook; a list or string is searched
        # as a sequence. Refused here in every case.
        refused = RecordVerdict("untrusted", f"the repodata 'signatures' is {_entry_shape(sigs)}, not an object")
        return results, names, lambda fn: refused
    channel_unsigned = RecordVerdict("unsigned", "no signatures found for this channel (repodata is not signed)")

    keys, threshold = delegation if not isinstance(delegation, str) else (frozenset(), 0)

    def judge(fn: str) -> RecordVerdict:
        reason = defect(fn) if defect is not None else None
        if reason is not None:
            return RecordVerdict("untrusted", f"{fn} cannot be used: {reason}")
        if sigs is _ABSENT:
            return channel_unsigned
        try:
            entry = sigs.get(fn, _ABSENT)  # type: ignore[attr-defined]
        except FormatError as exc:  # a lazily read signature entry that is defective
            return RecordVerdict("untrusted", f"{fn} cannot be used: {exc}")
        if entry is _ABSENT:
            return RecordVerdict("unsigned", f"no signatures found for {fn}")
        if isinstance(delegation, str):
            return RecordVerdict("untrusted", f"{fn} is signed, but no signature can be verified: {delegation}")
        return _verdict(fn, table[fn], entry, keys, threshold, float_free)

    return results, names, judge


def _parallel(workers: int) -> bool:
    return min(workers, os.cpu_count() or 1) > 1 and hasattr(os, "fork")


def verify_records(
    repodata: Mapping[str, Any] | StrictRecords,
    key_mgr: Mapping[str, Any] | None,
    filenames: Iterable[str] | None = None,
    *,
    workers: int = 1,
    unverifiable: str | None = None,
) -> dict[str, RecordVerdict]:
    """A verdict for every record of ``packages`` and ``packages.conda`` (or just ``filenames``).

    A record is *signed* when the top-level ``signatures`` object has an entry for its file name, whatever
    the entry holds; it is then trusted only if ``canonical(record)`` carries the threshold of valid
    signatures by key_mgr's ``pkg_mgr`` keys. A record without an entry is *unsigned*, whatever the state of
    the trust chain. ``key_mgr=None`` (or ``unverifiable``, the reason the trust chain cannot vouch for any
    key) makes every signed record untrusted. ``repodata`` parsed by
    :func:`~jupyter_trust.cct.jsonload.loads_strict_records` refuses (untrusted) the records it found
    defective. Nothing about one record's data ever raises.
    """
    results, names, judge = _judge(repodata, key_mgr, filenames, unverifiable)
    if _parallel(workers) and len(names) >= _PARALLEL_MIN_RECORDS:
        halves = names[: len(names) // 2], names[len(names) // 2 :]
        results.update(_forked(lambda part: ({fn: judge(fn) for fn in halves[part]}, halves[1 - part])))
    else:
        results.update({fn: judge(fn) for fn in names})
    return results


def verify_repodata(
    data: bytes,
    key_mgr: Mapping[str, Any] | None,
    *,
    max_bytes: int,
    workers: int = 1,
    unverifiable: str | None = None,
) -> dict[str, RecordVerdict]:
    """:func:`verify_records` of :func:`~jupyter_trust.cct.jsonload.loads_strict_records` ``(data)``: what
    ``verify`` does with a repodata file. Raises :class:`FormatError` / :class:`NotJSON` for a document
    refused as a whole.

    The bytes are parsed once, before the fork that splits the records over ``workers`` (2) processes.
    Forking first and parsing in both processes was measured (20,000 records): the longer process takes
    the same CPU time either way, since copy-on-write of the shared document costs the child little (a few
    thousand page faults), while the second parse adds ≈ 9 % to the CPU time of the whole verification.
    """
    parsed = loads_strict_records(data, max_bytes=max_bytes)
    return verify_records(parsed, key_mgr, workers=workers, unverifiable=unverifiable)
