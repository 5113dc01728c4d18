"""Strict JSON parsing for trust metadata and repodata.

Python's ``json`` silently keeps the last of duplicate keys and accepts NaN/Infinity; a solver may read a
document differently than the verifier did, so we refuse such documents outright.
"""

from __future__ import annotations

import gc
import json
from typing import Any

from .errors import FormatError

DEFAULT_MAX_BYTES = 1 << 20
DEFAULT_MAX_DEPTH = 64
#: an installed package's ``conda-meta/<name>.json``: its file list can be long, its structure is shallow
PREFIX_RECORD_MAX_BYTES = 64 << 20
PREFIX_RECORD_MAX_DEPTH = 16


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise FormatError(f"duplicate JSON key {dup!r}")
    return obj


def _constant(name: str) -> Any:
    raise FormatError(f"{name} is not allowed in trust documents")


def _depth_ok(value: Any, max_depth: int) -> bool:
    """Breadth-first, one level at a time (parsed JSON holds only dict and list containers)."""
    level, depth = ([value] if type(value) is dict or type(value) is list else []), 1
    while level:
        if depth > max_depth:
            return False
        below: list[Any] = []
        keep = below.append
        for node in level:
            for item in node.values() if type(node) is dict else node:
                kind = type(item)
                if kind is dict or kind is list:
                    keep(item)
        level = below
        depth += 1
    return True


def loads_strict(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse ``data``; :class:`FormatError` for anything we will not verify."""
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > max_bytes:
        raise FormatError(f"document is {size} bytes, more than the {max_bytes}-byte limit")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"document is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    collecting = gc.isenabled()
    gc.disable()  # parsing creates no reference cycles; collection passes over a big document only cost time
    try:
        value = json.loads(data, object_pairs_hook=_pairs, parse_constant=_constant)
    except RecursionError:
        raise FormatError(f"document is nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"document is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise FormatError(f"document is not valid JSON: {exc}") from None
    finally:
        if collecting:
            gc.enable()
    if not _depth_ok(value, max_depth):
        raise FormatError(f"document is nested deeper than {max_depth} levels")
    return value


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
