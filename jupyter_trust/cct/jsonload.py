"""Strict JSON parsing for trust metadata and repodata.

Python's ``json`` silently keeps the last of duplicate keys and accepts NaN/Infinity; a solver may read a
document differently than the verifier did, so we refuse such documents outright — or, for a repodata file
being verified record by record (:func:`loads_strict_records`), refuse just the records that hold such data.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import FormatError, NotJSON

DEFAULT_MAX_BYTES = 1 << 20
DEFAULT_MAX_DEPTH = 64
#: an installed package's ``conda-meta/<name>.json``: its file list can be long, its structure is shallow
PREFIX_RECORD_MAX_BYTES = 64 << 20
PREFIX_RECORD_MAX_DEPTH = 16
#: the top-level objects of repodata.json whose entries are judged one by one (keyed by file name)
RECORD_SECTIONS = ("packages", "packages.conda", "signatures")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise FormatError(f"duplicate JSON key {_first_duplicate(pairs)!r}")
    return obj


def _first_duplicate(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    return next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]


def _constant(name: str) -> Any:
    raise FormatError(f"{name} is not allowed in trust documents")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to inf: the same refused value as Infinity, spelt differently
        raise FormatError(f"the number {text[:40]} is out of range (it parses to infinity)")
    return value


def _text(data: bytes | str, max_bytes: int) -> str:
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > max_bytes:
        raise FormatError(f"document is {size} bytes, more than the {max_bytes}-byte limit")
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotJSON(f"document is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    return data


def _syntax(exc: json.JSONDecodeError) -> FormatError:
    return NotJSON(f"document is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")


def _refused(exc: ValueError) -> FormatError:
    """What a parse that raised ``exc`` is refused as: our own refusals as they are, a syntax error with its
    place, anything else the parser met (an integer longer than Python converts) as not JSON."""
    if isinstance(exc, FormatError):
        return exc
    if isinstance(exc, json.JSONDecodeError):
        return _syntax(exc)
    return NotJSON(f"document is not valid JSON: {exc}")


def loads_strict(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse ``data``; :class:`FormatError` for anything we will not verify."""
    text = _text(data, max_bytes)
    collecting = gc.isenabled()
    gc.disable()  # parsing creates no reference cycles; collection passes over a big document only cost time
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_finite)
    except RecursionError:
        raise FormatError(f"document is nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise _refused(exc) from None
    finally:
        if collecting:
            gc.enable()
    reason = _defect_in(value, max_depth, f"document is nested deeper than {max_depth} levels")
    if reason is not None:
        raise FormatError(reason)
    return value


# -- repodata judged record by record ---------------------------------------------------------------
class Defect:
    """A value the strict parse refused (a duplicated key's value, NaN, …), left where the value was so that
    only the record holding it is refused."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Defect({self.reason!r})"


@dataclass
class _Marks:
    """The hooks of one tolerant parse: refused values become :class:`Defect` s; ``floats`` says whether any
    number had a fraction or exponent."""

    floats: bool = False

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    obj[key] = Defect(f"duplicate JSON key {key!r}")
                seen.add(key)
        return obj

    def constant(self, name: str) -> Any:
        return Defect(f"{name} is not allowed")

    def number(self, text: str) -> Any:
        self.floats = True
        value = float(text)
        if math.isfinite(value):
            return value
        return Defect(f"the number {text[:40]} is out of range (it parses to infinity)")


def _defect_in(value: Any, levels: int, too_deep: str) -> str | None:
    """Why ``value`` (its own level counted as 1) cannot be used: ``too_deep`` when it has more than
    ``levels`` levels, or the reason of a :class:`Defect` it holds; None when it is fine."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return value.reason if kind is Defect else None
    if levels >= 2:
        # The usual shapes (a record: strings, numbers, lists of strings; a signature entry: an object of
        # objects of strings) end at the second level: checked here without building levels.
        for item in value.values() if kind is dict else value:
            inner = type(item)
            if inner is str or inner is int:
                continue
            if inner is dict or inner is list:
                for leaf in item.values() if inner is dict else item:
                    bottom = type(leaf)
                    if (
                        bottom is not str
                        and bottom is not int
                        and (bottom is dict or bottom is list or bottom is Defect)
                    ):
                        return _walk(value, levels, too_deep)
            elif inner is Defect:
                return item.reason
        return None
    return _walk(value, levels, too_deep)


def _walk(value: Any, levels: int, too_deep: str) -> str | None:
    """:func:`_defect_in` for any shape: breadth-first, one level at a time (parsed JSON holds only dict and
    list containers)."""
    level, depth = [value], 1
    while level:
        if depth > levels:
            return too_deep
        below: list[Any] = []
        keep = below.append
        for node in level:
            for item in node.values() if type(node) is dict else node:
                kind = type(item)
                if kind is dict or kind is list:
                    keep(item)
                elif kind is Defect:
                    return item.reason
        level = below
        depth += 1
    return None


@dataclass
class StrictRecords:
    """A repodata document parsed with :func:`loads_strict`'s rules, except that a refused value inside one
    record (or inside its signature entry) refuses only that record: :meth:`defect` names why.

    Records are checked when asked for (:meth:`defect`), so the checks run wherever the records are
    verified — on both cores when verification is split.
    """

    document: dict[str, Any]
    #: records nested deeper than this (the document counts as level 1) are refused
    max_depth: int
    #: False when the document holds no floating-point number at all
    floats: bool

    def __post_init__(self) -> None:
        sections = ((name, self.document.get(name)) for name in RECORD_SECTIONS)
        self._tables = [
            (table, "signature entry" if name == "signatures" else "record")
            for name, table in sections
            if type(table) is dict
        ]
        self._too_deep = f"nested deeper than {self.max_depth} levels"

    def defect(self, fn: str) -> str | None:
        """Why the record ``fn`` or its signature entry is refused, or None."""
        levels = self.max_depth - 2  # document (1) -> section (2) -> entry (3)
        for table, what in self._tables:
            entry = table.get(fn, _MISSING)
            if entry is not _MISSING:
                reason = _defect_in(entry, levels, self._too_deep)
                if reason is not None:
                    return f"its {what} is refused: {reason}"
        return None


_MISSING = object()


def loads_strict_records(
    data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> StrictRecords:
    """Parse a repodata document: a duplicate key, NaN/Infinity or over-deep value inside an entry of
    ``packages``, ``packages.conda`` or ``signatures`` refuses only that entry (:meth:`StrictRecords.defect`);
    anywhere else (the document is not an object, ``info``, a duplicated section, invalid JSON or UTF-8,
    too large) the whole document is refused with :class:`FormatError`, as :func:`loads_strict` would.
    """
    text = _text(data, max_bytes)
    marks = _Marks()
    collecting = gc.isenabled()
    gc.disable()  # parsing creates no reference cycles; collection passes over a big document only cost time
    try:
        try:
            document = json.loads(
                text, object_pairs_hook=marks.pairs, parse_constant=marks.constant, parse_float=marks.number
            )
        except RecursionError:
            # Nested past the parser's own recursion limit: parse entry by entry to find where.
            document = _entry_by_entry(text, marks, max_depth)
    except ValueError as exc:
        raise _refused(exc) from None
    finally:
        if collecting:
            gc.enable()
    if type(document) is not dict:
        raise FormatError("repodata must be a JSON object")
    for key, value in document.items():
        if key in RECORD_SECTIONS and type(value) is dict:
            continue  # judged per entry
        reason = _defect_in(value, max_depth - 1, f"nested deeper than {max_depth} levels")
        if reason is not None:
            raise FormatError(f"repodata {key!r} is refused: {reason}")
    return StrictRecords(document, max_depth, marks.floats)


_SPACE = re.compile(r"[ \t\n\r]*")
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _entry_by_entry(text: str, marks: _Marks, max_depth: int) -> dict[str, Any]:
    """The top-level object, its sections' entries decoded one at a time: an entry nested past the parser's
    recursion limit becomes a :class:`Defect`; such nesting elsewhere refuses the document."""
    decoder = json.JSONDecoder(object_pairs_hook=marks.pairs, parse_constant=marks.constant, parse_float=marks.number)
    too_deep = f"nested deeper than {max_depth} levels"

    def value(at: int, *, tolerate: bool) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(text, at)
        except RecursionError:
            if not tolerate:
                raise FormatError(f"document is {too_deep}") from None
            return Defect(too_deep), _skip_value(text, at)

    def members(at: int, item: Callable[[str, int], tuple[Any, int]]) -> tuple[dict[str, Any], int]:
        pairs: list[tuple[str, Any]] = []
        at = _expect(text, at, "{")
        at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
        if text.startswith("}", at):
            return {}, at + 1
        while True:
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
            if not text.startswith('"', at):
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, at)
            key, at = json.decoder.scanstring(text, at + 1)
            at = _expect(text, at, ":")
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
            entry, at = item(key, at)
            pairs.append((key, entry))
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
            if text.startswith("}", at):
                return marks.pairs(pairs), at + 1
            at = _expect(text, at, ",")

    def section_entry(_key: str, at: int) -> tuple[Any, int]:
        return value(at, tolerate=True)

    def top_entry(key: str, at: int) -> tuple[Any, int]:
        if key in RECORD_SECTIONS and text.startswith("{", at):
            return members(at, section_entry)
        return value(at, tolerate=False)

    start = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("{", start):
        raise FormatError(f"document is {too_deep}")  # too deep for the parser, and not an object anyway
    document, end = members(start, top_entry)
    if _SPACE.match(text, end).end() != len(text):  # type: ignore[union-attr]
        raise json.JSONDecodeError("Extra data", text, end)
    return document


def _expect(text: str, at: int, char: str) -> int:
    at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
    if not text.startswith(char, at):
        raise json.JSONDecodeError(f"Expecting {char!r} delimiter", text, at)
    return at + 1


def _skip_value(text: str, at: int) -> int:
    """The end of the array or object at ``at`` (brackets matched, strings skipped), without building it."""
    closing: list[str] = []
    for token in _STRING_OR_BRACKET.finditer(text, at):
        char = token.group()[0]
        if char == "[" or char == "{":
            closing.append("]" if char == "[" else "}")
        elif char != '"':
            if not closing or closing.pop() != char:
                break
            if not closing:
                return token.end()
    raise json.JSONDecodeError("Unbalanced array or object", text, at)


def loads_repodata(data: bytes, *, max_bytes: int) -> Any:
    """A large repodata.json for planning: size cap, valid UTF-8, no NaN/Infinity, bounded nesting (orjson,
    strict RFC 8259: it refuses invalid UTF-8, NaN/Infinity and more than 1,024 levels) — but no per-object
    duplicate-key hook (Python's hook-based parse costs several times as much at 20,000 records).

    Safe only together with the planner's cross-check: every record that will be linked must be the same
    (name, version, build, sha256, size, subdir, depends, constrains) in the solver's reading of the file
    as in this one, so two parsers disagreeing about a duplicated key can only block a plan, never change it.
    """
    if len(data) > max_bytes:
        raise FormatError(f"document is {len(data)} bytes, more than the {max_bytes}-byte limit")
    import orjson

    collecting = gc.isenabled()
    gc.disable()  # parsing creates no reference cycles; collection passes over a big document only cost time
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FormatError(f"document is not valid JSON: {exc}") from None  # orjson quotes no content
    finally:
        if collecting:
            gc.enable()
