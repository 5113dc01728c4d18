"""CEP 16 sharded repodata: the shard index, the shards a solve needs, and the subset repodata built from them.

``<subdir>/repodata_shards.msgpack.zst`` is zstd(msgpack ``{"info": {"subdir", "base_url", "shards_base_url"},
"shards": {name: sha256 (32 bytes)}}``); the shard of ``name`` is ``<shards_base_url><sha256 hex>.msgpack.zst``,
zstd(msgpack ``{"packages": {fn: record}, "packages.conda": {...}, "removed": [...]}``) with ``sha256``/``md5`` as
bytes. Both sha256 pinned by a plan are of the bytes as served (compressed): that is what the index names.

The solver and the verifier both read one subset ``repodata.json`` written from exactly the fetched shards (digests
as hex, as in a monolithic document), so records from shards go through the same strict parse, signature check,
identity check and file-name rules as records from ``repodata.json``.

Signatures: CEP 16 defines none. A shard may carry a ``signatures`` map shaped like ``repodata.json``'s
(``{fn: {keyid: {"signature": hex}}}``, only for its own files); without one, its records are unsigned.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from ..fetch import FetchError

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdDecompressor, ZstdError
else:
    from backports.zstd import ZstdDecompressor, ZstdError

SHARD_INDEX = "repodata_shards.msgpack.zst"
_SECTIONS = ("packages", "packages.conda")
#: a package name at the start of a MatchSpec (``python >=3.8``, ``numpy[version='>=1']``, ``pkgs/main::zlib``)
_SPEC_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
#: the record fields CEP 16 stores as raw bytes where repodata.json has hex
_DIGEST_FIELDS = ("sha256", "md5", "legacy_bz2_md5")
#: shards downloaded at once (each is small: the round trips, not the bytes, are what a closure waits for); more
#: than a small server's listen backlog (Python's http.server: 5) stalls connects for a SYN retry, a second each
PARALLEL = 4


class ShardError(FetchError):
    """The channel's sharded repodata is malformed or inconsistent (the plan is refused)."""


class ShardMismatch(ShardError):
    """A shard's bytes are not the ones the index names for it."""


class _Info(msgspec.Struct):
    subdir: str
    base_url: str = ""
    shards_base_url: str = ""


class _Index(msgspec.Struct):
    info: _Info
    shards: dict[str, bytes]


def decompress(data: bytes, max_bytes: int, label: str) -> bytes:
    """``data`` decompressed (every frame), refused as soon as it grows past ``max_bytes``."""
    out, decompressor = bytearray(), ZstdDecompressor()
    try:
        while True:
            out += decompressor.decompress(data, max_length=max(0, max_bytes + 1 - len(out)))
            data = b""
            if len(out) > max_bytes:
                raise ShardError(f"{label} decompresses to more than the {max_bytes}-byte limit")
            if decompressor.eof:
                data = decompressor.unused_data
                if not data:
                    return bytes(out)
                decompressor = ZstdDecompressor()
            elif decompressor.needs_input:
                raise ShardError(f"{label} ends in the middle of a zstd frame")
    except ZstdError as exc:
        raise ShardError(f"{label} is not valid zstd data: {exc}") from None


@dataclass(frozen=True)
class ShardIndex:
    """A subdir's shard index as downloaded: its URL (token-free), sha256 of the served bytes, and the names."""

    url: str
    sha256: str
    subdir: str
    #: absolute, with a trailing slash: where the packages are, and where the shards are
    base_url: str
    shards_base_url: str
    shards: Mapping[str, bytes]

    @classmethod
    def parse(cls, url: str, data: bytes, max_bytes: int) -> ShardIndex:
        label = f"the shard index {url}"
        try:
            index = msgspec.msgpack.decode(decompress(data, max_bytes, label), type=_Index)
        except msgspec.DecodeError as exc:
            raise ShardError(f"{label} is not a CEP 16 shard index: {exc}") from None
        bad = next((name for name, digest in index.shards.items() if len(digest) != 32), None)
        if bad is not None:
            raise ShardError(f"{label} names no 32-byte sha256 for the shard of {bad!r}")
        return cls(
            url=url,
            sha256=hashlib.sha256(data).hexdigest(),
            subdir=index.info.subdir,
            # Relative to the index's directory; empty (as rattler's indexer writes it) is that directory.
            base_url=_directory(urllib.parse.urljoin(url, index.info.base_url or "./")),
            shards_base_url=_directory(urllib.parse.urljoin(url, index.info.shards_base_url or "./")),
            shards=index.shards,
        )

    def shard_url(self, name: str) -> str:
        return f"{self.shards_base_url}{self.shards[name].hex()}.msgpack.zst"


def _directory(url: str) -> str:
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class Shard:
    """One package name's records (digests as hex), their signatures, and the served bytes' sha256 and URL."""

    name: str
    url: str
    sha256: str
    sections: Mapping[str, Mapping[str, dict[str, Any]]]
    signatures: Mapping[str, Any] = field(default_factory=dict)

    def depends(self) -> set[str]:
        """The package names this shard's records depend on (what the solve may need next)."""
        names: set[str] = set()
        for section in self.sections.values():
            for record in section.values():
                names.update(n for n in map(spec_name, record.get("depends") or ()) if n)
        return names


def spec_name(spec: object) -> str | None:
    """The package name a MatchSpec string names (lowercase), without a channel; None when there is none."""
    if not isinstance(spec, str):
        return None
    match = _SPEC_NAME.match(spec.strip().rpartition("::")[2])
    return match.group(0).lower() if match else None


def parse_shard(index: ShardIndex, name: str, data: bytes, max_bytes: int) -> Shard:
    """The shard of ``name`` from its served bytes, refused unless they are exactly the ones the index names and
    every record in it is a record of ``name``."""
    url = index.shard_url(name)
    label = f"the shard of {name!r} ({url})"
    digest = hashlib.sha256(data).digest()
    if digest != index.shards[name]:
        raise ShardMismatch(
            f"{label} does not match the sha256 the shard index names for it: the channel is inconsistent "
            "(retry later, or ask its administrator)"
        )
    try:
        document = msgspec.msgpack.decode(decompress(data, max_bytes, label))
    except msgspec.DecodeError as exc:
        raise ShardError(f"{label} is not valid msgpack: {exc}") from None
    if not isinstance(document, dict):
        raise ShardError(f"{label} is not a map of package records")
    sections: dict[str, dict[str, dict[str, Any]]] = {}
    for section in _SECTIONS:
        records = document.get(section) or {}
        if not isinstance(records, dict):
            raise ShardError(f"{label}: {section!r} is not a map of package records")
        sections[section] = {str(fn): _record(label, name, fn, record) for fn, record in records.items()}
    signatures = document.get("signatures") or {}
    if not isinstance(signatures, dict):
        raise ShardError(f"{label}: 'signatures' is not a map")
    own = {fn for records in sections.values() for fn in records}
    stray = sorted(str(fn) for fn in signatures if fn not in own)
    if stray:
        raise ShardError(f"{label} carries signatures for files it does not hold: {', '.join(stray[:3])}")
    return Shard(name, url, digest.hex(), sections, signatures)


def _record(label: str, name: str, fn: object, record: object) -> dict[str, Any]:
    if not isinstance(fn, str) or not isinstance(record, dict):
        raise ShardError(f"{label}: {fn!r} is not a package record")
    if str(record.get("name", "")).lower() != name.lower():
        raise ShardError(f"{label} holds {fn}, a record of {record.get('name')!r}: a shard holds one package name")
    out = dict(record)
    for key in _DIGEST_FIELDS:
        if isinstance(out.get(key), bytes):
            out[key] = out[key].hex()
    return out


def closure(
    indexes: Iterable[ShardIndex], roots: Iterable[str], fetch: Callable[[ShardIndex, str], Shard]
) -> tuple[dict[str, list[Shard]], tuple[str, ...]]:
    """Every shard a solve of ``roots`` can reach: the roots' shards, then their dependencies' shards, until no
    new name appears, each wave fetched :data:`PARALLEL` at a time. Keyed by index URL, in a stable order; with
    the names reached that no index holds (virtual packages, ``__*``, aside): the solver will find nothing that
    provides them. Constraints are not followed: they only restrict packages something else already pulls in."""
    indexes = list(indexes)
    out: dict[str, list[Shard]] = {index.url: [] for index in indexes}
    seen: set[str] = set()
    wave = {r.lower() for r in roots}
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        while wave:
            seen |= wave
            jobs = [(index, name) for name in sorted(wave) for index in indexes if name in index.shards]
            wave = set()
            for (index, _), shard in zip(jobs, pool.map(lambda job: fetch(*job), jobs), strict=True):
                out[index.url].append(shard)
                wave |= shard.depends()
            wave -= seen
    unheld = sorted(n for n in seen if not n.startswith("__") and not any(n in index.shards for index in indexes))
    return out, tuple(unheld)


def subset_repodata(index: ShardIndex, subdir_url: str, shards: Iterable[Shard]) -> bytes:
    """The ``repodata.json`` the solver and the verifier read: exactly the records of ``shards``."""
    info: dict[str, Any] = {"subdir": index.subdir}
    document: dict[str, Any] = {"info": info, "packages": {}, "packages.conda": {}, "signatures": {}}
    if index.base_url != _directory(subdir_url):
        info["base_url"] = index.base_url  # packages elsewhere: rattler reads base_url from version 2 on
        document["repodata_version"] = 2
    for shard in sorted(shards, key=lambda s: s.name):
        for section, records in shard.sections.items():
            document[section].update(records)
        document["signatures"].update(shard.signatures)
    try:
        return json.dumps(document, allow_nan=False, sort_keys=True).encode()
    except (TypeError, ValueError) as exc:
        raise ShardError(f"the shards of {index.url} hold a value repodata.json cannot carry: {exc}") from None


def installed_names(prefix: Path) -> list[str]:
    """The names of the packages installed in ``prefix`` (from ``conda-meta/<name>-<version>-<build>.json``)."""
    try:
        files = list((prefix / "conda-meta").glob("*.json"))
    except OSError:
        return []
    return sorted({f.stem.rsplit("-", 2)[0].lower() for f in files if f.stem.count("-") >= 2})
