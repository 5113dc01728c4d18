"""The Sigstore trust root: an admin's ``sigstore_trust_root`` / ``$JUPYTER_TRUST_SIGSTORE_ROOT`` (a
``trusted_root.json`` or a client trust config), else the public-good root pinned in this package.

Never refreshed over the network and never cached per user: what verifies is the file shown in the status,
with its date (the newest key's start of validity).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cct.jsonload import loads_strict

ROOT_ENV = "JUPYTER_TRUST_SIGSTORE_ROOT"
SHIPPED_ROOT = Path(__file__).resolve().parent.parent / "data" / "sigstore-public-good-trusted_root.json"
_CLIENT_CONFIG = "application/vnd.dev.sigstore.clienttrustconfig"
_MAX_BYTES = 4 << 20
_MAX_DEPTH = 32


class SigstoreRootError(ValueError):
    """The configured Sigstore trust root cannot be read or is not a trusted root / client trust config."""


def _newest_start(root: Mapping[str, Any]) -> str | None:
    starts: list[str] = []
    for section in ("tlogs", "ctlogs"):
        for item in root.get(section) or []:
            start = ((item.get("publicKey") or {}).get("validFor") or {}).get("start")
            if isinstance(start, str):
                starts.append(start)
    for item in root.get("certificateAuthorities") or []:
        start = (item.get("validFor") or {}).get("start")
        if isinstance(start, str):
            starts.append(start)
    return max(starts) if starts else None


@dataclass
class SigstoreRoot:
    """One trust root file. ``verifier()`` loads it once (thread-safe) and raises :class:`SigstoreRootError`."""

    path: Path
    source: str
    _verifier: Any = field(default=None, init=False, repr=False)
    _info: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _read(self) -> tuple[bytes, dict[str, Any]]:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise SigstoreRootError(f"the Sigstore trust root {self.path} cannot be read: {exc.strerror}") from None
        if len(data) > _MAX_BYTES:
            raise SigstoreRootError(f"the Sigstore trust root {self.path} is too large")
        try:
            document = loads_strict(data, max_bytes=_MAX_BYTES, max_depth=_MAX_DEPTH)
        except ValueError as exc:
            raise SigstoreRootError(f"the Sigstore trust root {self.path} is not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise SigstoreRootError(f"the Sigstore trust root {self.path} is not a JSON object")
        return data, document

    def _trusted_root_json(self, document: dict[str, Any]) -> dict[str, Any]:
        if str(document.get("mediaType", "")).startswith(_CLIENT_CONFIG):
            inner = document.get("trustedRoot")
            if not isinstance(inner, dict):
                raise SigstoreRootError(f"the client trust config {self.path} holds no trustedRoot")
            return inner
        return document

    def verifier(self) -> Any:
        with self._lock:
            if self._verifier is None:
                from sigstore.models import ClientTrustConfig, TrustedRoot
                from sigstore.verify import Verifier

                data, document = self._read()
                try:
                    if str(document.get("mediaType", "")).startswith(_CLIENT_CONFIG):
                        trusted = ClientTrustConfig.from_json(data.decode()).trusted_root
                    else:
                        trusted = TrustedRoot.from_file(str(self.path))
                    self._verifier = Verifier(trusted_root=trusted)
                except Exception as exc:  # sigstore raises several types for a malformed root
                    raise SigstoreRootError(f"the Sigstore trust root {self.path} is not usable: {exc}") from None
            return self._verifier

    def info(self) -> dict[str, Any]:
        """Source, path, date and sha256 for the status (an unreadable root reports its error instead)."""
        if self._info is None:
            try:
                data, document = self._read()
                info: dict[str, Any] = {
                    "source": self.source,
                    "path": str(self.path),
                    "date": _newest_start(self._trusted_root_json(document)),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "error": None,
                }
            except SigstoreRootError as exc:
                info = {"source": self.source, "path": str(self.path), "date": None, "sha256": None, "error": str(exc)}
            self._info = info
        return self._info


_ROOTS: dict[tuple[str, str, int, int], SigstoreRoot] = {}
_ROOTS_LOCK = threading.Lock()


def sigstore_root(configured: str | None, environ: Mapping[str, str]) -> SigstoreRoot:
    """The root in use: one loaded object per path, source and file version (a replaced file is read again)."""
    if configured:
        path, source = Path(configured), "policy (sigstore_trust_root)"
    elif environ.get(ROOT_ENV):
        path, source = Path(environ[ROOT_ENV]), f"environment ({ROOT_ENV})"
    else:
        path, source = SHIPPED_ROOT, "shipped (public-good)"
    try:
        st = path.stat()
        version = (st.st_mtime_ns, st.st_size)
    except OSError:
        version = (0, -1)
    key = (str(path), source, *version)
    with _ROOTS_LOCK:
        root = _ROOTS.get(key)
        if root is None:
            root = _ROOTS[key] = SigstoreRoot(path, source)
        return root
