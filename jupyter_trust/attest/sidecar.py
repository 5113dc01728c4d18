"""Sidecar files: a JSON array of Sigstore bundles (CEP 50 ``<fn>.sigs`` / ``<fn>.sigs.<sha256>``, and the
older unpinned ``<package url>.v0.sigs``), parsed strictly and bounded before anything looks inside."""

from __future__ import annotations

import re
from typing import Any

from ..cct.errors import FormatError
from ..cct.jsonload import loads_strict

#: largest sidecar read (real ones hold one ~11 kB bundle; CEP 50 sidecars are append-only)
SIDECAR_MAX_BYTES = 2 << 20
#: most bundles looked at in one sidecar
MAX_BUNDLES = 64
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class SidecarError(ValueError):
    """The sidecar is not a JSON array of bundle objects (for an advertised sidecar: a retrieval failure)."""


def valid_sha256(value: Any) -> bool:
    return isinstance(value, str) and bool(_SHA256.match(value))


def parse_sidecar(data: bytes, *, max_bytes: int = SIDECAR_MAX_BYTES) -> list[dict[str, Any]]:
    """The bundles of a sidecar, as JSON objects (duplicate keys, NaN, over-deep or oversized text refused)."""
    if len(data) > max_bytes:
        raise SidecarError(f"the sidecar is {len(data)} bytes, more than the {max_bytes}-byte limit")
    try:
        document = loads_strict(data, max_bytes=max_bytes, max_depth=32)
    except FormatError as exc:
        raise SidecarError(f"the sidecar is not valid JSON: {exc}") from None
    if not isinstance(document, list):
        raise SidecarError("the sidecar is not a JSON array of Sigstore bundles")
    if len(document) > MAX_BUNDLES:
        raise SidecarError(f"the sidecar holds {len(document)} bundles, more than {MAX_BUNDLES}")
    if not all(isinstance(item, dict) for item in document):
        raise SidecarError("the sidecar holds something other than Sigstore bundle objects")
    return document
