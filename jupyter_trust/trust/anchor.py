"""Trust-anchor discovery: explicit path, ``$JUPYTER_TRUST_ROOT``, conda's ``etc/conda``, the shipped root.

An anchor must self-verify (its own root keys, OpenPGP-form signatures). In conda's directories the
lowest-numbered ``N.root.json`` that self-verifies is the anchor; higher-numbered files there are only
*candidates*: the trust store accepts them only if they chain from the anchor (conda itself would trust the
highest file on disk unchecked).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..cct.errors import CCTError
from ..cct.jsonload import loads_strict
from ..cct.metadata import DelegatingMetadata
from ..cct.verify import self_verify_root
from ..errors import Kind, TrustError

ROOT_ENV = "JUPYTER_TRUST_ROOT"
BUILTIN_ROOT = Path(__file__).resolve().parent.parent / "data" / "anaconda-1.root.json"
MAX_ROOT_BYTES = 512 * 1024
_ROOT_FILE = re.compile(r"^([1-9][0-9]{0,8})\.root\.json$")

AnchorSource = Literal["explicit", "env", "conda", "builtin"]


class AnchorError(TrustError, ValueError):
    """The configured trust anchor cannot be used (a configuration problem: never the client's bad request)."""

    kind = Kind.UNAVAILABLE


@dataclass(frozen=True)
class Anchor:
    source: AnchorSource
    path: Path
    metadata: DelegatingMetadata
    #: higher-numbered roots found beside a conda anchor; trusted only if they chain from it
    candidates: tuple[Path, ...] = field(default=())

    @property
    def envelope(self) -> Mapping[str, Any]:
        return self.metadata.envelope

    def to_json(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "source": self.source,
            "path": str(self.path),
            "version": self.metadata.version,
            "expiration": self.metadata.expiration,
            "expired": self.metadata.is_expired(now),
        }


def load_root_file(path: Path) -> DelegatingMetadata:
    """Parse strictly and self-verify a root file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AnchorError(f"trust root {path} cannot be read: {exc.strerror or exc}") from None
    try:
        doc = loads_strict(data, max_bytes=MAX_ROOT_BYTES)
        meta = DelegatingMetadata.from_envelope(doc)
        self_verify_root(doc)
    except (CCTError, ValueError, TypeError, KeyError) as exc:
        raise AnchorError(f"trust root {path} does not verify: {exc}") from None
    return meta


def root_files(directory: Path) -> list[tuple[int, Path]]:
    try:
        entries = list(Path(directory).iterdir())
    except OSError:
        return []
    found = [(int(m.group(1)), p) for p in entries if (m := _ROOT_FILE.match(p.name)) and p.is_file()]
    return sorted(found)


def discover_anchor(
    explicit: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    conda_dirs: Sequence[Path] = (),
) -> Anchor:
    environ = os.environ if environ is None else environ
    if explicit:
        path = Path(explicit).expanduser()
        return Anchor("explicit", path, load_root_file(path))
    if environ.get(ROOT_ENV):
        path = Path(environ[ROOT_ENV]).expanduser()
        return Anchor("env", path, load_root_file(path))
    for directory in conda_dirs:
        files = root_files(directory)
        for index, (_, path) in enumerate(files):
            try:
                meta = load_root_file(path)
            except AnchorError:
                continue
            return Anchor("conda", path, meta, tuple(p for _, p in files[index + 1 :]))
    return Anchor("builtin", BUILTIN_ROOT, load_root_file(BUILTIN_ROOT))
