"""Who may publish to a channel: the ``trusted_publishers`` policy, matched with sigstore's certificate policies.

``{"<channel name or URL>": [{"issuer": ..., "repository": "https://github.com/org/repo"} |
{"issuer": ..., "identity": "<exact certificate SAN>"}, ...]}``. A channel without an entry accepts any
valid signer; an entry with an empty list accepts none (see :mod:`.config` for validation and lookup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cryptography.hazmat import asn1
from cryptography.x509 import (
    Certificate,
    ExtensionNotFound,
    ObjectIdentifier,
    OtherName,
    RFC822Name,
    SubjectAlternativeName,
    UniformResourceIdentifier,
)
from sigstore.errors import VerificationError
from sigstore.verify import policy as sp

from .result import Signer

_FULCIO = "1.3.6.1.4.1.57264.1."
_ISSUER_V1 = ObjectIdentifier(_FULCIO + "1")
_ISSUER_V2 = ObjectIdentifier(_FULCIO + "8")
_SOURCE_REPOSITORY = ObjectIdentifier(_FULCIO + "12")
_SOURCE_DIGEST = ObjectIdentifier(_FULCIO + "13")
_SOURCE_REF = ObjectIdentifier(_FULCIO + "14")


def _issuer_policy(issuer: str) -> sp.VerificationPolicy:
    return sp.AnyOf([sp.OIDCIssuerV2(issuer), sp.OIDCIssuer(issuer)])


def entry_policy(entry: Mapping[str, str]) -> sp.VerificationPolicy:
    if "repository" in entry:
        return sp.AllOf([_issuer_policy(entry["issuer"]), sp.OIDCSourceRepositoryURI(entry["repository"])])
    return sp.AllOf([_issuer_policy(entry["issuer"]), sp.Identity(identity=entry["identity"])])


def allowed(cert: Certificate, entries: Sequence[Mapping[str, str]] | None) -> bool:
    """Does the (already verified) signing certificate belong to an allowed publisher?"""
    if entries is None:
        return True
    for entry in entries:
        try:
            entry_policy(entry).verify(cert)
        except (VerificationError, ValueError):  # a mismatch, or an extension that is not a DER string
            continue
        return True
    return False


def _extension(cert: Certificate, oid: ObjectIdentifier, *, der: bool) -> str | None:
    try:
        raw = cert.extensions.get_extension_for_oid(oid).value.value  # type: ignore[attr-defined]
    except (ExtensionNotFound, AttributeError):
        return None
    try:
        return asn1.decode_der(str, raw) if der else raw.decode()
    except (ValueError, UnicodeDecodeError):
        return None


def signer_of(cert: Certificate) -> Signer:
    """The signer's identity (first SAN: URI, email or Sigstore other-name) and issuer, and for CI identities the
    source repository, ref and commit."""
    identity = ""
    try:
        san = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
        values = [
            *san.get_values_for_type(UniformResourceIdentifier),
            *san.get_values_for_type(RFC822Name),
            *(on.value.decode(errors="replace") for on in san.get_values_for_type(OtherName)),
        ]
        identity = values[0] if values else ""
    except ExtensionNotFound:
        pass
    issuer = _extension(cert, _ISSUER_V2, der=True) or _extension(cert, _ISSUER_V1, der=False) or ""
    return Signer(
        identity=identity,
        issuer=issuer,
        repository=_extension(cert, _SOURCE_REPOSITORY, der=True),
        ref=_extension(cert, _SOURCE_REF, der=True),
        commit=_extension(cert, _SOURCE_DIGEST, der=True),
    )
