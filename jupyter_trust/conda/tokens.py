"""The Anaconda token, stored where conda reads it (the binstar token directory), never shown.

Compatible with conda and conda-token: ``$BINSTAR_CONFIG_DIR/data`` or the user config dir "binstar", file
name ``quote_plus(url) + ".token"``, raw token with no newline, mode 0600. An administrator may supply the
token instead, from an environment variable or a mounted secret file (policy ``token_env_var`` /
``token_file``); that token wins over the user's file.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..childenv import declare_secret_variable
from ..errors import InvalidValue, Kind, TrustError
from ..fetch import Fetcher, FetchError
from ..fsutil import UnsafeFileError, atomic_write, read_private, writing
from ..policy import Policy
from ..redact import Redactor, mask_token
from .defaults import DEFAULT_REPO_URL

log = logging.getLogger(__name__)

REPO_URL_ENV = "CONDA_TOKEN_REPO_URL"
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+=:-]{4,4096}")
VALIDATION_FAILED = "The token could not be validated. Please check that you have typed it correctly."


def repo_url(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    url = environ.get(REPO_URL_ENV) or DEFAULT_REPO_URL
    return url if url.endswith("/") else url + "/"


def token_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    if environ.get("BINSTAR_CONFIG_DIR"):
        return Path(environ["BINSTAR_CONFIG_DIR"]) / "data"
    home = Path(environ.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "binstar"
    if os.name == "nt":
        local = environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "ContinuumIO" / "binstar"
    xdg = environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else home / ".config") / "binstar"


def token_path(url: str, environ: Mapping[str, str] | None = None) -> Path:
    return token_dir(environ) / (urllib.parse.quote_plus(url) + ".token")


def check_token_syntax(token: str) -> str:
    token = token.strip()
    if not _TOKEN_CHARS.fullmatch(token):
        raise InvalidValue(
            "that does not look like an access token (letters, digits and - . _ ~ + = : only, 4 to 4096 characters)"
        )
    return token


def authenticated_url(url: str, token: str | None, *, repo_url: str) -> str:
    """conda's classic ``/t/<token>/`` insertion for URLs under the token's repository (never shown to users)."""
    if not token:
        return url
    target, repo = urllib.parse.urlsplit(url), urllib.parse.urlsplit(repo_url)
    if (target.scheme.lower(), target.netloc.lower()) != (repo.scheme.lower(), repo.netloc.lower()):
        return url
    # conda's add_binstar_token: the stored repository URL (with its trailing slash) must prefix the URL.
    repo_path = repo.path if repo.path.endswith("/") else repo.path + "/"
    if not (target.path + "/").startswith(repo_path):
        return url
    if target.path.startswith("/t/"):
        return url
    return urllib.parse.urlunsplit((target.scheme, target.netloc, f"/t/{token}{target.path}", target.query, ""))


_TOKEN_SEGMENT = re.compile(r"^/t/[^/]*(?=/|$)")


def token_free_url(url: str) -> str:
    """``url`` without conda's ``/t/<token>`` path segment and without user info (what may be shown or passed on)."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, _TOKEN_SEGMENT.sub("", parts.path), parts.query, ""))


@dataclass(frozen=True)
class TokenInfo:
    present: bool
    masked: str | None
    source: Literal["file", "env", "secret_file"] | None
    location: str | None
    repo_url: str
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "masked": self.masked,
            "source": self.source,
            "location": self.location,
            "repo_url": self.repo_url,
            "error": self.error,
        }


class TokenValidationError(TrustError):
    """The validation request failed: the repository ``rejected`` the token, or was ``unreachable``."""

    def __init__(self, message: str, failure: Literal["rejected", "unreachable"]) -> None:
        super().__init__(message, kind=Kind.UPSTREAM if failure == "unreachable" else Kind.UNPROCESSABLE)
        self.failure = failure


class TokenStore:
    def __init__(self, *, environ: Mapping[str, str] | None = None, policy: Policy | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.policy = policy or Policy()
        self.repo_url = repo_url(self.environ)
        self.path = token_path(self.repo_url, self.environ)
        # The admin's variable may have any name: child processes (solver, installer) must not inherit it.
        declare_secret_variable(self.policy.token_env_var)

    def _admin(self) -> tuple[str | None, Literal["env", "secret_file"] | None, str | None, str | None]:
        """The administrator's token: ``(token, source, location, error)``; an error means *no* token (fail closed)."""
        var = self.policy.token_env_var
        if var and self.environ.get(var):
            return _admin_token(self.environ[var], "env", f"${var}")
        file = self.policy.token_file
        if file:
            try:
                raw = read_private(Path(file), max_bytes=8192).decode()
            except (OSError, UnicodeDecodeError) as exc:
                return None, "secret_file", file, f"the admin token file cannot be used: {_os_reason(exc)}"
            return _admin_token(raw, "secret_file", file)
        return None, None, None, None

    def _user(self) -> tuple[str | None, str | None]:
        path = self.path
        if path.is_symlink():
            return None, f"{path} is a symbolic link; refusing to read it (replace it with `token set`)"
        if not path.exists():
            return None, None
        try:
            st = path.stat()
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
                # Ours and a regular file: repair the permissions rather than refuse, and say so.
                log.warning(
                    "%s was readable by other users (mode %o); changed it to 600", path, stat.S_IMODE(st.st_mode)
                )
                os.chmod(path, 0o600)
            return read_private(path, max_bytes=8192).decode().strip() or None, None
        except (OSError, UnicodeDecodeError) as exc:
            return None, f"the token file cannot be used: {_os_reason(exc)}"

    def admin_location(self) -> tuple[str, str] | None:
        """``(policy setting, location)`` when the administrator supplies the token; users cannot change it then."""
        _, source, location, _ = self._admin()
        if source is None or location is None:
            return None
        return ("token_env_var" if source == "env" else "token_file"), location

    def read(self) -> str | None:
        """The secret itself, for code that authenticates channel requests. Never show it."""
        token, source, _, _ = self._admin()
        if source is not None:
            return token  # an administrator's source is configured: never fall back to another token
        return self._user()[0]

    def info(self) -> TokenInfo:
        token, source, location, error = self._admin()
        if source is not None:
            return TokenInfo(bool(token), mask_token(token), source, location, self.repo_url, error)
        user, error = self._user()
        return TokenInfo(
            bool(user),
            mask_token(user),
            "file" if user else None,
            str(self.path) if user else None,
            self.repo_url,
            error,
        )

    def check_writable(self) -> None:
        """Refuse a token directory another user could tamper with (raise :class:`UnsafeTokenLocation`)."""
        directory = self.path.parent
        if not (directory.exists() or directory.is_symlink()):
            return  # we create it ourselves, 0700
        try:
            st = os.stat(directory)  # a symlinked directory (dotfiles) is judged by what it points to
        except OSError as exc:
            raise UnsafeTokenLocation(f"{directory} cannot be used: {_os_reason(exc)}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise UnsafeTokenLocation(f"{directory} is not a directory; the token cannot be stored there")
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise UnsafeTokenLocation(f"{directory} belongs to another user; the token is not stored there")
        if stat.S_IMODE(st.st_mode) & 0o002:
            raise UnsafeTokenLocation(
                f"{directory} is writable by every user (mode {stat.S_IMODE(st.st_mode):o}); the token is not "
                "stored there"
            )

    def write(self, token: str) -> Path:
        """Store the token (0600, atomic). A symlink at the token path is replaced, never written through."""
        token = check_token_syntax(token)
        self.check_writable()
        if self.path.is_symlink():
            log.warning("%s was a symbolic link; replaced it with a private file", self.path)
        with writing(f"the token file {self.path} cannot be written"):
            if not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
            atomic_write(self.path, token.encode())  # os.replace swaps a symlink itself, never its target
        return self.path

    def remove(self) -> bool:
        if self.path.is_symlink() or self.path.exists():
            self.path.unlink()
            return True
        return False


class UnsafeTokenLocation(TrustError, ValueError):
    """The token directory could be read or changed by someone else: nothing is written."""

    kind = Kind.LOCAL_STATE


def _admin_token(
    raw: str, source: Literal["env", "secret_file"], location: str
) -> tuple[str | None, Literal["env", "secret_file"], str, str | None]:
    try:
        return check_token_syntax(raw), source, location, None
    except ValueError:
        return None, source, location, "the administrator-supplied token is malformed; it is not used"


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, UnsafeFileError):
        return str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


def validate_token(token: str, *, fetcher: Fetcher, environ: Mapping[str, str] | None = None) -> None:
    """One HEAD request for ``main/noarch/repodata.json`` with the token, as conda-token validates."""
    base = repo_url(environ)
    url = authenticated_url(base + "main/noarch/repodata.json", token, repo_url=base)
    redact = Redactor([token])
    try:
        status = fetcher.head(url)
    except FetchError as exc:
        raise TokenValidationError(
            f"the token could not be validated: the repository could not be reached ({redact(str(exc))})", "unreachable"
        ) from None
    if status != 200:
        raise TokenValidationError(f"{VALIDATION_FAILED} (HTTP {status})", "rejected")
