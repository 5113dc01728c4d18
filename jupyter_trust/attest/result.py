"""The attestation result carried by every planned package (the exact JSON shape of the plan interface)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

AttestationStatus = Literal["verified", "untrusted-publisher", "invalid", "retrieval-failed", "missing", "not-checked"]
Transport = Literal["cep50", "v0.sigs"]

#: statuses that block a plan on every channel where attestations are checked
BLOCKING: frozenset[str] = frozenset({"invalid", "untrusted-publisher", "retrieval-failed"})


@dataclass(frozen=True)
class Signer:
    """Who signed: the certificate's identity (SAN) and OIDC issuer; for CI identities the source repository,
    ref and commit from the certificate's Fulcio extensions."""

    identity: str
    issuer: str
    repository: str | None = None
    ref: str | None = None
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "issuer": self.issuer,
            "repository": self.repository,
            "ref": self.ref,
            "commit": self.commit,
        }

    def describe(self) -> str:
        return describe_signer(self.to_json())


def describe_signer(signer: Mapping[str, Any]) -> str:
    """ "github.com/org/repo · workflow.yaml · refs/heads/main" for CI identities, else "identity (issuer)"."""
    identity = str(signer.get("identity") or "")
    repository = signer.get("repository")
    if repository:
        parts = [str(repository).removeprefix("https://"), identity.split("@", 1)[0].rsplit("/", 1)[-1]]
        if signer.get("ref"):
            parts.append(str(signer["ref"]))
        return " · ".join(parts)
    return f"{identity} ({signer.get('issuer')})"


def publisher_cell(attestation: Mapping[str, Any] | None) -> str:
    """One line for a plan table: the attestation status, and who published when a signer is known."""
    if not attestation:
        return ""
    status = str(attestation.get("status"))
    signer = attestation.get("signer")
    if status == "verified" and signer:
        return f"published by {describe_signer(signer)}"
    if status == "untrusted-publisher" and signer:
        return f"UNTRUSTED PUBLISHER {describe_signer(signer)}"
    return status


@dataclass(frozen=True)
class AttestationResult:
    status: AttestationStatus
    reason: str
    signer: Signer | None = None
    transport: Transport | None = None
    sidecar_sha256: str | None = None
    log_index: int | None = None
    integrated_time: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "signer": self.signer.to_json() if self.signer else None,
            "transport": self.transport,
            "sidecar_sha256": self.sidecar_sha256,
            "log_index": self.log_index,
            "integrated_time": self.integrated_time,
            "reason": self.reason,
        }

    @property
    def blocks(self) -> bool:
        return self.status in BLOCKING


def iso_time(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def not_checked(reason: str = "attestations are off for this channel") -> AttestationResult:
    return AttestationResult("not-checked", reason)
