"""The attestation policy values (``trusted_publishers``, ``attestations``, ``attestations_v0_sigs_channels``):
validation and per-channel lookup. Kept free of sigstore imports: the policy is loaded by every command."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

AttestationMode = Literal["off", "report", "require"]
MODES: tuple[str, ...] = ("off", "report", "require")
DEFAULT_MODE: AttestationMode = "report"
#: key of an ``attestations`` mapping that applies to every channel not named in it
ANY_CHANNEL = "*"


class AttestationPolicyError(ValueError):
    """An attestation policy value is malformed (the message names the setting and the problem)."""


def check_trusted_publishers(value: Any) -> dict[str, list[dict[str, str]]]:
    if not isinstance(value, Mapping):
        raise AttestationPolicyError("'trusted_publishers' must map channel names or URLs to lists of publishers")
    out: dict[str, list[dict[str, str]]] = {}
    for channel, entries in value.items():
        if not isinstance(channel, str) or not channel:
            raise AttestationPolicyError("'trusted_publishers' keys must be channel names or URLs")
        if not isinstance(entries, list):
            raise AttestationPolicyError(f"'trusted_publishers' for {channel} must be a list of publishers")
        for entry in entries:
            keys = set(entry) if isinstance(entry, Mapping) else set()
            if keys not in ({"issuer", "repository"}, {"issuer", "identity"}) or not all(
                isinstance(v, str) and v for v in entry.values()
            ):
                raise AttestationPolicyError(
                    f'each publisher for {channel} in \'trusted_publishers\' must be {{"issuer", "repository"}} '
                    'or {"issuer", "identity"}, with non-empty strings'
                )
        out[channel] = [dict(e) for e in entries]
    return out


def check_attestations(value: Any) -> str | dict[str, str]:
    if isinstance(value, str) and value in MODES:
        return value
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and k and isinstance(v, str) and v in MODES for k, v in value.items()
    ):
        return dict(value)
    raise AttestationPolicyError(
        "'attestations' must be one of off, report, require, or a mapping of channel names or URLs to one of them"
    )


def _lookup(mapping: Mapping[str, Any], channel_url: str, channel_name: str | None) -> Any:
    url = channel_url.rstrip("/")
    for key, value in mapping.items():
        if key.rstrip("/") == url or (channel_name is not None and key == channel_name):
            return value
    return None


def mode_for(attestations: Any, channel_url: str, channel_name: str | None = None) -> AttestationMode:
    """The ``attestations`` mode of a channel (by URL, else by name, else ``*``, else ``report``)."""
    if isinstance(attestations, str):
        return attestations  # type: ignore[return-value]
    if isinstance(attestations, Mapping):
        found = _lookup(attestations, channel_url, channel_name)
        if found is None:
            found = attestations.get(ANY_CHANNEL)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return DEFAULT_MODE


def publishers_for(
    trusted: Mapping[str, Sequence[Mapping[str, str]]], channel_url: str, channel_name: str | None = None
) -> list[Mapping[str, str]] | None:
    """The publishers allowed for a channel (by URL, else by name), or None when the policy names none."""
    found = _lookup(trusted, channel_url, channel_name)
    return None if found is None else list(found)


def v0_sigs_enabled(channels: Sequence[str], channel_url: str, channel_name: str | None = None) -> bool:
    url = channel_url.rstrip("/")
    return any(c.rstrip("/") == url or (channel_name is not None and c == channel_name) for c in channels)
