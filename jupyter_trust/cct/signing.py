"""Signing tools for an organisation's own channel: keys, root (OpenPGP-form, no gpg), key_mgr, repodata.

What these tools sign, conda-content-trust accepts: raw ed25519 over ``canonical(signed)`` for key_mgr and
records, and for roots an OpenPGP v4 EdDSA signature packet's hashed part (``other_headers``) plus the
signature over the RFC 4880 digest, exactly the shape gpg produces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.signing

from ..fsutil import atomic_write, read_private
from .canonical import canonical
from .crypto import openpgp_digest, public_from_private, sign_raw_bytes
from .errors import FormatError
from .metadata import HEX64, format_utc

SPEC_VERSION = "0.6.0"
DEFAULT_LIFETIME = dt.timedelta(days=365)
_ED25519_OID = bytes.fromhex("2b06010401da470f01")


@dataclass(frozen=True)
class KeyPair:
    private_hex: str
    public_hex: str

    def __repr__(self) -> str:  # never print a private key by accident
        return f"KeyPair(public_hex={self.public_hex!r})"


def generate_keypair() -> KeyPair:
    key = nacl.signing.SigningKey.generate()
    return KeyPair(key.encode().hex(), key.verify_key.encode().hex())


def keypair_from_private(private_hex: str) -> KeyPair:
    private_hex = "".join(private_hex.split()).lower()
    if not HEX64.fullmatch(private_hex):
        raise FormatError("a private key is 64 hex characters (a raw 32-byte ed25519 seed)")
    return KeyPair(private_hex, public_from_private(private_hex))


def write_keypair(directory: Path, name: str, keypair: KeyPair) -> tuple[Path, Path]:
    """``<name>.pri`` (hex seed, mode 0600) and ``<name>.pub`` (hex public key)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / f"{name}.pri", directory / f"{name}.pub"
    atomic_write(private, keypair.private_hex.encode())
    atomic_write(public, (keypair.public_hex + "\n").encode(), mode=0o644)
    return private, public


def read_private_key(path: Path) -> KeyPair:
    """Read a private key file; refuses symlinks and files other users can read."""
    return keypair_from_private(read_private(Path(path), max_bytes=4096).decode("ascii", "replace"))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def build_delegating_metadata(
    kind: str,
    delegations: Mapping[str, tuple[Sequence[str], int]],
    *,
    version: int = 1,
    expiration: dt.datetime | None = None,
    timestamp: dt.datetime | None = None,
) -> dict[str, Any]:
    timestamp = timestamp or _now()
    expiration = expiration or (timestamp + DEFAULT_LIFETIME)
    return {
        "signatures": {},
        "signed": {
            "delegations": {
                role: {"pubkeys": list(keys), "threshold": threshold} for role, (keys, threshold) in delegations.items()
            },
            "expiration": format_utc(expiration),
            "metadata_spec_version": SPEC_VERSION,
            "timestamp": format_utc(timestamp),
            "type": kind,
            "version": version,
        },
    }


def build_root(
    root_pubkeys: Sequence[str],
    root_threshold: int,
    key_mgr_pubkeys: Sequence[str],
    key_mgr_threshold: int,
    *,
    version: int = 1,
    expiration: dt.datetime | None = None,
    timestamp: dt.datetime | None = None,
) -> dict[str, Any]:
    return build_delegating_metadata(
        "root",
        {"root": (root_pubkeys, root_threshold), "key_mgr": (key_mgr_pubkeys, key_mgr_threshold)},
        version=version,
        expiration=expiration,
        timestamp=timestamp,
    )


def build_key_mgr(
    pkg_mgr_pubkeys: Sequence[str],
    threshold: int,
    *,
    version: int = 1,
    expiration: dt.datetime | None = None,
    timestamp: dt.datetime | None = None,
) -> dict[str, Any]:
    return build_delegating_metadata(
        "key_mgr",
        {"pkg_mgr": (pkg_mgr_pubkeys, threshold)},
        version=version,
        expiration=expiration,
        timestamp=timestamp,
    )


def rotate_root(
    previous: Mapping[str, Any],
    *,
    root_pubkeys: Sequence[str] | None = None,
    root_threshold: int | None = None,
    key_mgr_pubkeys: Sequence[str] | None = None,
    key_mgr_threshold: int | None = None,
    expiration: dt.datetime | None = None,
) -> dict[str, Any]:
    """Root N+1 from root N (unsigned): sign it with enough OLD and NEW root keys for it to chain."""
    old = previous["signed"]["delegations"]
    return build_root(
        root_pubkeys if root_pubkeys is not None else old["root"]["pubkeys"],
        root_threshold if root_threshold is not None else old["root"]["threshold"],
        key_mgr_pubkeys if key_mgr_pubkeys is not None else old["key_mgr"]["pubkeys"],
        key_mgr_threshold if key_mgr_threshold is not None else old["key_mgr"]["threshold"],
        version=int(previous["signed"]["version"]) + 1,
        expiration=expiration,
    )


def sign_raw(envelope: dict[str, Any], keypair: KeyPair) -> dict[str, Any]:
    """Add a raw ed25519 signature over ``canonical(signed)`` (key_mgr, records)."""
    envelope.setdefault("signatures", {})[keypair.public_hex] = {
        "signature": sign_raw_bytes(keypair.private_hex, canonical(envelope["signed"]))
    }
    return envelope


def openpgp_fingerprint(public_hex: str, created: int) -> str:
    """The v4 fingerprint gpg computes for an EdDSA (ed25519) public key created at ``created``."""
    point = b"\x40" + bytes.fromhex(public_hex)
    body = (
        b"\x04"
        + struct.pack(">I", created)
        + bytes([22, len(_ED25519_OID)])
        + _ED25519_OID
        + struct.pack(">H", len(point) * 8 - 1)
        + point
    )
    return hashlib.sha1(b"\x99" + struct.pack(">H", len(body)) + body, usedforsecurity=False).hexdigest()


def openpgp_headers(public_hex: str, created: int) -> str:
    """Hashed part of a v4 binary-document EdDSA/SHA-256 signature: issuer fingerprint + creation time."""
    fpr = bytes.fromhex(openpgp_fingerprint(public_hex, created))
    subpackets = bytes([22, 33, 4]) + fpr + bytes([5, 2]) + struct.pack(">I", created)
    return (bytes([4, 0, 22, 8]) + struct.pack(">H", len(subpackets)) + subpackets).hex()


def sign_openpgp(envelope: dict[str, Any], keypair: KeyPair, *, created: int | None = None) -> dict[str, Any]:
    """Add an OpenPGP-form signature (as gpg makes for root metadata), made without gpg."""
    created = int(time.time()) if created is None else created
    headers = openpgp_headers(keypair.public_hex, created)
    digest = openpgp_digest(canonical(envelope["signed"]), headers)
    envelope.setdefault("signatures", {})[keypair.public_hex] = {
        "other_headers": headers,
        "signature": sign_raw_bytes(keypair.private_hex, digest),
    }
    return envelope


def sign_repodata(repodata: dict[str, Any], keypair: KeyPair) -> dict[str, Any]:
    """Sign every record of ``packages`` and ``packages.conda`` (replaces any ``signatures`` object)."""
    if "packages" not in repodata:
        raise ValueError("repodata has no 'packages' key")
    signatures: dict[str, Any] = {}
    for key in ("packages", "packages.conda"):
        for fn, record in (repodata.get(key) or {}).items():
            signatures[fn] = {keypair.public_hex: {"signature": sign_raw_bytes(keypair.private_hex, canonical(record))}}
    repodata["signatures"] = signatures
    return repodata
