"""A captured repodata.json read lazily: only the records a plan links (and their signature entries) become
Python objects, each parsed strictly from its own bytes; the rest of the document stays bytes in a memory map.

The index is msgspec's: one validating pass (C speed) that maps each file name of ``packages``,
``packages.conda`` and ``signatures`` to the raw span of its value (``msgspec.Raw``, a view into the map,
no copy, nothing decoded). It is built while the solver runs, used to parse the linked records, then
dropped: what stays (and what a server's repodata cache keeps) is the mapped file and the records parsed.
A file name given twice in a section keeps its last value here, whatever the solver keeps: the planner's
identity check against the solver's record then blocks a plan that the two readings disagree about.
"""

from __future__ import annotations

import mmap
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from ..cct.errors import FormatError
from ..cct.jsonload import loads_repodata, loads_strict

#: the largest single record or signature entry parsed (conda-forge's largest records are a few KiB)
MAX_RECORD_BYTES = 1 << 20
SECTIONS = ("packages", "packages.conda", "signatures")


class _Index(msgspec.Struct):
    packages: dict[str, msgspec.Raw] = {}
    packages_conda: dict[str, msgspec.Raw] = msgspec.field(name="packages.conda", default_factory=dict)
    signatures: dict[str, msgspec.Raw] | None = None


class _Sections(msgspec.Struct):
    """The fallback when a section is not an object: each section's span, judged on its own."""

    packages: msgspec.Raw = msgspec.Raw()
    packages_conda: msgspec.Raw = msgspec.field(name="packages.conda", default=msgspec.Raw())
    signatures: msgspec.Raw = msgspec.Raw()


@dataclass(frozen=True)
class Located:
    """A section's value for one file name: parsed, absent (None), or why it is unusable."""

    value: Any = None
    defect: str | None = None


class RepodataFile:
    """A repodata.json on disk, mapped read-only (the solver maps the same file: the pages are shared)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            self._buf: bytes | mmap.mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self._index: dict[str, dict[str, msgspec.Raw] | str | None] | None = None
        self._found: dict[tuple[str, str], Located] = {}
        self._signed: bool | None = None
        self._whole: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self._buf)

    def index(self) -> None:
        """Build the index now (e.g. while the solver runs), unless it is there."""
        with self._lock:
            self._build()

    def _build(self) -> None:
        if self._index is not None:
            return
        try:
            try:
                found = msgspec.json.decode(self._buf, type=_Index)
                self._index = {
                    "packages": found.packages,
                    "packages.conda": found.packages_conda,
                    "signatures": found.signatures,
                }
            except msgspec.ValidationError:
                self._index = self._sections()
            self._signed = self._index["signatures"] is not None
        except msgspec.DecodeError as exc:
            raise FormatError(f"document is not valid JSON: {exc}") from None
        except RecursionError:
            raise FormatError("document is not valid JSON: nested too deeply") from None
        finally:
            self._release()

    def _sections(self) -> dict[str, dict[str, msgspec.Raw] | str | None]:
        spans = msgspec.json.decode(self._buf, type=_Sections)
        out: dict[str, dict[str, msgspec.Raw] | str | None] = {}
        for name in SECTIONS:
            raw = getattr(spans, name.replace(".", "_"))
            try:
                out[name] = msgspec.json.decode(raw, type=dict[str, msgspec.Raw]) if len(raw) else None
            except msgspec.ValidationError:
                out[name] = f"the repodata '{name}' is not an object"
        return out

    def _release(self) -> None:
        """Drop the mapped pages from this process (they stay in the page cache, shared with the solver)."""
        if isinstance(self._buf, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
            self._buf.madvise(mmap.MADV_DONTNEED)

    def locate(self, filenames: Iterable[str]) -> None:
        """Parse the records and signature entries of ``filenames`` (strictly, each from its own bytes),
        then let the index go: a later call for other names builds it again."""
        with self._lock:
            wanted = [
                fn for fn in dict.fromkeys(filenames) if isinstance(fn, str) and (SECTIONS[0], fn) not in self._found
            ]
            if not wanted:
                return
            try:
                self._build()
            except FormatError as exc:
                for fn in wanted:
                    for name in SECTIONS:
                        self._found[(name, fn)] = Located(defect=f"the repodata is unusable: {exc}")
                return
            assert self._index is not None
            for fn in wanted:
                for name in SECTIONS:
                    self._found[(name, fn)] = self._parse(self._index.get(name), fn)
            self._index = None

    @staticmethod
    def _parse(section: dict[str, msgspec.Raw] | str | None, fn: str) -> Located:
        if isinstance(section, str):
            return Located(defect=section)
        raw = None if section is None else section.get(fn)
        if raw is None:
            return Located()
        try:
            return Located(loads_strict(bytes(raw), max_bytes=MAX_RECORD_BYTES))
        except FormatError as exc:
            return Located(defect=f"its repodata entry is unusable: {exc}")

    def found(self, section: str, fn: str) -> Located:
        if (section, fn) not in self._found:
            self.locate([fn])
        return self._found[(section, fn)]

    @property
    def signed(self) -> bool:
        """Whether the document has a ``signatures`` member at all (a channel that signs nothing has none)."""
        if self._signed is None:
            try:
                self.index()
            except FormatError:
                return True  # then every record lookup says why it is unusable
        return bool(self._signed)

    def whole(self) -> dict[str, Any]:
        """Every record parsed (only for callers that walk a whole section; never on the plan path)."""
        if self._whole is None:
            document = loads_repodata(bytes(self._buf), max_bytes=len(self._buf) + 1)
            self._whole = document if isinstance(document, dict) else {}
        return self._whole


class _Section(Mapping[str, Any]):
    """``packages``, ``packages.conda`` or ``signatures`` of a :class:`LazyRepodata`, looked up by file name.

    A lookup of a defective entry raises :class:`FormatError` with the reason."""

    def __init__(self, file: RepodataFile, name: str) -> None:
        self._file, self._name = file, name

    def _value(self, fn: object) -> Any:
        if not isinstance(fn, str):
            return None
        located = self._file.found(self._name, fn)
        if located.defect is not None:
            raise FormatError(located.defect)
        return located.value

    def __getitem__(self, fn: str) -> Any:
        value = self._value(fn)
        if value is None:
            raise KeyError(fn)
        return value

    def get(self, fn: str, default: Any = None) -> Any:  # type: ignore[override]
        value = self._value(fn)
        return default if value is None else value

    def __contains__(self, fn: object) -> bool:
        return self._value(fn) is not None

    def __bool__(self) -> bool:
        return True  # never walk the section just to test it (``section or {}``)

    def __iter__(self) -> Iterator[str]:
        return iter(self._file.whole().get(self._name) or {})

    def __len__(self) -> int:
        return len(self._file.whole().get(self._name) or {})


class LazyRepodata(Mapping[str, Any]):
    """The parts of a repodata document a plan reads, as a read-only mapping over :class:`RepodataFile`.

    ``locate(filenames)`` first, so that one index serves every record a plan links."""

    def __init__(self, file: RepodataFile) -> None:
        self.file = file

    def locate(self, filenames: Iterable[str]) -> None:
        self.file.locate(filenames)

    def __getitem__(self, key: str) -> Any:
        if key in SECTIONS:
            if key == "signatures" and not self.file.signed:
                raise KeyError(key)
            return _Section(self.file, key)
        return self.file.whole()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.file.whole())

    def __len__(self) -> int:
        return len(self.file.whole())
