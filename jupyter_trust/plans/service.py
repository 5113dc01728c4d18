"""Planning: one capture of each channel's repodata, verified, solved over exactly those bytes.

1. validate the specs; 2. refresh the trust chain (root N+1 until 404, key_mgr) without the token;
3. download each channel's repodata once (token applied, never shown), record its sha256, parse it
strictly and keep the exact bytes; 4. solve with rattler over those files, the environment's installed
packages taken into account; 5. verify every record to be linked from the same parsed repodata against
the verified key_mgr; 6. apply the policy: untrusted always blocks, unsigned per policy, expired metadata
per policy, unrequested downgrades block. The plan and its repodata are stored so an install can re-check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..cct.errors import CCTError
from ..cct.jsonload import loads_strict
from ..cct.verify import NOT_FOUND, RecordVerdict, verify_records
from ..childenv import child_environ
from ..conda.tokens import authenticated_url
from ..engine import conda_engine
from ..engine import rattler_engine as engine
from ..errors import InvalidInput, Kind, NotFoundError, UpstreamError, VerificationFailed
from ..fetch import Fetched, Fetcher, FetchError, NotFound, NotModified, TooLarge
from ..fsutil import atomic_write, ensure_private_dir, writing
from ..policy import Policy
from ..redact import Redactor
from ..trust.store import TrustState, TrustStore
from .attestations import attach_attestations
from .decision import decide
from .lazy_repodata import LazyRepodata, RepodataFile
from .model import Plan, PlannedPackage, RepodataDigest
from .repodata_cache import CachedCapture, RepodataCache
from .shards import (
    PARALLEL,
    SHARD_INDEX,
    Shard,
    ShardIndex,
    ShardMismatch,
    closure,
    installed_names,
    parse_shard,
    spec_name,
    subset_repodata,
)
from .specs import SpecError, check_specs, spec_names, validate_specs
from .spool import Spool
from .zst import ZstdSink

PLAN_ID = re.compile(r"^[0-9a-f]{64}$")
#: a subdir's repodata, in the order asked for: compressed first (a fraction of the bytes to download)
REPODATA_KINDS = ("repodata.json.zst", "repodata.json")
#: channel subdirs downloaded at once; with the trust refresh beside them, at most :data:`.shards.PARALLEL`
#: connections (a small server's listen backlog)
SUBDIRS_AT_ONCE = PARALLEL - 1
#: a stored plan: a few hundred package records and the trust summary; nothing legitimate is bigger or deeper
PLAN_MAX_BYTES = 16 << 20
PLAN_MAX_DEPTH = 16

#: runs a blocking function off the event loop (``asyncio.to_thread``, a server's ``PlanPool.call``)
_Call = Callable[..., Awaitable[Any]]


class PlanError(InvalidInput):
    """The request cannot be planned; the message is safe to show."""


class ChannelUnavailable(UpstreamError, PlanError):
    """A channel's repodata could not be downloaded: kind ``upstream`` (down, bad answer, too large) or
    ``upstream_timeout`` (a deadline passed); ``details['channel']`` names the channel."""

    kind = Kind.UPSTREAM


class ShardChanged(ChannelUnavailable):
    """A shard's bytes differ from the sha256 its index names (at apply: from what the plan pinned)."""


class EngineUnavailable(PlanError):
    """The configured engine cannot run here (e.g. ``engine: conda`` without a conda executable)."""

    kind = Kind.UNAVAILABLE


_MACHINES = {
    "x86_64": "64",
    "amd64": "64",
    "aarch64": "aarch64",
    "arm64": "arm64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def current_subdir() -> str:
    """conda's subdir for this machine (``linux-64``, ``osx-arm64``, ``win-64`` …), as rattler names it."""
    import platform
    import sys

    system = {"linux": "linux", "darwin": "osx", "win32": "win"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    if system == "linux" and machine in ("arm64",):
        machine = "aarch64"
    if system == "osx" and machine == "aarch64":
        machine = "arm64"
    return f"{system}-{_MACHINES.get(machine, machine)}"


@dataclass
class PlanContext:
    policy: Policy
    channels: Sequence[tuple[str, str]]
    trust_store: TrustStore
    token: Callable[[], str | None]
    repo_url: str
    fetcher: Fetcher
    work_dir: Path
    platform_subdirs: Sequence[str] = field(default_factory=lambda: (current_subdir(), "noarch"))
    #: a long-running server's captures, reused on the channel's 304 (None: always download)
    repodata_cache: RepodataCache | None = None
    #: a long-running server's pre-started solver processes (None: start one per plan)
    workers: engine.WorkerPool | None = None
    #: the conda executable found (``Core.conda``), for ``engine: conda``
    conda_executable: str | None = None
    #: the environment child processes are derived from (secrets removed); None = this process's
    environ: Mapping[str, str] | None = None

    def engine(self) -> str:
        """The engine a plan uses: ``conda`` when configured (and found), else rattler (``auto`` = rattler)."""
        if self.policy.engine != "conda":
            return "rattler"
        if not self.conda_executable:
            raise EngineUnavailable(
                "the policy selects the conda engine ('engine: conda'), but no conda executable was found "
                "(CONDA_EXE, MAMBA_EXE, beside this Python, or on PATH); install conda or choose 'rattler'"
            )
        return "conda"

    def child_environ(self) -> dict[str, str]:
        return child_environ(self.environ, also_strip=[self.policy.token_env_var])

    def redactor(self) -> Redactor:
        token = self.token()
        return Redactor([token] if token else [])


@dataclass
class CapturedRepodata:
    """One channel/subdir's repodata as downloaded: exact bytes (on disk, content-addressed), digest, and the
    document read lazily from a memory map of that file (only the records a plan links are ever parsed)."""

    channel: str
    subdir: str
    url: str
    sha256: str
    path: Path
    size: int
    max_bytes: int
    #: what was downloaded: ``repodata.json``, or ``repodata.json.zst`` (then ``sha256`` and ``path`` are the
    #: decompressed JSON's: the bytes verified and solved over)
    kind: str = "repodata.json"
    #: sharded (CEP 16): the index's and each used shard's digest; ``path`` is the subset repodata.json built
    #: from exactly those shards (what is solved over and verified)
    shards: tuple[RepodataDigest, ...] = ()
    #: sharded: names the closure reached that no shard index holds (what a failed solve may be missing)
    unheld: tuple[str, ...] = ()
    _document: LazyRepodata | None = field(default=None, repr=False)

    @property
    def document(self) -> LazyRepodata:
        if self._document is None:
            try:
                self._document = LazyRepodata(RepodataFile(self.path))
            except OSError as exc:
                where = f"channel {self.channel} ({self.subdir})"
                raise PlanError(
                    f"{where}: the captured repodata could not be read: {exc.strerror or exc}", kind=Kind.LOCAL_STATE
                ) from None
        return self._document

    def digest(self) -> RepodataDigest:
        return RepodataDigest(self.channel, self.subdir, self.url, self.sha256, self.kind)

    def digests(self) -> tuple[RepodataDigest, ...]:
        """What a plan pins for this capture: the document's digest, or the shard index's and each shard's."""
        return self.shards or (self.digest(),)

    def local(self) -> engine.LocalRepodata:
        return engine.LocalRepodata(self.channel, self.subdir, str(self.path))


def parse_all(captured: Sequence[CapturedRepodata]) -> None:
    """Map every capture (its records are found and parsed only once a plan knows which it links)."""
    for item in captured:
        _ = item.document


class ChannelReader:
    """Downloads repodata and artifacts with the token applied, and keeps every error text token-free."""

    def __init__(self, ctx: PlanContext) -> None:
        self.ctx = ctx
        self.redact = ctx.redactor()
        with writing(f"the repodata directory in {ctx.work_dir} cannot be created"):
            self.dir = ensure_private_dir(ctx.work_dir / "repodata")

    def url(self, url: str) -> str:
        return authenticated_url(url, self.ctx.token(), repo_url=self.ctx.repo_url)

    def capture(self, channel: str, subdir: str) -> CapturedRepodata | None:
        """The subdir's repodata: ``repodata.json.zst`` where the channel offers it, else ``repodata.json``."""
        cache = self.ctx.repodata_cache
        for kind in REPODATA_KINDS:
            url = f"{channel.rstrip('/')}/{subdir}/{kind}"
            optional = kind != REPODATA_KINDS[-1]
            if optional and cache is not None and cache.known_absent(url):
                continue  # a server asks once whether a channel offers the compressed form
            try:
                return self._capture(channel, subdir, kind)
            except NotFound:
                if optional and cache is not None:
                    cache.mark_absent(url)
        return None

    def _capture(self, channel: str, subdir: str, kind: str) -> CapturedRepodata:
        url = f"{channel.rstrip('/')}/{subdir}/{kind}"
        limit = self.ctx.policy.repodata_max_bytes
        cache = self.ctx.repodata_cache
        cached = cache.get(url) if cache is not None else None
        if cached is not None and (cached.captured.max_bytes != limit or not cached.captured.path.is_file()):
            cached = None
        with Spool(self.dir, f"the repodata of {channel} ({subdir}) cannot be kept in {self.dir}") as spool:
            sink = ZstdSink(spool, limit, url) if kind.endswith(".zst") else spool
            try:
                fetched = self._fetch(url, limit, cached, sink)
            except NotFound:
                raise  # the caller tries the next kind
            except FetchError as exc:
                message = self.redact(f"channel {channel} ({subdir}) could not be read: {exc}")
                raise ChannelUnavailable(message, kind=exc.kind, channel=self.redact(channel)) from None
            if fetched is None:
                assert cached is not None
                return cached.captured
            # Content-addressed, and the solver's reading of it must match the verified bytes record by
            # record, so a cache file torn by a power cut can only block a plan: no fsync needed.
            digest, path, size = spool.keep()
        captured = CapturedRepodata(channel, subdir, url, digest, path, size, limit, kind=kind)
        if cache is not None:
            cache.put(url, captured, fetched)
        return captured

    def _fetch(self, url: str, limit: int, cached: CachedCapture | None, sink: Spool | ZstdSink) -> Fetched | None:
        """The repodata (streamed into ``sink``), or None when the channel answers 304 to the cached
        capture's validators."""
        try:
            since = cached.validators if cached else None
            fetched = self.ctx.fetcher.fetch(self.url(url), max_bytes=limit, since=since, sink=sink.write)
        except NotModified:
            if cached is not None:
                return None
            sink.reset()
            fetched = self.ctx.fetcher.fetch(self.url(url), max_bytes=limit, sink=sink.write)  # a 304 not asked for
        sink.finish()
        return fetched

    def shard_index(self, channel: str, subdir: str) -> ShardIndex | None:
        """The subdir's CEP 16 shard index, or None when the channel serves none (404)."""
        url = f"{channel.rstrip('/')}/{subdir}/{SHARD_INDEX}"
        cache = self.ctx.repodata_cache
        if cache is not None and cache.known_absent(url):
            return None
        limit = self.ctx.policy.repodata_max_bytes
        try:
            data = self.ctx.fetcher.get(self.url(url), max_bytes=limit)
            index = ShardIndex.parse(url, data, limit)
        except NotFound:
            if cache is not None:
                cache.mark_absent(url)
            return None
        except FetchError as exc:
            message = self.redact(f"channel {channel} ({subdir}) could not be read: {exc}")
            raise ChannelUnavailable(message, kind=exc.kind, channel=self.redact(channel)) from None
        if index.subdir != subdir:
            raise ChannelUnavailable(f"channel {channel} ({subdir}): its shard index is for subdir {index.subdir!r}")
        return index

    def shard(self, index: ShardIndex, name: str) -> Shard:
        """The shard of ``name``, refused unless its bytes are the ones the index names."""
        limit = self.ctx.policy.repodata_max_bytes
        try:
            data = self.ctx.fetcher.get(self.url(index.shard_url(name)), max_bytes=limit)
            return parse_shard(index, name, data, limit)
        except ShardMismatch as exc:
            raise ShardChanged(self.redact(f"channel {index.url}: {exc}")) from None
        except FetchError as exc:
            message = self.redact(f"channel {index.url} could not be read: {exc}")
            raise ChannelUnavailable(message, kind=exc.kind, channel=self.redact(index.url)) from None

    def sharded(self, channel: str, subdir: str, index: ShardIndex, shards: Sequence[Shard]) -> CapturedRepodata:
        """A capture of exactly ``shards``: the subset repodata.json they make, pinned by their digests."""
        try:
            data = subset_repodata(index, f"{channel.rstrip('/')}/{subdir}", shards)
        except FetchError as exc:
            raise ChannelUnavailable(self.redact(f"channel {channel} ({subdir}): {exc}")) from None
        with Spool(self.dir, f"the repodata of {channel} ({subdir}) cannot be kept in {self.dir}") as spool:
            spool.write(data)
            digest, path, size = spool.keep()
        pins = (RepodataDigest(channel, subdir, index.url, index.sha256, "shard-index"),) + tuple(
            RepodataDigest(channel, subdir, s.url, s.sha256, "shard") for s in sorted(shards, key=lambda s: s.name)
        )
        limit = self.ctx.policy.repodata_max_bytes
        return CapturedRepodata(channel, subdir, index.url, digest, path, size, limit, kind="shard-index", shards=pins)

    def capture_names(self, channel: str, subdir: str, names: Sequence[str]) -> CapturedRepodata | None:
        """The records of ``names`` (and whatever else the document holds): only their shards where the subdir
        is sharded, else the whole document."""
        index = self.shard_index(channel, subdir)
        if index is None:
            return self.capture(channel, subdir)
        wanted = sorted({n.lower() for n in names} & set(index.shards))
        return self.sharded(channel, subdir, index, [self.shard(index, name) for name in wanted])

    def _index_or_capture(self, channel: str, subdir: str) -> tuple[ShardIndex | None, CapturedRepodata | None]:
        """The subdir's shard index where it has one, else its whole repodata (None: neither exists)."""
        index = self.shard_index(channel, subdir)
        return (index, None) if index is not None else (None, self.capture(channel, subdir))

    def capture_all(self, roots: Sequence[str] = ()) -> list[CapturedRepodata]:
        """Every channel/subdir's repodata: sharded where the channel offers a shard index (then only the shards
        a solve of ``roots`` can reach), else the whole document."""
        captured = []
        indexes: list[tuple[str, str, ShardIndex]] = []
        pairs = [(channel, subdir) for _name, channel in self.ctx.channels for subdir in self.ctx.platform_subdirs]
        # Each subdir's probes and download are round trips of their own: they run side by side, and the results
        # (or the first error) are taken in the configured order, as if one after the other.
        with ThreadPoolExecutor(max_workers=max(1, min(SUBDIRS_AT_ONCE, len(pairs)))) as pool:
            found = list(pool.map(lambda pair: self._index_or_capture(*pair), pairs))
        for (channel, subdir), (index, item) in zip(pairs, found, strict=True):
            if index is not None:
                indexes.append((channel, subdir, index))
            elif item is not None:
                captured.append(item)
        if indexes:
            used, unheld = closure([i for _, _, i in indexes], roots, self.shard)
            for channel, subdir, index in indexes:
                captured.append(
                    dataclasses.replace(self.sharded(channel, subdir, index, used[index.url]), unheld=unheld)
                )
        if not captured:
            raise ChannelUnavailable("no channel repodata could be found: check the configured channels")
        return captured

    def download(self, package: PlannedPackage, dest_dir: Path) -> Path:
        """The artifact's bytes, checked against the verified sha256 and size before anything else uses them."""
        try:
            data = self.ctx.fetcher.get(self.url(package.url), max_bytes=package.size)
        except TooLarge:
            raise ArtifactMismatch(
                f"{package.filename} is larger than its signed size ({package.size} bytes); nothing was installed"
            ) from None
        except FetchError as exc:
            message = self.redact(f"{package.filename} could not be downloaded from {package.channel}: {exc}")
            raise ArtifactUnavailable(message, kind=exc.kind, channel=self.redact(package.channel)) from None
        if len(data) != package.size or hashlib.sha256(data).hexdigest() != package.sha256:
            raise ArtifactMismatch(
                f"{package.filename}: the downloaded file does not match its signed sha256/size; nothing was installed"
            )
        with writing(f"{package.filename} cannot be saved in {dest_dir}"):
            path = ensure_private_dir(dest_dir) / f"{package.sha256}-{package.filename}"
            atomic_write(path, data)
        return path


class ArtifactMismatch(VerificationFailed):
    """An artifact's bytes differ from the verified record (-> the install is refused, nothing linked)."""


class ArtifactUnavailable(UpstreamError):
    """An artifact could not be downloaded (down, too slow, too large): nothing is linked."""


def verdicts_for(
    captured: Sequence[CapturedRepodata],
    state: TrustState,
    wanted: Mapping[tuple[str, str], list[str]],
    expiry: Literal["warn", "block"],
) -> dict[tuple[str, str, str], RecordVerdict]:
    """Verdicts keyed by (channel, subdir, fn) for the records the plan would link.

    A record without a signature entry is unsigned whatever the trust chain's state (an unsigned channel
    needs no signing metadata); a signed record is untrusted unless the chain verifies and is usable
    under the expiry policy, and its signature checks out.
    """
    problems = state.blocking_reasons(expiry)
    unverifiable = "; ".join(problems) if problems else None
    key_mgr = state.key_mgr.envelope if state.key_mgr is not None else None
    out: dict[tuple[str, str, str], RecordVerdict] = {}
    for cap in captured:
        names = wanted.get((cap.channel, cap.subdir), [])
        if not names:
            continue
        # The lazy document parses each linked record with Python's json, as conda does (big integers stay
        # integers), and strictly: a defect refuses that record only.
        for fn, verdict in verify_records(cap.document, key_mgr, names, unverifiable=unverifiable).items():
            out[(cap.channel, cap.subdir, fn)] = verdict
    return out


def _expected_fn(record: Mapping[str, Any]) -> bool:
    fn = str(record.get("fn", ""))
    stem = f"{record.get('name')}-{record.get('version')}-{record.get('build')}"
    return fn in (stem + ".conda", stem + ".tar.bz2")


_PINNED_FIELDS = ("name", "version", "build", "sha256", "size", "subdir")
_PINNED_LISTS = ("depends", "constrains")


def _verified_record(repodata: Mapping[str, Any], fn: str) -> Mapping[str, Any] | None:
    section = "packages.conda" if fn.endswith(".conda") else "packages"
    try:
        record = (repodata.get(section) or {}).get(fn)
    except CCTError:
        return None  # a defective record: its verdict already says why
    return record if isinstance(record, dict) else None


def _unfound(verdict: RecordVerdict | None) -> RecordVerdict:
    """A record the verified repodata does not yield: an untrusted verdict keeps its own reason (missing, or
    which defect made it unusable)."""
    if verdict is not None and verdict.verdict == "untrusted":
        return verdict
    return RecordVerdict("untrusted", NOT_FOUND)


def _same_record(solved: Mapping[str, Any], repodata: Mapping[str, Any], fn: str) -> bool:
    """The record the solver linked is the one that was verified (defence against parser differences)."""
    verified = _verified_record(repodata, fn)
    if verified is None:
        return False
    if not all(str(solved.get(k)) == str(verified.get(k)) for k in _PINNED_FIELDS if k in verified or k in solved):
        return False
    return all(list(solved.get(k) or []) == list(verified.get(k) or []) for k in _PINNED_LISTS)


def _version_cmp(a: str, b: str) -> int:
    from rattler import Version

    va, vb = Version(a), Version(b)
    return (va > vb) - (va < vb)


Change = tuple[dict[str, Any], str, str | None]


def judged(
    captured: Sequence[CapturedRepodata],
    state: TrustState,
    wanted: Mapping[tuple[str, str], list[str]],
    expiry: Literal["warn", "block"],
) -> dict[tuple[str, str, str], RecordVerdict]:
    """:func:`verdicts_for` at the verifier's boundary: its conda-content-trust exception types end here."""
    try:
        return verdicts_for(captured, state, wanted, expiry)
    except CCTError as exc:
        raise VerificationFailed(f"the packages to be linked could not be verified: {exc}") from None


def _changes(result: engine.SolveResult) -> tuple[list[Change], list[dict[str, Any]]]:
    """(record, action, previous version) for each record the solve links, and the installed records it drops."""
    installed = {r["name"]: r for r in result.installed}
    solved = {r["name"]: r for r in result.records}
    changes: list[Change] = []
    for name, record in sorted(solved.items()):
        old = installed.get(name)
        if old is None:
            changes.append((record, "install", None))
        elif old.get("fn") != record.get("fn") or old.get("sha256") != record.get("sha256"):
            order = _version_cmp(str(record["version"]), str(old["version"]))
            action = "update" if order > 0 else "downgrade" if order < 0 else "reinstall"
            changes.append((record, action, str(old["version"])))
    return changes, [installed[name] for name in sorted(set(installed) - set(solved))]


def _wanted(changes: Sequence[Change]) -> dict[tuple[str, str], list[str]]:
    wanted: dict[tuple[str, str], list[str]] = {}
    for record, _, _ in changes:
        key = (str(record.get("channel", "")).rstrip("/"), str(record.get("subdir", "")))
        wanted.setdefault(key, []).append(str(record["fn"]))
    return wanted


def _planned(record: Mapping[str, Any], action: str, previous: str | None, verdict: RecordVerdict) -> PlannedPackage:
    return PlannedPackage(
        name=str(record["name"]),
        version=str(record["version"]),
        build=str(record["build"]),
        build_number=int(record.get("build_number", 0)),
        channel=str(record.get("channel", "")).rstrip("/"),
        subdir=str(record.get("subdir", "")),
        filename=str(record["fn"]),
        url=str(record.get("url", "")),
        sha256=str(record.get("sha256") or ""),
        size=int(record.get("size") or 0),
        action=action,  # type: ignore[arg-type]
        verdict=verdict.verdict,
        reason=verdict.reason,
        previous_version=previous,
    )


def _removal(old: Mapping[str, Any]) -> PlannedPackage:
    return PlannedPackage(
        name=str(old["name"]),
        version=str(old["version"]),
        build=str(old.get("build", "")),
        build_number=int(old.get("build_number", 0)),
        channel=str(old.get("channel", "")),
        subdir=str(old.get("subdir", "")),
        filename=str(old.get("fn", "")),
        url=str(old.get("url", "")),
        sha256=str(old.get("sha256") or ""),
        size=int(old.get("size") or 0),
        action="remove",
        verdict="n/a",
        reason="installed package the solution no longer contains",
    )


def channel_urls_in(specs: Sequence[str], channels: Sequence[tuple[str, str]]) -> list[str]:
    """``name::spec`` with ``name`` an allowed channel's name becomes ``<its URL>::spec``: the solver would
    otherwise read a bare name under its own default alias and find no candidates in the channel we captured."""
    urls = dict(channels)
    out = []
    for spec in specs:
        channel, sep, rest = spec.partition("::")
        out.append(f"{urls[channel].rstrip('/')}::{rest}" if sep and channel in urls else spec)
    return out


class Planner:
    def __init__(self, ctx: PlanContext) -> None:
        self.ctx = ctx

    @property
    def plans_dir(self) -> Path:
        return ensure_private_dir(self.ctx.work_dir / "plans")

    # -- planning --------------------------------------------------------------------------------
    def _allowed_channels(self) -> list[str]:
        return [name for name, _ in self.ctx.channels] + [url for _, url in self.ctx.channels]

    def _capture(self, specs: Sequence[str], prefix: Path) -> tuple[TrustState, list[CapturedRepodata]]:
        # The names a sharded channel's closure starts from: the requested packages and those installed.
        roots = [n for n in map(spec_name, specs) if n] + installed_names(prefix)
        # The trust chain and the repodata are independent downloads (the chain never sees the token): they
        # overlap. A refresh error still comes first, as when the refresh ran before the download.
        with ThreadPoolExecutor(max_workers=1) as pool:
            download = pool.submit(lambda: ChannelReader(self.ctx).capture_all(roots))
            try:
                state = self.ctx.trust_store.refresh()
            except BaseException:
                download.cancel()
                with contextlib.suppress(Exception):
                    download.result()
                raise
            return state, download.result()

    def plan(self, specs: Sequence[str], prefix: Path) -> Plan:
        if self.ctx.engine() == "conda":
            return self._plan_conda(specs, prefix)
        # A solver process already running (a server's spare), or one started now: either way its
        # interpreter and rattler load while the trust chain and repodata arrive.
        pool = self.ctx.workers
        worker = pool.take() if pool is not None else engine.Solving()
        captured: list[CapturedRepodata] = []
        try:
            # Spec parsing is left to the worker (it reports a bad spec as InvalidSpec): no rattler here.
            clean = check_specs(specs, allowed_channels=self._allowed_channels())
            state, captured = self._capture(clean, prefix)
            solver_specs = channel_urls_in(clean, self.ctx.channels)
            worker.send(engine.solve_request(solver_specs, [c.local() for c in captured], prefix=str(prefix)))
            parse_all(captured)  # the repodata is parsed here while the worker solves
            result = worker.result()
        except engine.EngineError as exc:
            raise self._engine_error(exc, captured) from None
        finally:
            worker.cancel()
            if pool is not None:
                # The next spare starts once this solve is over, not competing with it, and reads ahead.
                pool.replenish([c.local() for c in captured])
        return self._finish(clean, prefix, state, captured, result)

    async def plan_async(self, specs: Sequence[str], prefix: Path, *, call: _Call | None = None) -> Plan:
        """:meth:`plan` off the event loop (downloads, parse and the wait for the solver all block), in the
        threads of ``call`` (a server's :meth:`PlanPool.call <jupyter_trust.plans.pool.PlanPool.call>`; default
        ``asyncio.to_thread``)."""
        import asyncio  # only the server's path: a command line's plan never loads it

        call = call or asyncio.to_thread
        if self.ctx.engine() == "conda":
            return await self._plan_conda_async(specs, prefix, call)
        return await call(self.plan, specs, prefix)

    def _engine_error(self, exc: engine.EngineError, captured: Sequence[CapturedRepodata] = ()) -> Exception:
        """A spec the solver could not parse is the caller's mistake (SpecError, a 400); anything else is an
        engine failure, which names the packages a sharded channel's index does not hold (the likely cause).
        Either text is redacted of the token."""
        message = self.ctx.redactor()(str(exc))
        if isinstance(exc, engine.InvalidSpec):
            return SpecError(message)
        unheld = sorted({name for c in captured for name in c.unheld})
        if unheld:
            message += f" (not in the channel's shard index: {', '.join(unheld[:10])})"
        return engine.EngineError(message)

    # -- the conda engine: conda solves, our capture is what gets verified ----------------------------
    def _conda_call(self, specs: list[str], prefix: Path) -> conda_engine.CondaCall:
        assert self.ctx.conda_executable
        return conda_engine.CondaCall(
            executable=self.ctx.conda_executable,
            specs=tuple(specs),
            channels=tuple(url for _, url in self.ctx.channels),
            prefix=str(prefix),
            env=self.ctx.child_environ(),
            timeout=conda_engine.DEFAULT_TIMEOUT,
        )

    def _conda_result(
        self, dry: conda_engine.DryRun, specs: list[str], captured: list[CapturedRepodata], prefix: Path
    ) -> engine.SolveResult:
        return conda_engine.solve_result(
            dry,
            channels=[url for _, url in self.ctx.channels],
            documents={(c.channel.rstrip("/"), c.subdir): c.document for c in captured},
            installed=conda_engine.prefix_records(prefix),
            requested=spec_names(specs),
        )

    def _plan_conda(self, specs: Sequence[str], prefix: Path) -> Plan:
        clean = validate_specs(specs, allowed_channels=self._allowed_channels())
        child = conda_engine.start(self._conda_call(clean, prefix))  # conda solves while we capture
        try:
            state, captured = self._capture(clean, prefix)
            parse_all(captured)
            dry = conda_engine.answer(child.result())
            result = self._conda_result(dry, clean, captured, prefix)
        except engine.EngineError as exc:
            raise self._engine_error(exc) from None
        finally:
            child.cancel()
        return self._finish(clean, prefix, state, captured, result)

    async def _plan_conda_async(self, specs: Sequence[str], prefix: Path, call: _Call) -> Plan:
        import asyncio

        clean = validate_specs(specs, allowed_channels=self._allowed_channels())
        solve = asyncio.ensure_future(conda_engine.solve_async(self._conda_call(clean, prefix)))
        try:
            state, captured = await call(self._capture, clean, prefix)
            await call(parse_all, captured)
            dry = await solve
            result = await call(self._conda_result, dry, clean, captured, prefix)
        except engine.EngineError as exc:
            raise self._engine_error(exc) from None
        finally:
            if not solve.done():
                solve.cancel()  # kills conda
            with contextlib.suppress(BaseException):
                await solve  # reaped (and any exception of it retrieved)
        return await call(self._finish, clean, prefix, state, captured, result)

    def _finish(
        self,
        specs: list[str],
        prefix: Path,
        state: TrustState,
        captured: list[CapturedRepodata],
        result: engine.SolveResult,
    ) -> Plan:
        """The plan from a solve: what changes, each change's verdict, the install decision; stored for installs."""
        by_channel = {(c.channel.rstrip("/"), c.subdir): c for c in captured}
        changes, removals = _changes(result)
        verdicts = judged(list(by_channel.values()), state, _wanted(changes), self.ctx.policy.expiry)
        packages = [
            _planned(record, action, previous, self._judge(record, verdicts, by_channel))
            for record, action, previous in changes
        ]
        packages += [_removal(old) for old in removals]
        # Attestations: evidence beside content trust; the unsigned policy applies to packages with neither.
        packages = attach_attestations(
            packages,
            lambda p: (
                _verified_record(by_channel[(p.channel, p.subdir)].document, p.filename)
                if (p.channel, p.subdir) in by_channel
                else None
            ),
            policy=self.ctx.policy,
            channels=self.ctx.channels,
            reader=ChannelReader(self.ctx),
            environ=self.ctx.environ,
        )
        decision = decide(
            packages,
            policy=self.ctx.policy,
            requested=set(result.requested),
            channel_names={url.rstrip("/"): name for name, url in self.ctx.channels},
        )
        plan = Plan(
            prefix=str(prefix),
            specs=tuple(specs),
            packages=tuple(packages),
            repodata=tuple(d for c in captured for d in c.digests()),
            trust=state.to_json(),
            blocked=decision.blocked,
            reasons=decision.reasons,
            needs_confirmation=decision.needs_confirmation,
            warnings=tuple(state.warnings()),
        )
        self._store(plan)
        return plan

    def _judge(
        self,
        record: Mapping[str, Any],
        verdicts: Mapping[tuple[str, str, str], RecordVerdict],
        by_channel: Mapping[tuple[str, str], CapturedRepodata],
    ) -> RecordVerdict:
        """The record's signature verdict, unless something about the record itself makes it untrusted."""
        channel = str(record.get("channel", "")).rstrip("/")
        subdir = str(record.get("subdir", ""))
        verdict = verdicts.get((channel, subdir, str(record["fn"])))
        allowed_urls = {url.rstrip("/") for _, url in self.ctx.channels}
        if channel not in allowed_urls or (channel, subdir) not in by_channel:
            return RecordVerdict("untrusted", f"{channel} is not an allowed channel")
        if not _expected_fn(record):
            return RecordVerdict(
                "untrusted", f"file name {record['fn']} does not match the record's name-version-build"
            )
        if not record.get("sha256") or not isinstance(record.get("size"), int):
            return RecordVerdict("untrusted", "the record has no sha256/size to pin the artifact to")
        document = by_channel[(channel, subdir)].document
        if verdict is None or _verified_record(document, str(record["fn"])) is None:
            return _unfound(verdict)
        if not _same_record(record, document, str(record["fn"])):
            return RecordVerdict(
                "untrusted", "the solver's record differs from the verified record (name, build, sha256 or size)"
            )
        return verdict

    # -- storage ---------------------------------------------------------------------------------
    def _store(self, plan: Plan) -> None:
        """Keep the plan for an install to load by id (the install captures the repodata again)."""
        with writing(f"the plan {plan.id} cannot be stored"):
            directory = ensure_private_dir(self.plans_dir / plan.id)
            # No fsync: a plan is addressed by its content's sha256 and :meth:`load` checks it, so a file torn by
            # a power cut is "no such plan" (plan again), never a different plan.
            atomic_write(directory / "plan.json", json.dumps(plan.to_json(), indent=1).encode(), durable=False)

    def load(self, plan_id: str) -> Plan:
        if not isinstance(plan_id, str) or not PLAN_ID.match(plan_id):
            raise InvalidInput("plan ids are 64 lowercase hex characters")
        missing = NotFoundError(f"no plan {plan_id}")
        path = self.ctx.work_dir / "plans" / plan_id / "plan.json"
        try:
            data = loads_strict(path.read_bytes(), max_bytes=PLAN_MAX_BYTES, max_depth=PLAN_MAX_DEPTH)
            plan = Plan.from_json(data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            raise missing from None  # unreadable or corrupt: no such plan (plan again)
        if plan.id != plan_id:
            raise missing  # tampered with on disk
        return plan
