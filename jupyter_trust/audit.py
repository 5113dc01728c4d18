"""Audit an environment: every installed package (its ``conda-meta`` record) gets both verdicts — content trust
from the channel's current signed repodata and its publish attestation — and a summary.

A record the channel no longer lists is ``not-found``, never trusted; one the channel lists with another sha256
than the installed file is ``untrusted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .attest.result import BLOCKING, not_checked
from .cct.jsonload import PREFIX_RECORD_MAX_DEPTH, loads_strict
from .cct.verify import RecordVerdict
from .errors import InvalidInput
from .plans.attestations import attach_attestations
from .plans.model import PlannedPackage
from .plans.service import ChannelReader, PlanContext, _verified_record, verdicts_for

#: largest conda-meta record read
_META_MAX_BYTES = 16 << 20


@dataclass(frozen=True)
class AuditReport:
    prefix: str
    packages: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """Any package untrusted, or with an invalid / untrusted-publisher attestation (exit 1)."""
        return any(
            p["verdict"] == "untrusted" or (p["attestation"] or {}).get("status") in ("invalid", "untrusted-publisher")
            for p in self.packages
        )

    def to_json(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "packages": self.packages, "summary": self.summary}


def installed_records(prefix: Path) -> list[dict[str, Any]]:
    meta = prefix / "conda-meta"
    if not meta.is_dir():
        raise InvalidInput(f"{prefix} is not a conda environment (no conda-meta directory)")
    records = []
    for path in sorted(meta.glob("*.json")):
        try:
            if path.stat().st_size > _META_MAX_BYTES:
                continue
            record = loads_strict(path.read_bytes(), max_bytes=_META_MAX_BYTES, max_depth=PREFIX_RECORD_MAX_DEPTH)
        except (OSError, ValueError):
            continue  # a broken record is reported by conda itself; it names no package we could check
        if isinstance(record, dict) and record.get("name") and record.get("fn"):
            records.append(record)
    return records


def _channel_of(record: Mapping[str, Any]) -> tuple[str, str]:
    """(channel URL, subdir) of an installed record (``channel`` may be a URL with or without the subdir)."""
    subdir = str(record.get("subdir") or "")
    url = str(record.get("url") or "")
    fn = str(record.get("fn") or "")
    if url.endswith("/" + fn):
        base = url[: -len(fn) - 1]
        head, _, tail = base.rpartition("/")
        if tail and (not subdir or tail == subdir):
            return head, tail
    channel = str(record.get("channel") or "").rstrip("/")
    if subdir and channel.endswith("/" + subdir):
        channel = channel[: -len(subdir) - 1]
    return channel, subdir


def summarize(packages: list[dict[str, Any]]) -> dict[str, Any]:
    trusted = sum(p["verdict"] == "trusted" for p in packages)
    attested = sum(p["verdict"] != "trusted" and (p["attestation"] or {}).get("status") == "verified" for p in packages)
    untrusted = sum(p["verdict"] == "untrusted" or (p["attestation"] or {}).get("status") in BLOCKING for p in packages)
    not_found = sum(p["verdict"] == "not-found" for p in packages)
    unverified = len(packages) - trusted - attested
    return {
        "total": len(packages),
        "trusted": trusted,
        "publisher_verified": attested,
        "unverified": unverified,
        "untrusted_or_failed": untrusted,
        "not_found": not_found,
        "text": f"{len(packages)} packages: {trusted} trusted, {attested} publisher-verified, {unverified} unverified",
    }


def audit(ctx: PlanContext, prefix: Path) -> AuditReport:
    records = installed_records(prefix)
    state = ctx.trust_store.refresh()
    reader = ChannelReader(ctx)
    configured = {url.rstrip("/") for _, url in ctx.channels}
    placed = []
    names: dict[tuple[str, str], list[str]] = {}
    for record in records:
        channel, subdir = _channel_of(record)
        if channel in configured:
            names.setdefault((channel, subdir), []).append(str(record.get("name", "")))
        placed.append((record, channel, subdir))
    captured = {key: reader.capture_names(key[0], key[1], wanted) for key, wanted in names.items()}
    present = [c for c in captured.values() if c is not None]
    by_key = {(c.channel.rstrip("/"), c.subdir): c for c in present}
    wanted: dict[tuple[str, str], list[str]] = {}
    for record, channel, subdir in placed:
        if (channel, subdir) in by_key:
            wanted.setdefault((channel, subdir), []).append(str(record["fn"]))
    verdicts = verdicts_for(present, state, wanted, ctx.policy.expiry)

    packages: list[PlannedPackage] = []
    for record, channel, subdir in placed:
        fn = str(record["fn"])
        cap = by_key.get((channel, subdir))
        listed = _verified_record(cap.document, fn) if cap is not None else None
        if channel not in configured:
            verdict = RecordVerdict("not-found", f"{channel or 'its channel'} is not a configured channel")  # type: ignore[arg-type]
        elif listed is None:
            verdict = RecordVerdict("not-found", "the channel does not list this file any more")  # type: ignore[arg-type]
        elif str(listed.get("sha256")) != str(record.get("sha256")):
            verdict = RecordVerdict(
                "untrusted", "the channel lists this file with another sha256 than the installed one"
            )
        else:
            verdict = verdicts.get((channel, subdir, fn)) or RecordVerdict("untrusted", "no verdict")
        packages.append(
            PlannedPackage(
                name=str(record["name"]),
                version=str(record.get("version", "")),
                build=str(record.get("build", "")),
                build_number=int(record.get("build_number") or 0),
                channel=channel,
                subdir=subdir,
                filename=fn,
                url=str(record.get("url") or ""),
                sha256=str(record.get("sha256") or ""),
                size=int(record.get("size") or 0),
                action="install",
                verdict=verdict.verdict,  # type: ignore[arg-type]
                reason=verdict.reason,
            )
        )
    listed_ones = [p for p in packages if p.verdict != "not-found"]
    checked = attach_attestations(
        listed_ones,
        lambda p: _verified_record(by_key[(p.channel, p.subdir)].document, p.filename),
        policy=ctx.policy,
        channels=ctx.channels,
        reader=reader,
        environ=ctx.environ,
    )
    attestation = {id(p): c.attestation for p, c in zip(listed_ones, checked, strict=True)}
    rows = [
        {
            "name": p.name,
            "version": p.version,
            "build": p.build,
            "channel": p.channel,
            "filename": p.filename,
            "sha256": p.sha256,
            "verdict": p.verdict,
            "reason": p.reason,
            "attestation": attestation.get(id(p)) or not_checked("the channel does not list this package").to_json(),
        }
        for p in packages
    ]
    return AuditReport(str(prefix), rows, summarize(rows))
