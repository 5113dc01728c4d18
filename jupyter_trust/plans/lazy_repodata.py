"""A captured repodata.json read lazily: only the records a plan links (and their signature entries) become
Python objects, each parsed strictly from its own bytes; the rest of the document stays bytes in a memory map.

Finding them is one msgspec pass over the mapped file (C speed) with a type made for the request: a struct
whose fields are exactly the wanted file names, under ``packages``, ``packages.conda`` and ``signatures``.
msgspec validates the whole document and skips every other member without building anything; a wanted
member becomes a ``msgspec.Raw`` (a view of its bytes), which is then parsed strictly. A file name given
twice in a section keeps its last value here, whatever the solver keeps: the planner's identity check
against the solver's record then blocks a plan the two readings disagree about. What stays (and what a
server's repodata cache keeps) is the mapped file and the records parsed.
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
_FIELDS = {"packages": "packages", "packages.conda": "packages_conda", "signatures": "signatures"}


class _Sections(msgspec.Struct):
    """The fallback when a section is not an object: each section's span, judged on its own."""

    packages: msgspec.Raw = msgspec.Raw()
    packages_conda: msgspec.Raw = msgspec.field(name="packages.conda", default=msgspec.Raw())
    signatures: msgspec.Raw = msgspec.Raw()


def _wanted_types(filenames: list[str]) -> tuple[type, type]:
    """(section type, document type): structs that keep the raw value of exactly ``filenames``."""
    fields = {f"f{i}": fn for i, fn in enumerate(filenames)}
    section = msgspec.defstruct("Wanted", [(f, msgspec.Raw, msgspec.Raw()) for f in fields], rename=fields)
    document = msgspec.defstruct(
        "WantedDocument",
        [
            ("packages", section, msgspec.field(default_factory=section)),
            ("packages_conda", section, msgspec.field(default_factory=section)),
            ("signatures", section | None, None),  # type: ignore[operator]
        ],
        rename={"packages_conda": "packages.conda"},
    )
    return section, document


@dataclass(frozen=True)
class Located:
    """A section's value for one file name: parsed (``present``; JSON null is a value too), absent, or why it
    is unusable."""

    value: Any = None
    defect: str | None = None
    present: bool = False


class RepodataFile:
    """A repodata.json on disk, mapped read-only (the solver maps the same file: the pages are shared)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            self._buf: bytes | mmap.mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self._found: dict[tuple[str, str], Located] = {}
        self._signed: bool | None = None
        self._whole: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self._buf)

    def locate(self, filenames: Iterable[str]) -> None:
        """Parse the records and signature entries of ``filenames`` (one pass for all of them, each value
        parsed strictly from its own bytes)."""
        with self._lock:
            wanted = [
                fn for fn in dict.fromkeys(filenames) if isinstance(fn, str) and (SECTIONS[0], fn) not in self._found
            ]
            if not wanted and self._signed is not None:
                return
            try:
                raws = self._raw_values(wanted)
            except FormatError as exc:
                for fn in wanted:
                    for name in SECTIONS:
                        self._found[(name, fn)] = Located(defect=f"the repodata is unusable: {exc}")
                self._signed = self._signed or False
                return
            finally:
                self._release()
            for fn in wanted:
                for name in SECTIONS:
                    self._found[(name, fn)] = self._parse(raws[name], fn)

    def _raw_values(self, wanted: list[str]) -> dict[str, dict[str, msgspec.Raw] | str | None]:
        """Per section: the raw value of each wanted file name present, None for an absent section, or why
        the section is unusable."""
        section, document = _wanted_types(wanted)
        try:
            try:
                found = msgspec.json.decode(self._buf, type=document)
                parts = {name: getattr(found, field) for name, field in _FIELDS.items()}
            except msgspec.ValidationError:
                parts = self._sections(section)
        except msgspec.DecodeError as exc:
            raise FormatError(f"document is not valid JSON: {exc}") from None
        except RecursionError:
            raise FormatError("document is not valid JSON: nested too deeply") from None
        self._signed = parts["signatures"] is not None
        out: dict[str, dict[str, msgspec.Raw] | str | None] = {}
        for name, part in parts.items():
            if part is None or isinstance(part, str):
                out[name] = part
            else:
                out[name] = {fn: raw for i, fn in enumerate(wanted) if len(raw := getattr(part, f"f{i}"))}
        return out

    def _sections(self, section: type) -> dict[str, Any]:
        spans = msgspec.json.decode(self._buf, type=_Sections)
        out: dict[str, Any] = {}
        for name, field in _FIELDS.items():
            raw = getattr(spans, field)
            try:
                out[name] = msgspec.json.decode(raw, type=section) if len(raw) else None
            except msgspec.ValidationError:
                out[name] = f"the repodata '{name}' is not an object"
        return out

    def _release(self) -> None:
        """Drop the mapped pages from this process (they stay in the page cache, shared with the solver)."""
        if isinstance(self._buf, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
            self._buf.madvise(mmap.MADV_DONTNEED)

    @staticmethod
    def _parse(section: dict[str, msgspec.Raw] | str | None, fn: str) -> Located:
        if isinstance(section, str):
            return Located(defect=section)
        raw = None if section is None else section.get(fn)
        if raw is None:
            return Located()
        try:
            return Located(loads_strict(bytes(raw), max_bytes=MAX_RECORD_BYTES), present=True)
        except FormatError as exc:
            return Located(defect=f"its repodata entry is unusable: {exc}")

    def found(self, section: str, fn: str) -> Located:
        if (section, fn) not in self._found:
            self.locate([fn])
        return self._found[(section, fn)]

    @property
    def signed(self) -> bool:
        """Whether the document has a ``signatures`` object at all (a channel that signs nothing has none)."""
        if self._signed is None:
            self.locate([])
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

    def _located(self, fn: object) -> Located:
        if not isinstance(fn, str):
            return Located()
        located = self._file.found(self._name, fn)
        if located.defect is not None:
            raise FormatError(located.defect)
        return located

    def __getitem__(self, fn: str) -> Any:
        located = self._located(fn)
        if not located.present:
            raise KeyError(fn)
        return located.value

    def get(self, fn: str, default: Any = None) -> Any:  # type: ignore[override]
        located = self._located(fn)
        return located.value if located.present else default

    def __contains__(self, fn: object) -> bool:
        return self._located(fn).present

    def __bool__(self) -> bool:
        return True  # never walk the section just to test it (``section or {}``)

    def __iter__(self) -> Iterator[str]:
        return iter(self._file.whole().get(self._name) or {})

    def __len__(self) -> int:
        return len(self._file.whole().get(self._name) or {})


class LazyRepodata(Mapping[str, Any]):
    """The parts of a repodata document a plan reads, as a read-only mapping over :class:`RepodataFile`.

    ``locate(filenames)`` first, so that one pass finds every record a plan links."""

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
