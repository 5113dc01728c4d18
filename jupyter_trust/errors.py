"""One error family for every surface: what an error *is* is decided here, once.

Every error the core raises on purpose is a :class:`TrustError` with a :class:`Kind`. The kind alone decides the
HTTP status (REST) and the exit code (CLI; the magic shows the same message). Anything else that escapes the core is
a bug or an unexpected environment failure and is reported as ``internal`` (a redacted message, a log line), never
as a client error. OS errors from local files are classified by errno (:func:`from_os_error`), so a full disk or a
read-only home says so instead of answering a generic 500.

Exit codes: 0 ok, 1 verification failed / plan blocked / plan changed, 2 the request cannot be done as asked
(usage, input, policy, not found, busy), 3 it could not be done here and now (upstream channel, local disk,
overload, internal error).
"""

from __future__ import annotations

import enum
import errno
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Kind(str, enum.Enum):
    INVALID_INPUT = "invalid_input"
    TOO_LARGE = "too_large"
    FORBIDDEN = "forbidden"
    LOCKED = "locked"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    BUSY = "busy"
    CANCELLED = "cancelled"
    VERIFICATION_FAILED = "verification_failed"
    UNPROCESSABLE = "unprocessable"
    UNAVAILABLE = "unavailable"
    UPSTREAM = "upstream"
    UPSTREAM_TIMEOUT = "upstream_timeout"
    OVERLOADED = "overloaded"
    NO_SPACE = "no_space"
    LOCAL_DENIED = "local_denied"
    LOCAL_STATE = "local_state"
    INTERNAL = "internal"


@dataclass(frozen=True)
class Outcome:
    http_status: int
    exit_code: int
    summary: str


EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3

#: The one table: kind -> HTTP status, exit code, what it means (docs/architecture.md and OpenAPI repeat it).
OUTCOMES: Mapping[Kind, Outcome] = {
    Kind.INVALID_INPUT: Outcome(400, EXIT_USAGE, "the request or an input file is malformed"),
    Kind.TOO_LARGE: Outcome(413, EXIT_USAGE, "the request body is too large"),
    Kind.FORBIDDEN: Outcome(403, EXIT_USAGE, "refused: not the owner, or the policy does not allow it"),
    Kind.LOCKED: Outcome(403, EXIT_USAGE, "the administrator locked this setting"),
    Kind.NOT_FOUND: Outcome(404, EXIT_USAGE, "no such plan, task or environment"),
    Kind.CONFLICT: Outcome(409, EXIT_FAILED, "what the plan was verified from changed: plan again"),
    Kind.BUSY: Outcome(409, EXIT_USAGE, "another install into the same environment is running"),
    Kind.CANCELLED: Outcome(409, EXIT_FAILED, "the install was cancelled before anything was linked"),
    Kind.VERIFICATION_FAILED: Outcome(422, EXIT_FAILED, "verification failed or the plan is blocked"),
    Kind.UNPROCESSABLE: Outcome(422, EXIT_USAGE, "well-formed but cannot be done: token rejected, no solution"),
    Kind.UNAVAILABLE: Outcome(422, EXIT_USAGE, "a configured tool or setting cannot be used here"),
    Kind.UPSTREAM: Outcome(502, EXIT_ERROR, "a channel or token server failed or answered badly"),
    Kind.UPSTREAM_TIMEOUT: Outcome(504, EXIT_ERROR, "a channel or token server did not answer in time"),
    Kind.OVERLOADED: Outcome(503, EXIT_ERROR, "too many plans at once: retry later"),
    Kind.NO_SPACE: Outcome(507, EXIT_ERROR, "no space left on a local disk"),
    Kind.LOCAL_DENIED: Outcome(403, EXIT_ERROR, "a local file or directory cannot be written (read-only, permissions)"),
    Kind.LOCAL_STATE: Outcome(409, EXIT_ERROR, "a local file is not what it should be (a directory, corrupt)"),
    Kind.INTERNAL: Outcome(500, EXIT_ERROR, "internal error in jupyter_trust; see the log"),
}

INTERNAL_MESSAGE = "internal error in jupyter_trust; see the server log"


class TrustError(Exception):
    """An error the core raises on purpose. Its message is safe to show (callers redact secrets before raising).

    Subclasses set the class attribute ``kind``; a single raise may override it (``TrustError(msg, kind=...)``).
    ``details`` carries machine-readable extras for the JSON error (e.g. ``retry_after`` seconds, ``channel``).
    """

    kind: Kind = Kind.INTERNAL

    def __init__(self, message: str, *, kind: Kind | None = None, **details: Any) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        self.details: dict[str, Any] = details

    @property
    def outcome(self) -> Outcome:
        return OUTCOMES[self.kind]


class InvalidInput(TrustError):
    kind = Kind.INVALID_INPUT


class InvalidValue(InvalidInput, ValueError):
    """An invalid argument, for callers that still catch ``ValueError``."""


class Forbidden(TrustError):
    kind = Kind.FORBIDDEN


class NotFoundError(TrustError):
    kind = Kind.NOT_FOUND


class VerificationFailed(TrustError):
    kind = Kind.VERIFICATION_FAILED


class UpstreamError(TrustError):
    kind = Kind.UPSTREAM


class UpstreamTimeout(UpstreamError):
    kind = Kind.UPSTREAM_TIMEOUT


class Overloaded(TrustError):
    kind = Kind.OVERLOADED


class LocalError(TrustError):
    kind = Kind.LOCAL_STATE


_ERRNO_KINDS = {
    errno.ENOSPC: Kind.NO_SPACE,
    errno.EDQUOT: Kind.NO_SPACE,
    errno.EROFS: Kind.LOCAL_DENIED,
    errno.EACCES: Kind.LOCAL_DENIED,
    errno.EPERM: Kind.LOCAL_DENIED,
}


def from_os_error(exc: OSError, what: str) -> LocalError:
    """A local file failure as a :class:`LocalError` whose message names ``what`` and the cause (never a secret)."""
    kind = _ERRNO_KINDS.get(exc.errno or 0, Kind.LOCAL_STATE)
    cause = exc.strerror or type(exc).__name__
    return LocalError(f"{what}: {cause}", kind=kind, errno=errno.errorcode.get(exc.errno or 0))


@dataclass(frozen=True)
class Classified:
    kind: Kind
    message: str
    details: Mapping[str, Any]

    @property
    def outcome(self) -> Outcome:
        return OUTCOMES[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "message": self.message, **dict(self.details)}


def classify(exc: BaseException) -> Classified:
    """The kind and showable message of any exception. Unredacted: every surface redacts before showing."""
    if isinstance(exc, TrustError):
        return Classified(exc.kind, str(exc) or exc.kind.value, exc.details)
    if isinstance(exc, OSError) and exc.errno in _ERRNO_KINDS:
        local = from_os_error(exc, "a local file operation failed")
        return Classified(local.kind, str(local), local.details)
    return Classified(Kind.INTERNAL, INTERNAL_MESSAGE, {})
