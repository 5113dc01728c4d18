"""Offline verification of trust-metadata files: the document behind ``jupyter conda-trust verify``.

:func:`verify_files` never raises for what is in or about the files: every outcome is in the report, so
``--json`` always has a document to print. A file that cannot be used at all is named in ``error`` (with
the kind of the error-contract table: ``invalid_input`` when it cannot be read or is not JSON,
``verification_failed`` when it was read and refused); whatever was judged before or beside it is kept.
"""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cct.errors import CCTError, FormatError, NotJSON
from .cct.jsonload import loads_strict
from .cct.metadata import DelegatingMetadata
from .cct.verify import RecordVerdict, self_verify_root, verify_delegation, verify_repodata, verify_root
from .errors import Kind

METADATA_MAX_BYTES = 1 << 20
REPODATA_MAX_BYTES = 512 << 20


class Unusable(Exception):
    """A file that cannot be read or parsed as JSON at all (as opposed to one that was read and refused)."""


@dataclass
class VerifyReport:
    root: dict[str, Any]
    key_mgr: dict[str, Any] | None = None
    packages: dict[str, RecordVerdict] = field(default_factory=dict)
    #: the first file that could not be used: {"kind", "message", "file"}
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        if self.error is not None or not self.root.get("verified"):
            return False
        if self.key_mgr is not None and not self.key_mgr.get("verified"):
            return False
        return all(v.verdict != "untrusted" for v in self.packages.values())

    @property
    def kind(self) -> Kind | None:
        """The error-contract kind of the outcome: None when ok."""
        if self.error is not None:
            return Kind(self.error["kind"])
        return None if self.ok else Kind.VERIFICATION_FAILED

    def fail(self, path: Path, exc: BaseException) -> None:
        if self.error is None:
            kind = Kind.INVALID_INPUT if isinstance(exc, Unusable) else Kind.VERIFICATION_FAILED
            self.error = {"kind": kind.value, "message": str(exc), "file": str(path)}

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "root": self.root,
            "key_mgr": self.key_mgr,
            "packages": {fn: v.to_json() for fn, v in sorted(self.packages.items())},
            "error": self.error,
        }


def _read(path: Path, max_bytes: int) -> bytes:
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # checked before reading: a directory fails, a FIFO would block
            raise Unusable(f"{path} is not a regular file")
        size = st.st_size
        if size > max_bytes:
            raise Unusable(f"{path} is {size} bytes, more than the {max_bytes}-byte limit")
        return path.read_bytes()
    except OSError as exc:
        raise Unusable(f"{path} cannot be read: {exc.strerror or type(exc).__name__}") from None


def _load(path: Path, max_bytes: int) -> Any:
    data = _read(path, max_bytes)
    try:
        return loads_strict(data, max_bytes=max_bytes)
    except NotJSON as exc:
        raise Unusable(f"{path}: {exc}") from None


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


_REFUSED = (CCTError, ValueError, TypeError, KeyError)


def verify_files(
    roots: Sequence[Path],
    *,
    key_mgr: Path | None = None,
    repodata: Path | None = None,
    now: dt.datetime | None = None,
) -> VerifyReport:
    """Root chain (first root = trusted anchor), key_mgr against the final root, record verdicts."""
    now = now or dt.datetime.now(dt.timezone.utc)
    report = VerifyReport(root={"version": None, "verified": False, "error": None, "expired": False, "path": None})
    root_doc = _verify_roots(report, [Path(p) for p in roots], now)
    km_doc = _verify_key_mgr(report, Path(key_mgr), root_doc, now) if key_mgr is not None else None
    if repodata is not None:
        _verify_repodata(report, Path(repodata), km_doc)
    return report


def _verify_roots(report: VerifyReport, roots: list[Path], now: dt.datetime) -> Mapping[str, Any] | None:
    path = roots[0] if roots else Path()
    try:
        if not roots:
            raise Unusable("no root given")
        trusted = _load(path, METADATA_MAX_BYTES)
        DelegatingMetadata.from_envelope(trusted)
        self_verify_root(trusted)
        for path in roots[1:]:
            untrusted = _load(path, METADATA_MAX_BYTES)
            DelegatingMetadata.from_envelope(untrusted)
            try:
                verify_root(trusted, untrusted)
            except _REFUSED as exc:
                raise type(exc)(f"{path}: {exc}") from None
            trusted = untrusted
        meta = DelegatingMetadata.from_envelope(trusted)
    except Unusable as exc:
        report.root["error"] = str(exc)
        report.fail(path, exc)
        return None
    except _REFUSED as exc:
        report.root["error"] = _error_text(exc)
        return None
    report.root.update(
        version=meta.version,
        verified=True,
        expired=meta.is_expired(now),
        expiration=meta.expiration,
        path=str(roots[-1]),
    )
    return trusted


def _verify_key_mgr(
    report: VerifyReport, path: Path, root_doc: Mapping[str, Any] | None, now: dt.datetime
) -> Mapping[str, Any] | None:
    km: dict[str, Any] = {"version": None, "verified": False, "error": None, "expired": False}
    report.key_mgr = km
    try:
        doc = _load(path, METADATA_MAX_BYTES)
        meta = DelegatingMetadata.from_envelope(doc)
        km.update(version=meta.version, expired=meta.is_expired(now), expiration=meta.expiration)
        if root_doc is None:
            raise CCTError("the root chain did not verify, so key_mgr cannot be trusted")
        verify_delegation("key_mgr", doc, root_doc)
    except Unusable as exc:
        km["error"] = str(exc)
        report.fail(path, exc)
        return None
    except _REFUSED as exc:
        km["error"] = _error_text(exc)
        return None
    km["verified"] = True
    return doc


def _verify_repodata(report: VerifyReport, path: Path, km_doc: Mapping[str, Any] | None) -> None:
    try:
        data = _read(path, REPODATA_MAX_BYTES)
        unverifiable = None if km_doc is not None else "the key_mgr did not verify"
        try:
            report.packages = verify_repodata(
                data, km_doc, max_bytes=REPODATA_MAX_BYTES, workers=2, unverifiable=unverifiable
            )
        except NotJSON as exc:
            raise Unusable(f"{path}: {exc}") from None
    except Unusable as exc:
        report.fail(path, exc)
    except FormatError as exc:  # refused at the top level (not inside one record)
        report.fail(path, FormatError(f"{path}: {exc}"))
