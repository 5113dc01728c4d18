"""A download written straight to disk and hashed as it arrives, then kept under its own sha256.

Repodata can be hundreds of MiB: holding it in memory (and again while joining chunks) is what made a plan
against a large channel cost several times the solver's memory. The file is private (0600) from creation.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from types import TracebackType

from ..fsutil import writing


class Spool:
    """``what`` names the download in the error a local write failure raises (a full disk: 507, …)."""

    def __init__(self, directory: Path, what: str, suffix: str = ".json") -> None:
        self.directory, self.what, self.suffix = directory, what, suffix
        with writing(what):
            fd, name = tempfile.mkstemp(prefix=".part-", dir=directory)  # mode 0600
        self._file = os.fdopen(fd, "wb")
        self._path: Path | None = Path(name)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        with writing(self.what):
            self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def reset(self) -> None:
        """Start over (a second request for the same document)."""
        with writing(self.what):
            self._file.seek(0)
            self._file.truncate()
        self._hash, self.size = hashlib.sha256(), 0

    def finish(self) -> None:
        """The download ended (nothing to check for plain bytes)."""

    def keep(self) -> tuple[str, Path, int]:
        """Move the bytes to ``<sha256><suffix>`` in the directory: (sha256, path, size)."""
        digest = self._hash.hexdigest()
        path = self.directory / f"{digest}{self.suffix}"
        assert self._path is not None
        with writing(self.what):
            self._file.close()
            if path.is_file() and path.stat().st_size == self.size:
                self._path.unlink()  # the same bytes are already there (and may be mapped by a solver)
            else:
                os.replace(self._path, path)
        self._path = None
        return digest, path, self.size

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._file.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
