"""Typed trust metadata (root, key_mgr) and the format checks conda-content-trust applies, plus stricter ones.

``is_delegating(envelope)`` answers CCT's question "does this pass ``checkformat_delegating_metadata``?"
(used where CCT branches on it); :meth:`DelegatingMetadata.from_envelope` additionally refuses what CCT
lets through: booleans or floats as version or threshold, an unknown major ``metadata_spec_version``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import FormatError

HEX64 = re.compile(r"[0-9a-f]{64}")
HEX128 = re.compile(r"[0-9a-f]{128}")
HEX40 = re.compile(r"[0-9a-f]{40}")
EVEN_HEX = re.compile(r"(?:[0-9a-f]{2})+")
SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
SUPPORTED_SPEC_MAJOR = 0
DELEGATING_TYPES = ("root", "key_mgr")
_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def is_hex64(value: Any) -> bool:
    return isinstance(value, str) and HEX64.fullmatch(value) is not None


def is_raw_signature(obj: Any) -> bool:
    return isinstance(obj, dict) and len(obj) == 1 and "signature" in obj and _hex128(obj["signature"])


def is_gpg_signature(obj: Any) -> bool:
    if not isinstance(obj, dict) or not {"other_headers", "signature"} <= set(obj):
        return False
    if not set(obj) <= {"other_headers", "signature", "see_also"}:
        return False
    headers = obj["other_headers"]
    if not (isinstance(headers, str) and EVEN_HEX.fullmatch(headers)):
        return False
    if "see_also" in obj and not (isinstance(obj["see_also"], str) and HEX40.fullmatch(obj["see_also"])):
        return False
    return _hex128(obj["signature"])


def _hex128(value: Any) -> bool:
    return isinstance(value, str) and HEX128.fullmatch(value) is not None


def is_signable(obj: Any) -> bool:
    """Exactly ``{"signatures": {...}, "signed": ...}``."""
    return isinstance(obj, dict) and set(obj) == {"signatures", "signed"} and isinstance(obj["signatures"], dict)


def parse_utc(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, str):
        raise FormatError(f"'{field}' must be a UTC time string like 2024-01-31T12:00:00Z")
    try:
        return dt.datetime.strptime(value, _UTC_FORMAT).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise FormatError(f"'{field}' is {value!r}, not a UTC time like 2024-01-31T12:00:00Z") from None


def format_utc(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime(_UTC_FORMAT)


@dataclass(frozen=True)
class Delegation:
    pubkeys: tuple[str, ...]
    threshold: int

    @classmethod
    def parse(cls, role: str, obj: Any, *, strict: bool) -> Delegation:
        if not isinstance(obj, dict) or set(obj) != {"pubkeys", "threshold"}:
            raise FormatError(f"delegation '{role}' must have exactly 'pubkeys' and 'threshold'")
        keys, threshold = obj["pubkeys"], obj["threshold"]
        if not isinstance(keys, list) or not all(is_hex64(k) for k in keys):
            raise FormatError(f"delegation '{role}': pubkeys must be 64 lowercase hex characters each")
        if len(set(keys)) != len(keys):
            raise FormatError(f"delegation '{role}' lists the same public key twice")
        if strict and (isinstance(threshold, bool) or not isinstance(threshold, int)):
            raise FormatError(f"delegation '{role}': threshold must be an integer")
        if not isinstance(threshold, int) or threshold < 1:
            raise FormatError(f"delegation '{role}': threshold must be an integer >= 1")
        return cls(tuple(keys), int(threshold))


@dataclass(frozen=True)
class DelegatingMetadata:
    """root or key_mgr metadata, parsed and format-checked."""

    type: str
    version: int | None
    timestamp: str | None
    expiration: str
    spec_version: str
    delegations: Mapping[str, Delegation]
    envelope: Mapping[str, Any]

    @classmethod
    def from_envelope(cls, envelope: Any, *, strict: bool = True) -> DelegatingMetadata:
        """Format-check a signable root/key_mgr document. ``strict=False`` applies only CCT's own rules."""
        if not is_signable(envelope):
            raise FormatError("not a signable: expected exactly the keys 'signatures' and 'signed'")
        signed = envelope["signed"]
        if not isinstance(signed, dict):
            raise FormatError("'signed' must be an object")
        for key in ("type", "metadata_spec_version", "delegations", "expiration"):
            if key not in signed:
                raise FormatError(f"metadata is missing '{key}'")
        kind = signed["type"]
        if kind not in DELEGATING_TYPES:
            raise FormatError(f"metadata type must be 'root' or 'key_mgr', not {kind!r}")
        spec = signed["metadata_spec_version"]
        if not isinstance(spec, str):
            raise FormatError("'metadata_spec_version' must be a string")
        if strict:
            match = SEMVER.fullmatch(spec)
            if not match:
                raise FormatError(f"'metadata_spec_version' {spec!r} is not a version like 0.6.0")
            if int(match.group(1)) != SUPPORTED_SPEC_MAJOR:
                raise FormatError(f"unsupported metadata_spec_version {spec} (this verifier knows major version 0)")
        parse_utc(signed["expiration"], "expiration")
        if "timestamp" in signed:
            parse_utc(signed["timestamp"], "timestamp")
        version = signed.get("version")
        if "version" in signed:
            if not _natural_int(version, strict=strict):
                raise FormatError(f"'version' must be an integer >= 1, not {version!r}")
        elif kind == "root":
            raise FormatError("root metadata needs a 'version'")
        elif "timestamp" not in signed:
            raise FormatError("key_mgr metadata needs a 'timestamp' or a 'version'")
        delegations = signed["delegations"]
        if not isinstance(delegations, dict):
            raise FormatError("'delegations' must be an object")
        parsed = {role: Delegation.parse(role, d, strict=strict) for role, d in delegations.items()}
        return cls(
            type=kind,
            version=int(version) if version is not None else None,
            timestamp=signed.get("timestamp"),
            expiration=signed["expiration"],
            spec_version=spec,
            delegations=parsed,
            envelope=envelope,
        )

    def expiration_datetime(self) -> dt.datetime:
        return parse_utc(self.expiration, "expiration")

    def is_expired(self, now: dt.datetime) -> bool:
        return now >= self.expiration_datetime()

    def info(self, now: dt.datetime) -> dict[str, Any]:
        return {"version": self.version, "expiration": self.expiration, "expired": self.is_expired(now)}


def _natural_int(value: Any, *, strict: bool) -> bool:
    """CCT accepts ``int(v) == v >= 1`` (so ``True`` and ``2.0``); strict mode wants a real integer."""
    if strict:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    try:
        return isinstance(value, int | float) and int(value) == value and value >= 1
    except (ValueError, OverflowError):
        return False


def is_delegating(envelope: Any) -> bool:
    """CCT's ``checkformat_delegating_metadata`` as a predicate (CCT's rules only)."""
    try:
        DelegatingMetadata.from_envelope(envelope, strict=False)
    except (FormatError, ValueError, TypeError):
        return False
    return True
