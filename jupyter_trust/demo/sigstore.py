"""A private Sigstore for the demo channel and the tests: a Fulcio-like CA, a CT log key and a Rekor-like log
key, enough for sigstore-python 4.5 to verify its bundles offline exactly as it verifies public-good ones. It only
*signs*; everything that verifies is sigstore-python's. Its trust root is used only by the demo and the tests.

Each bundle gets a P-256 leaf certificate (empty subject, the identity as a critical SAN, KeyUsage
digitalSignature, EKU codeSigning, AKI/SKI, the Fulcio issuer extensions 1.1 and 1.8 and the source
repository URI/digest/ref, and exactly one embedded precertificate SCT signed by the CT key), a DSSE
envelope over the statement, and one ``dsse`` 0.0.1 log entry in a log of size 1 with its inclusion proof,
a checkpoint signed by the log key and a signed entry timestamp (the verified time).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..attest.statement import PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
_FULCIO = "1.3.6.1.4.1.57264.1."
_SCT_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def _der_octets(data: bytes) -> bytes:
    n = len(data)
    length = bytes([n]) if n < 128 else bytes([0x82, n >> 8, n & 0xFF])
    return b"\x04" + length + data


def statement(
    filename: str,
    sha256: str,
    *,
    target_channel: str | None = None,
    predicate_type: str = PREDICATE_TYPE,
    subjects: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A CEP 27 publish statement (or, with the keyword arguments, a deliberately wrong one)."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects if subjects is not None else [{"name": filename, "digest": {"sha256": sha256}}],
        "predicateType": predicate_type,
        "predicate": {"targetChannel": target_channel} if target_channel else None,
    }


@dataclass(frozen=True)
class Publisher:
    repository: str = "https://github.com/example-org/example-feedstock"
    workflow: str = ".github/workflows/publish.yaml"
    ref: str = "refs/heads/main"
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    issuer: str = GITHUB_ISSUER

    @property
    def identity(self) -> str:
        return f"{self.repository}/{self.workflow}@{self.ref}"

    def policy_entry(self) -> dict[str, str]:
        return {"issuer": self.issuer, "repository": self.repository}


@dataclass
class PrivateSigstore:
    name: str = "jupyter-trust test sigstore"
    ca_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    ct_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    log_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))

    def __post_init__(self) -> None:
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "example"),
                x509.NameAttribute(NameOID.COMMON_NAME, self.name),
            ]
        )
        ski = x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key())
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.start)
            .not_valid_after(self.start + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(self.ca_key, hashes.SHA384())
        )
        self.log_id = hashlib.sha256(_spki(self.log_key)).digest()
        self.ct_id = hashlib.sha256(_spki(self.ct_key)).digest()

    # -- the trust root --------------------------------------------------------------------------
    def trusted_root(self) -> dict[str, Any]:
        start = self.start.strftime("%Y-%m-%dT%H:%M:%SZ")

        def key(k: ec.EllipticCurvePrivateKey, log_id: bytes, url: str) -> dict[str, Any]:
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": _b64(_spki(k)),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": start},
                },
                "logId": {"keyId": _b64(log_id)},
            }

        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [key(self.log_key, self.log_id, "http://127.0.0.1/rekor")],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "example", "commonName": self.name},
                    "uri": "http://127.0.0.1/fulcio",
                    "certChain": {
                        "certificates": [{"rawBytes": _b64(self.ca_cert.public_bytes(serialization.Encoding.DER))}]
                    },
                    "validFor": {"start": start},
                }
            ],
            "ctlogs": [key(self.ct_key, self.ct_id, "http://127.0.0.1/ct")],
            "timestampAuthorities": [],
        }

    def write_root(self, path: Path) -> Path:
        path.write_text(json.dumps(self.trusted_root(), indent=1))
        return path

    # -- certificates ----------------------------------------------------------------------------
    def _leaf(self, key: ec.EllipticCurvePrivateKey, publisher: Publisher, now: dt.datetime) -> x509.Certificate:
        ca_ski = self.ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(minutes=10))
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(publisher.identity)]), critical=True
            )
            .add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(_FULCIO + "1"), publisher.issuer.encode()),
                critical=False,
            )
        )
        for suffix, value in (
            ("8", publisher.issuer),
            ("12", publisher.repository),
            ("13", publisher.commit),
            ("14", publisher.ref),
        ):
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(_FULCIO + suffix), asn1.encode_der(value)),
                critical=False,
            )
        precert = builder.sign(self.ca_key, hashes.SHA256())
        sct = self._sct(precert.tbs_certificate_bytes, now)
        cert = builder.add_extension(
            x509.UnrecognizedExtension(_SCT_OID, _der_octets(struct.pack("!H", len(sct)) + sct)), critical=False
        ).sign(self.ca_key, hashes.SHA256())
        if cert.tbs_precertificate_bytes != precert.tbs_certificate_bytes:  # the SCT would not verify
            raise RuntimeError("the precertificate differs from the certificate without its SCT")
        return cert

    def _sct(self, tbs: bytes, now: dt.datetime) -> bytes:
        """One RFC 6962 precertificate SCT (v1), signed by the CT key, TLS-encoded with its length."""
        timestamp = int(now.timestamp() * 1000)
        issuer_key_hash = hashlib.sha256(_spki(self.ca_key)).digest()
        entry = issuer_key_hash + len(tbs).to_bytes(3, "big") + tbs
        signed = struct.pack("!BBQH", 0, 0, timestamp, 1) + entry + struct.pack("!H", 0)
        signature = _sign(self.ct_key, signed)
        body = (
            struct.pack("!B", 0)
            + self.ct_id
            + struct.pack("!QH", timestamp, 0)
            + struct.pack("!BBH", 4, 3, len(signature))
            + signature
        )
        return struct.pack("!H", len(body)) + body

    # -- bundles ---------------------------------------------------------------------------------
    def sign(
        self,
        statement_doc: dict[str, Any] | bytes,
        publisher: Publisher | None = None,
        *,
        integrated_time: dt.datetime | None = None,
        log_index: int = 0,
    ) -> dict[str, Any]:
        """A Sigstore bundle v0.3 (DSSE) over the statement, logged in a fresh one-entry log."""
        publisher = publisher or Publisher()
        now = integrated_time or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._leaf(key, publisher, now)
        payload = statement_doc if isinstance(statement_doc, bytes) else json.dumps(statement_doc).encode()
        pae = b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(payload), payload)
        signature = _sign(key, pae)
        envelope = {"payload": _b64(payload), "payloadType": PAYLOAD_TYPE, "signatures": [{"sig": _b64(signature)}]}
        pem = cert.public_bytes(serialization.Encoding.PEM)
        body = json.dumps(
            {
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {
                        "algorithm": "sha256",
                        "value": hashlib.sha256(json.dumps(envelope).encode()).hexdigest(),
                    },
                    "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
                    "signatures": [{"signature": _b64(signature), "verifier": _b64(pem)}],
                },
            },
            separators=(",", ":"),
        ).encode()
        leaf_hash = hashlib.sha256(b"\x00" + body).digest()
        origin = f"{self.name} - 1"
        note = f"{origin}\n1\n{_b64(leaf_hash)}\n"
        checkpoint = (
            note + f"\n\u2014 {origin.split(' ')[0]} {_b64(self.log_id[:4] + _sign(self.log_key, note.encode()))}\n"
        )
        integrated = int(now.timestamp())
        set_payload = rfc8785.dumps(
            {"body": _b64(body), "integratedTime": integrated, "logID": self.log_id.hex(), "logIndex": log_index}
        )
        return {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [
                    {
                        "logIndex": str(log_index),
                        "logId": {"keyId": _b64(self.log_id)},
                        "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                        "integratedTime": str(integrated),
                        "inclusionPromise": {"signedEntryTimestamp": _b64(_sign(self.log_key, set_payload))},
                        "inclusionProof": {
                            "logIndex": "0",
                            "rootHash": _b64(leaf_hash),
                            "treeSize": "1",
                            "hashes": [],
                            "checkpoint": {"envelope": checkpoint},
                        },
                        "canonicalizedBody": _b64(body),
                    }
                ],
            },
            "dsseEnvelope": envelope,
        }

    def attest(self, filename: str, sha256: str, publisher: Publisher | None = None, **kw: Any) -> dict[str, Any]:
        return self.sign(statement(filename, sha256, **kw), publisher)


def sidecar(*bundles: dict[str, Any]) -> bytes:
    """CEP 50 sidecar bytes: a JSON array of bundles."""
    return json.dumps(list(bundles)).encode()
