"""Canonical serialization: the bytes that are signed and verified (conda-content-trust ``canonserialize``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
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


def canonical_candidates(obj: Any) -> Iterator[bytes]:
    """The canonical bytes, fastest guess first.

    orjson renders ASCII documents without floats exactly as :func:`canonical` does, several times faster;
    where it may differ (non-ASCII text is not escaped, float formatting) the exact form follows. A
    signature check tries the candidates in order, so the result is always that of :func:`canonical`:
    a wrong guess can only fail to verify, and then the exact bytes are checked too.
    """
    fast = None
    if orjson is not None:
        try:
            fast = orjson.dumps(obj, option=_OPTIONS)
        except (TypeError, orjson.JSONEncodeError):
            fast = None
        if fast is not None:
            yield fast
    exact = canonical(obj)
    if exact != fast:
        yield exact
