"""Filesystem helpers shared by the core: atomic private writes, symlink-safe reads, file locks."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import Kind, TrustError

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


class UnsafeFileError(TrustError, OSError):
    """A file we were asked to read or replace is a symlink, not ours, or readable by others."""

    kind = Kind.LOCAL_STATE


@contextlib.contextmanager
def writing(what: str) -> Iterator[None]:
    """Local write failures as :class:`~jupyter_trust.errors.LocalError`: a full disk (507), a read-only or
    forbidden place (403), a directory where a file belongs (409), each naming ``what`` and the cause."""
    from .errors import Kind, LocalError, from_os_error

    try:
        yield
    except OSError as exc:
        if exc.errno is None:  # ours (UnsafeFileError): its message already says what is wrong
            raise LocalError(f"{what}: {exc}", kind=Kind.LOCAL_STATE) from None
        raise from_os_error(exc, what) from None


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make sure the leaf is 0700 and owned by us."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeFileError(f"{path} is a symbolic link")
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise UnsafeFileError(f"{path} is owned by another user")
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def atomic_write(path: Path, data: bytes, *, mode: int = PRIVATE_FILE_MODE, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same directory, fsync, rename.

    The temporary file is created with ``mode`` from the start (never world-readable, not even
    briefly) and the rename replaces a symlink at ``path`` rather than writing through it.
    ``durable=False`` skips the fsync, for caches whose content is checked by digest whenever it is used
    (a file lost to a power cut is downloaded again; a torn one fails its digest check).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_private(path: Path, *, max_bytes: int = 1 << 20) -> bytes:
    """Read a secret file without following symlinks; refuse files others can read or that are not ours."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if Path(path).is_symlink():
            raise UnsafeFileError(f"{path} is a symbolic link; refusing to read it") from exc
        raise
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(f"{path} is not a regular file")
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise UnsafeFileError(f"{path} is owned by another user")
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise UnsafeFileError(
                f"{path} is readable by other users (mode {stat.S_IMODE(st.st_mode):o}); expected 600"
            )
        return fh.read(max_bytes)


@contextlib.contextmanager
def file_lock(path: Path, *, timeout: float = 30.0) -> Iterator[None]:
    """An exclusive cross-process lock (fcntl on POSIX), released when the holder exits or dies."""
    import filelock  # on first use: its import costs a cold command line more than the lock itself

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(path), timeout=timeout, mode=PRIVATE_FILE_MODE):
        yield
