"""ed25519 through libsodium (PyNaCl), and the OpenPGP v4 digest used by root signatures."""

from __future__ import annotations

from functools import lru_cache

import nacl.bindings
import nacl.exceptions

# hashlib and nacl.signing are imported where used: verifying package records (the bulk of `verify`)
# needs neither, and a cold command pays for every import.


@lru_cache(maxsize=1024)
def _pub(pubkey_hex: str) -> bytes:
    return bytes.fromhex(pubkey_hex)


def ed25519_verify(pubkey_hex: str, signature_hex: str, message: bytes) -> bool:
    """True if ``signature_hex`` is a valid ed25519 signature of ``message`` by ``pubkey_hex``."""
    try:
        sig = bytes.fromhex(signature_hex)
        if len(sig) != 64:
            return False
        nacl.bindings.crypto_sign_open(sig + message, _pub(pubkey_hex))
        return True
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError, TypeError):
        return False


def openpgp_digest(data: bytes, other_headers_hex: str) -> bytes:
    """SHA-256(data || H || 0x04 0xFF || uint32_be(len(H))) — RFC 4880 §5.2.4, as conda-content-trust checks it."""
    import hashlib
    import struct

    headers = bytes.fromhex(other_headers_hex)
    return hashlib.sha256(data + headers + b"\x04\xff" + struct.pack(">I", len(headers))).digest()


def sign_raw_bytes(private_hex: str, message: bytes) -> str:
    """Deterministic ed25519 signature (128 lowercase hex) of ``message`` with the 32-byte seed ``private_hex``."""
    import nacl.signing

    return nacl.signing.SigningKey(bytes.fromhex(private_hex)).sign(message).signature.hex()


def public_from_private(private_hex: str) -> str:
    import nacl.signing

    return nacl.signing.SigningKey(bytes.fromhex(private_hex)).verify_key.encode().hex()
