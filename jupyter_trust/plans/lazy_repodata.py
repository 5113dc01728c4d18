"""A captured repodata.json read lazily: only the records a plan links (and their signatures) become Python
objects, each parsed strictly from its own bytes; the rest of the document stays bytes in a memory map.

Locating records is one pass of a compiled pattern over the mapped file for every wanted file name at once
(C speed, no Python object per record). A match is a JSON object key equal to the file name: in the valid
JSON the solver has already accepted, a ``"`` not preceded by ``\\`` opens a string, so ``"<fn>"`` followed
by ``:`` is exactly an object key ``<fn>``, at whatever depth. Where it sits does not matter for trust: a
record is trusted only when a pkg_mgr signature verifies over that very object and the solver's reading of
the record is identical, so a key planted elsewhere can only block a plan. A record found more than once,
a signature entry found more than once, or any of them defective (duplicate key, NaN, too deep, too large)
makes the record unusable with that reason.
"""

from __future__ import annotations

import mmap
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cct.errors import FormatError
from ..cct.jsonload import loads_repodata, loads_strict_at

#: the largest single record or signature entry parsed (conda-forge's largest records are a few KiB)
MAX_RECORD_BYTES = 1 << 20
_WS = rb"[ \t\r\n]*"
_SIGNATURES_KEY = b"signatures"


@dataclass(frozen=True)
class Located:
    """What the document holds under one file name: the record, its signature entry, or why it is unusable."""

    record: Any = None
    signatures: Any = None
    defect: str | None = None


class RepodataFile:
    """A repodata.json on disk, mapped read-only (shared with the solver's own mapping of the same file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            self._buf: bytes | mmap.mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self._found: dict[str, Located] = {}
        self._signed: bool | None = None
        self._whole: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self._buf)

    def locate(self, filenames: Iterable[str]) -> None:
        """Find and strictly parse every not-yet-located file name's record and signature entry (one pass)."""
        with self._lock:
            wanted = sorted({fn for fn in filenames if fn and fn not in self._found})
            if not wanted:
                return
            keys = [fn.encode("utf-8") for fn in wanted]
            if self._signed is None:
                keys.append(_SIGNATURES_KEY)
            pattern = re.compile(b'"(' + b"|".join(re.escape(k) for k in keys) + b')"' + _WS + b":" + _WS)
            starts: dict[bytes, list[int]] = {}
            buf = self._buf
            for match in pattern.finditer(buf):
                if match.start() > 0 and buf[match.start() - 1 : match.start()] == b"\\":
                    continue  # an escaped quote inside some string, not a key
                starts.setdefault(match.group(1), []).append(match.end())
            if self._signed is None:
                self._signed = _SIGNATURES_KEY in starts
            for fn in wanted:
                self._found[fn] = self._classify(fn, starts.get(fn.encode("utf-8"), []))

    def _classify(self, fn: str, offsets: list[int]) -> Located:
        records, entries = [], []
        for offset in offsets:
            try:
                value = loads_strict_at(self._buf, offset, max_bytes=MAX_RECORD_BYTES)
            except FormatError as exc:
                return Located(defect=f"its repodata entry is unusable: {exc}")
            (records if isinstance(value, dict) and "name" in value else entries).append(value)
        if len(records) > 1:
            return Located(defect=f"{fn} appears {len(records)} times in the repodata")
        if len(entries) > 1:
            return Located(defect=f"{fn} has {len(entries)} signature entries in the repodata")
        return Located(records[0] if records else None, entries[0] if entries else None)

    def found(self, fn: str) -> Located:
        if fn not in self._found:
            self.locate([fn])
        return self._found[fn]

    @property
    def signed(self) -> bool:
        """Whether the document has a ``signatures`` object (a channel that signs nothing has none)."""
        if self._signed is None:
            self.locate(["\0"])  # no file name has a NUL: a pass that only looks for the key
        return bool(self._signed)

    def whole(self) -> dict[str, Any]:
        """Every record parsed (only for callers that walk a whole section; never on the plan path)."""
        if self._whole is None:
            document = loads_repodata(bytes(self._buf), max_bytes=len(self._buf) + 1)
            self._whole = document if isinstance(document, dict) else {}
        return self._whole

    def close(self) -> None:
        if isinstance(self._buf, mmap.mmap):
            self._buf.close()


class _Section(Mapping[str, Any]):
    """``packages``, ``packages.conda`` or ``signatures`` of a :class:`LazyRepodata`, looked up by file name.

    A lookup of a defective entry raises :class:`FormatError` with the reason."""

    def __init__(self, file: RepodataFile, name: str) -> None:
        self._file, self._name = file, name

    def _value(self, fn: str) -> Any:
        if not isinstance(fn, str):
            return None
        if self._name != "signatures" and fn.endswith(".conda") != (self._name == "packages.conda"):
            return None
        located = self._file.found(fn)
        if located.defect is not None:
            raise FormatError(located.defect)
        return located.signatures if self._name == "signatures" else located.record

    def __getitem__(self, fn: str) -> Any:
        value = self._value(fn)
        if value is None:
            raise KeyError(fn)
        return value

    def get(self, fn: str, default: Any = None) -> Any:  # type: ignore[override]
        value = self._value(fn)
        return default if value is None else value

    def __contains__(self, fn: object) -> bool:
        return isinstance(fn, str) and self._value(fn) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._file.whole().get(self._name) or {})

    def __len__(self) -> int:
        return len(self._file.whole().get(self._name) or {})


class LazyRepodata(Mapping[str, Any]):
    """The parts of a repodata document a plan reads, as a read-only mapping over :class:`RepodataFile`.

    ``locate(filenames)`` first, so that one pass serves every record a plan links."""

    _SECTIONS = ("packages", "packages.conda", "signatures")

    def __init__(self, file: RepodataFile) -> None:
        self.file = file

    def locate(self, filenames: Iterable[str]) -> None:
        self.file.locate(filenames)

    def __getitem__(self, key: str) -> Any:
        if key in self._SECTIONS:
            if key == "signatures" and not self.file.signed:
                raise KeyError(key)
            return _Section(self.file, key)
        return self.file.whole()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.file.whole())

    def __len__(self) -> int:
        return len(self.file.whole())
