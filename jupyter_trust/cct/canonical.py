"""Canonical serialization: the bytes that are signed and verified (conda-content-trust ``canonserialize``)."""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(indent=2, sort_keys=True)


def canonical(obj: Any) -> bytes:
    """``json.dumps(obj, indent=2, sort_keys=True).encode("utf-8")`` — ASCII-only, sorted keys, no trailing newline."""
    return _ENCODER.encode(obj).encode("utf-8")
