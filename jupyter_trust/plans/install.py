"""Applying a plan, fail closed: re-check, fetch and hash everything, then link exactly the plan.

Nothing is linked until (1) every repodata the plan was verified from is downloaded again and has the same
sha256, (2) the trust chain still verifies and every verdict is unchanged, and (3) every artifact has been
downloaded and matches its signed sha256 and size (and extracts cleanly). Then exactly the planned records
are linked — no re-solve.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import filelock

from ..engine import rattler_engine as engine
from ..errors import Kind, TrustError
from ..fsutil import ensure_private_dir
from .attestations import recheck_sidecars
from .claim import InstallCancelled, InstallClaim, PrefixBusy, acquire, held_descriptors, prefix_lock
from .decision import InstallRefused, check_installable
from .model import Plan, PlannedPackage, RepodataDigest
from .service import ArtifactMismatch, CapturedRepodata, ChannelReader, PlanContext, ShardChanged, judged

Phase = Literal["checking", "downloading", "verifying", "linking", "done"]


@dataclass
class Progress:
    phase: Phase
    packages_done: int
    packages_total: int
    bytes_done: int
    bytes_total: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "packages_done": self.packages_done,
            "packages_total": self.packages_total,
            "bytes_done": self.bytes_done,
            "bytes_total": self.bytes_total,
            "message": self.message,
        }


class PlanChanged(TrustError):
    """What the plan was verified from changed since: plan again."""

    kind = Kind.CONFLICT


__all__ = [
    "InstallCancelled",
    "InstallRefused",
    "Installer",
    "InstallResult",
    "PlanChanged",
    "PrefixBusy",
    "Progress",
    "acquire",
    "held_descriptors",
    "prefix_lock",
]


@dataclass(frozen=True)
class InstallResult:
    plan_id: str
    prefix: str
    installed: bool
    linked: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "prefix": self.prefix,
            "installed": self.installed,
            "linked": list(self.linked),
            "removed": list(self.removed),
            "message": self.message,
        }


@dataclass
class _Prepared:
    artifacts: list[engine.LinkArtifact]
    remove: list[str]


class Installer:
    def __init__(self, ctx: PlanContext) -> None:
        self.ctx = ctx

    def recheck(self, plan: Plan) -> tuple[list[CapturedRepodata], list[PlannedPackage]]:
        """Refuse a plan that may not run, or whose repodata, trust chain or verdicts changed since.
        (Confirming unsigned packages is the caller's part of :func:`~.decision.check_installable`.)"""
        check_installable(plan, confirm_unsigned=True)
        reader = ChannelReader(self.ctx)
        captured: list[CapturedRepodata] = []
        groups: dict[tuple[str, str], list[RepodataDigest]] = {}
        for digest in plan.repodata:
            groups.setdefault((digest.channel, digest.subdir), []).append(digest)
        for (channel, subdir), pinned in groups.items():
            fresh = _recapture(reader, pinned)
            if fresh is None:
                raise PlanChanged(f"the repodata of {channel} ({subdir}) changed since the plan was made; plan again")
            captured.append(fresh)
        state = self.ctx.trust_store.refresh()
        linking = [p for p in plan.packages if p.links]
        blocking = state.blocking_reasons(self.ctx.policy.expiry)
        if blocking and any(p.verdict == "trusted" for p in linking):
            raise InstallRefused("the trust metadata no longer allows installs: " + "; ".join(blocking))
        wanted: dict[tuple[str, str], list[str]] = {}
        for p in linking:
            wanted.setdefault((p.channel, p.subdir), []).append(p.filename)
        fresh_verdicts = judged(captured, state, wanted, self.ctx.policy.expiry)
        for p in linking:
            now = fresh_verdicts.get((p.channel, p.subdir, p.filename))
            if now is None or now.verdict != p.verdict:
                raise PlanChanged(f"the verdict for {p.filename} changed since the plan was made; plan again")
        changed = recheck_sidecars(linking, reader)
        if changed:
            raise PlanChanged(
                f"the attestation sidecar of {', '.join(changed)} changed since the plan was made; plan again"
            )
        return captured, linking

    def _prepare(
        self, plan: Plan, confirm_unsigned: bool, report: Callable[[Progress], None], cancelled: Callable[[], bool]
    ) -> _Prepared:
        check_installable(plan, confirm_unsigned=confirm_unsigned)
        total_bytes = sum(p.size for p in plan.packages if p.links)
        report(Progress("checking", 0, 0, 0, total_bytes, "re-checking repodata and signatures"))
        captured, linking = self.recheck(plan)
        reader = ChannelReader(self.ctx)
        sources = {(c.channel.rstrip("/"), c.subdir): c for c in captured}
        artifacts: list[engine.LinkArtifact] = []
        done_bytes = 0
        dest = ensure_private_dir(self.ctx.work_dir / "artifacts")
        for index, package in enumerate(linking):
            if cancelled():
                raise InstallCancelled("cancelled before anything was linked")
            report(Progress("downloading", index, len(linking), done_bytes, total_bytes, package.filename))
            try:
                path = reader.download(package, dest)
            except ArtifactMismatch as exc:
                raise InstallRefused(str(exc)) from None
            done_bytes += package.size
            artifacts.append(
                engine.LinkArtifact(_record(package), str(path), sources[(package.channel, package.subdir)].local())
            )
        report(Progress("verifying", len(linking), len(linking), done_bytes, total_bytes, "all artifacts match"))
        if cancelled():
            raise InstallCancelled("cancelled before anything was linked")
        return _Prepared(artifacts, [p.name for p in plan.packages if p.action == "remove"])

    def _result(self, plan: Plan, reply: dict[str, Any]) -> InstallResult:
        linked, removed = list(reply.get("linked", [])), list(reply.get("removed", []))
        return InstallResult(
            plan.id,
            plan.prefix,
            True,
            linked,
            removed,
            f"Installed {len(linked)} verified package(s)" + (f", removed {len(removed)}" if removed else "") + ".",
        )

    def _ready(
        self,
        plan: Plan,
        confirm_unsigned: bool,
        progress: Callable[[Progress], None] | None,
        cancelled: Callable[[], bool] | None,
    ) -> tuple[Callable[[Progress], None], _Prepared]:
        report = progress or (lambda _p: None)
        prepared = self._prepare(plan, confirm_unsigned, report, cancelled or (lambda: False))
        report(Progress("linking", 0, len(prepared.artifacts), 0, 0, f"linking into {plan.prefix}"))
        return report, prepared

    def _done(
        self, plan: Plan, prepared: _Prepared, report: Callable[[Progress], None], reply: dict[str, Any]
    ) -> InstallResult:
        total = len(prepared.artifacts)
        report(Progress("done", total, total, 0, 0, "done"))
        return self._result(plan, reply)

    def apply(
        self,
        plan: Plan,
        *,
        confirm_unsigned: bool = False,
        progress: Callable[[Progress], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> InstallResult:
        """Install in this process (command line, magic). Journalled like server tasks, so a crash while
        linking shows up as an interrupted install in the next status."""
        record = {
            "id": secrets.token_hex(16),
            "plan_id": plan.id,
            "prefix": plan.prefix,
            "state": "running",
            "progress": Progress("checking", 0, 0, 0, 0, "re-checking").to_json(),
        }
        with InstallClaim(self.ctx.work_dir, record, redact=self.ctx.redactor()) as claim:
            report, prepared = self._ready(plan, confirm_unsigned, progress, cancelled)
            claim.start_linking(progress=Progress("linking", 0, len(prepared.artifacts), 0, 0, "linking").to_json())
            reply = engine.link(
                plan.prefix,
                prepared.artifacts,
                remove=prepared.remove,
                cache_dir=self._cache(),
                hold=held_descriptors(claim.lock),
            )
            result = self._done(plan, prepared, report, reply)
            claim.finish("succeeded", fields={"result": result.to_json()})
            return result

    async def apply_async(
        self,
        plan: Plan,
        *,
        confirm_unsigned: bool = False,
        progress: Callable[[Progress], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        lock: filelock.BaseFileLock | None = None,
    ) -> InstallResult:
        """As :meth:`apply`; checks and downloads run in a thread, linking in a cancellable child process.
        The caller (:class:`~jupyter_trust.tasks.TaskManager`) holds the environment's :class:`InstallClaim`; the
        linker inherits its lock (``lock``)."""
        report, prepared = await asyncio.to_thread(self._ready, plan, confirm_unsigned, progress, cancelled)
        reply = await engine.link_async(
            plan.prefix,
            prepared.artifacts,
            remove=prepared.remove,
            cache_dir=self._cache(),
            hold=held_descriptors(lock),
        )
        return self._done(plan, prepared, report, reply)

    def _cache(self) -> str:
        return str(ensure_private_dir(Path(self.ctx.work_dir) / "pkgs"))


def _recapture(reader: ChannelReader, pinned: list[RepodataDigest]) -> CapturedRepodata | None:
    """One channel/subdir's capture again, or None when anything the plan pinned for it changed: the document, or
    the shard index and each shard used (fetched anew and compared)."""
    channel, subdir = pinned[0].channel, pinned[0].subdir
    if pinned[0].kind != "shard-index":
        fresh = reader.capture(channel, subdir)
        return fresh if fresh is not None and fresh.sha256 == pinned[0].sha256 else None
    index = reader.shard_index(channel, subdir)
    if index is None or index.sha256 != pinned[0].sha256:
        return None
    names = {digest.hex(): name for name, digest in index.shards.items()}
    wanted = [names.get(d.sha256) for d in pinned[1:]]
    if None in wanted:
        return None
    try:
        shards = [reader.shard(index, name) for name in wanted if name is not None]
    except ShardChanged:
        return None
    fresh = reader.sharded(channel, subdir, index, shards)
    return fresh if fresh.digests() == tuple(pinned) else None


def _record(package: PlannedPackage) -> dict[str, Any]:
    return {"name": package.name, "fn": package.filename, "sha256": package.sha256, "size": package.size}
