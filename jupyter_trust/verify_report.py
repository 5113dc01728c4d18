"""Offline verification of trust-metadata files: the document behind ``jupyter conda-trust verify``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cct.errors import CCTError, FormatError
from .cct.jsonload import loads_strict
from .cct.metadata import DelegatingMetadata
from .cct.verify import RecordVerdict, self_verify_root, verify_delegation, verify_records, verify_root

METADATA_MAX_BYTES = 1 << 20
REPODATA_MAX_BYTES = 512 << 20


@dataclass
class VerifyReport:
    root: dict[str, Any]
    key_mgr: dict[str, Any] | None = None
    packages: dict[str, RecordVerdict] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        if not self.root.get("verified"):
            return False
        if self.key_mgr is not None and not self.key_mgr.get("verified"):
            return False
        return all(v.verdict != "untrusted" for v in self.packages.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "root": self.root,
            "key_mgr": self.key_mgr,
            "packages": {fn: v.to_json() for fn, v in sorted(self.packages.items())},
        }


def _load(path: Path, max_bytes: int) -> Any:
    if Path(path).stat().st_size > max_bytes:
        raise FormatError(f"{path} is larger than {max_bytes} bytes")
    return loads_strict(Path(path).read_bytes(), max_bytes=max_bytes)


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def verify_files(
    roots: Sequence[Path],
    *,
    key_mgr: Path | None = None,
    repodata: Path | None = None,
    now: dt.datetime | None = None,
) -> VerifyReport:
    """Root chain (first root = trusted anchor), key_mgr against the final root, record verdicts."""
    now = now or dt.datetime.now(dt.timezone.utc)
    root_doc: Mapping[str, Any] | None = None
    root_json: dict[str, Any] = {"version": None, "verified": False, "error": None, "expired": False, "path": None}
    try:
        if not roots:
            raise ValueError("no root given")
        trusted = _load(roots[0], METADATA_MAX_BYTES)
        DelegatingMetadata.from_envelope(trusted)
        self_verify_root(trusted)
        for path in roots[1:]:
            untrusted = _load(path, METADATA_MAX_BYTES)
            DelegatingMetadata.from_envelope(untrusted)
            try:
                verify_root(trusted, untrusted)
            except (CCTError, ValueError, TypeError, KeyError) as exc:
                raise type(exc)(f"{path}: {exc}") from None
            trusted = untrusted
        root_doc = trusted
        meta = DelegatingMetadata.from_envelope(trusted)
        root_json.update(
            version=meta.version,
            verified=True,
            expired=meta.is_expired(now),
            expiration=meta.expiration,
            path=str(roots[-1]),
        )
    except (CCTError, ValueError, TypeError, KeyError, OSError) as exc:
        root_json["error"] = _error_text(exc)

    km_doc: Mapping[str, Any] | None = None
    km_json: dict[str, Any] | None = None
    if key_mgr is not None:
        km_json = {"version": None, "verified": False, "error": None, "expired": False}
        try:
            doc = _load(key_mgr, METADATA_MAX_BYTES)
            meta = DelegatingMetadata.from_envelope(doc)
            km_json.update(version=meta.version, expired=meta.is_expired(now), expiration=meta.expiration)
            if root_doc is None:
                raise CCTError("the root chain did not verify, so key_mgr cannot be trusted")
            verify_delegation("key_mgr", doc, root_doc)
            km_json["verified"] = True
            km_doc = doc
        except (CCTError, ValueError, TypeError, KeyError, OSError) as exc:
            km_json["error"] = _error_text(exc)

    packages: dict[str, RecordVerdict] = {}
    if repodata is not None:
        doc = _load(repodata, REPODATA_MAX_BYTES)
        if km_doc is not None:
            packages = verify_records(doc, km_doc, workers=2)
        else:
            names = list((doc.get("packages") or {}).keys()) + list((doc.get("packages.conda") or {}).keys())
            packages = {
                fn: RecordVerdict("untrusted", "key_mgr did not verify; no record can be trusted") for fn in names
            }
    return VerifyReport(root=root_json, key_mgr=km_json, packages=packages)
