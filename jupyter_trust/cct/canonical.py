"""Canonical serialization: the bytes that are signed and verified (conda-content-trust ``canonserialize``).

A signature verifies over ``json.dumps(obj, indent=2, sort_keys=True).encode("utf-8")`` and nothing else.
:func:`canonical_record` renders through orjson (several times faster) only where its bytes are provably
the same, decided per value; everywhere else it is :func:`canonical`.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(indent=2, sort_keys=True)


def canonical(obj: Any) -> bytes:
    """``json.dumps(obj, indent=2, sort_keys=True).encode("utf-8")`` — ASCII-only, sorted keys, no trailing newline."""
    return _ENCODER.encode(obj).encode("utf-8")


try:
    import orjson

    _OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps the verifier usable without it
    orjson = None

# Where orjson and json.dumps(indent=2, sort_keys=True) write the same bytes (checked at import, below):
# dict / list / str / int / bool / None, with every character of every string in U+0000..U+007E. json
# escapes everything else (\uXXXX, DEL included) while orjson writes it as UTF-8, and the two write some
# floats differently; orjson refuses ints beyond 64 bits. So orjson's bytes are used only when the value
# holds no float (or other type) and its output is ASCII without DEL: then no string held anything else.
_PLAIN = frozenset({str, int, bool, type(None)})


def is_float_free(value: Any) -> bool:
    """True if ``value`` is built only from dict, list, str, int, bool and None (JSON without floats)."""
    if type(value) is not dict and type(value) is not list:
        return type(value) in _PLAIN
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        for item in node.values() if type(node) is dict else node:
            kind = type(item)
            if kind is str or kind is int:
                continue
            if kind is dict or kind is list:
                push(item)
            elif kind is not bool and item is not None:
                return False
    return True


def _orjson_exact(obj: Any) -> bytes | None:
    try:
        out = orjson.dumps(obj, option=_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):  # an int beyond 64 bits, a lone surrogate, too deep, ...
        return None
    return out if out.isascii() and b"\x7f" not in out else None


def _self_check() -> bool:
    """Does this orjson write exactly json.dumps's bytes for the values :func:`canonical_record` gives it?"""
    if orjson is None:
        return False
    ascii_text = "".join(map(chr, range(0x7F)))
    probe = {
        ascii_text: [ascii_text, 0, -1, 2**63 - 1, -(2**63), 2**64 - 1, True, False, None, {}, [], [[{}]]],
        "": {"nested": {"empty": "", "list": [1, "2", {"a": [None]}]}},
        **{c: c for c in ascii_text},
    }
    return orjson.dumps(probe, option=_OPTIONS) == canonical(probe)


_FAST = _self_check()


def canonical_record(obj: Any, *, float_free: bool = False) -> bytes:
    """:func:`canonical`'s bytes, fast where provably identical.

    ``float_free=True`` is the caller's statement that ``obj`` came from a JSON parse that met no number with
    a fraction or exponent (see :class:`~jupyter_trust.cct.jsonload.StrictRecords`); otherwise ``obj`` is
    checked here.
    """
    if _FAST and (float_free or is_float_free(obj)):
        out = _orjson_exact(obj)
        if out is not None:
            return out
    return canonical(obj)
