"""The plan document: exactly what an install would link or remove, each record with its verdict."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Literal

from ..cct.canonical import canonical

Action = Literal["install", "update", "downgrade", "reinstall", "remove"]
PlanVerdict = Literal["trusted", "untrusted", "unsigned", "n/a"]


@dataclass(frozen=True)
class PlannedPackage:
    name: str
    version: str
    build: str
    build_number: int
    channel: str
    subdir: str
    filename: str
    url: str
    sha256: str
    size: int
    action: Action
    verdict: PlanVerdict
    reason: str
    previous_version: str | None = None
    #: the publish-attestation result (the plan interface's exact JSON object); None for removals
    attestation: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def links(self) -> bool:
        return self.action != "remove"


@dataclass(frozen=True)
class RepodataDigest:
    channel: str
    subdir: str
    url: str
    #: of the JSON that was verified (for ``repodata.json.zst``, of the decompressed bytes)
    sha256: str
    #: ``repodata.json`` | ``repodata.json.zst`` | ``shard-index`` | ``shard`` (plans made before it: the first)
    kind: str = "repodata.json"

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    prefix: str
    specs: tuple[str, ...]
    packages: tuple[PlannedPackage, ...]
    repodata: tuple[RepodataDigest, ...]
    trust: Mapping[str, Any]
    blocked: bool
    reasons: tuple[str, ...]
    needs_confirmation: bool
    warnings: tuple[str, ...] = ()
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def content(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "specs": list(self.specs),
            "packages": [p.to_json() for p in self.packages],
            "repodata": [r.to_json() for r in self.repodata],
            "trust": dict(self.trust),
            "blocked": self.blocked,
            "reasons": list(self.reasons),
            "needs_confirmation": self.needs_confirmation,
            "warnings": list(self.warnings),
        }

    @cached_property
    def id(self) -> str:
        """sha256 of the canonical content (computed once: the plan is immutable)."""
        return hashlib.sha256(canonical(self.content())).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.content(), "created_at": self.created_at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            prefix=data["prefix"],
            specs=tuple(data["specs"]),
            packages=tuple(PlannedPackage(**p) for p in data["packages"]),
            repodata=tuple(RepodataDigest(**r) for r in data["repodata"]),
            trust=data.get("trust", {}),
            blocked=bool(data["blocked"]),
            reasons=tuple(data.get("reasons", ())),
            needs_confirmation=bool(data.get("needs_confirmation")),
            warnings=tuple(data.get("warnings", ())),
            created_at=data.get("created_at", ""),
        )
