"""The attestation part of the trust status: the Sigstore root in use and each channel's publisher policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..policy import Policy
from .config import mode_for, publishers_for, v0_sigs_enabled
from .sigroot import sigstore_root


def attestation_status(
    policy: Policy, environ: Mapping[str, str], channels: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "sigstore_root": sigstore_root(policy.sigstore_trust_root, environ).info(),
        "channels": [
            {
                "name": name,
                "url": url,
                "attestations": mode_for(policy.attestations, url, name),
                # None: any valid signer; []: nobody
                "publishers": publishers_for(policy.trusted_publishers, url, name),
                "v0_sigs": v0_sigs_enabled(policy.attestations_v0_sigs_channels, url, name),
            }
            for name, url in channels
        ],
    }


def attestation_lines(status: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Text rows for the CLI and the magic."""
    if not status:
        return []
    root = status.get("sigstore_root") or {}
    rows = [
        (
            "Sigstore root",
            f"{root.get('source')} ({root.get('path')}), dated {root.get('date')}"
            + (f"; {root['error']}" if root.get("error") else ""),
        )
    ]
    for channel in status.get("channels") or []:
        publishers = channel.get("publishers")
        who = (
            "any valid signer"
            if publishers is None
            else ", ".join(p.get("repository") or p.get("identity", "") for p in publishers) or "nobody"
        )
        rows.append(
            (
                f"Publishers {channel.get('name')}",
                f"attestations {channel.get('attestations')}; {who}" + ("; .v0.sigs" if channel.get("v0_sigs") else ""),
            )
        )
    return rows
