"""Base handler: JSON errors (never a traceback), typed body parsing, owner checks, core access.

Every error answer comes from :func:`jupyter_trust.errors.classify` and its one table: the body is
``{"message", "reason", "kind", ...details}`` and the status is the kind's. Anything that is not a
:class:`~jupyter_trust.errors.TrustError` is a bug: 500, a redacted message and one log line.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import traceback
from collections.abc import Collection, Iterator, Mapping
from http import HTTPStatus
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from ..cct.errors import FormatError
from ..cct.jsonload import loads_strict
from ..core import Core
from ..errors import INTERNAL_MESSAGE, OUTCOMES, Classified, Kind, classify
from ..redact import Redactor
from ..tasks import TaskManager

MAX_BODY_BYTES = 64 * 1024
#: request documents are at most two levels deep ({"location": {"scope": ...}}); a little slack, no more
MAX_BODY_DEPTH = 8


#: the kind of an error the web framework raises itself (405, a 403 from the authorizer, a 404 route)
_FRAMEWORK_KINDS = {403: Kind.FORBIDDEN, 404: Kind.NOT_FOUND, 409: Kind.CONFLICT, 413: Kind.TOO_LARGE}


def kind_for_status(status: int) -> Kind:
    if status in _FRAMEWORK_KINDS:
        return _FRAMEWORK_KINDS[status]
    return Kind.INTERNAL if status >= 500 else Kind.INVALID_INPUT


class BadRequest(web.HTTPError):
    """A request the handler refuses before reaching the core. Prefer raising a
    :class:`~jupyter_trust.errors.TrustError`; this stays for checks that only have a status at hand."""

    def __init__(self, message: str, status: int = 400, kind: Kind | None = None, **details: Any) -> None:
        super().__init__(status, reason=_reason_phrase(status))
        self.message = message
        self.kind = kind or kind_for_status(status)
        self.details = details


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class TrustHandler(ExtensionHandlerMixin, APIHandler):
    """Every jupyter_trust handler. Subclasses set ``auth_resource`` and decorate each verb with
    ``@web.authenticated`` (outside) and ``@authorized`` (inside)."""

    auth_resource = "jupyter_trust"

    @property
    def core(self) -> Core:
        return self.settings["jupyter_trust_core"]

    @property
    def tasks(self) -> TaskManager:
        return self.settings["jupyter_trust_tasks"]

    def redactor(self) -> Redactor:
        token = self.core.tokens().read()
        return Redactor([token] if token else [])

    @property
    def username(self) -> str | None:
        """The Hub user name; None on a single-user server (token users there get random names)."""
        if not os.environ.get("JUPYTERHUB_USER"):
            return None
        user = self.current_user
        return getattr(user, "username", None) if user else None

    def require_owner(self) -> None:
        """Under JupyterHub, only the server's owner may touch secrets (shared users reach every route)."""
        owner = os.environ.get("JUPYTERHUB_USER")
        if owner and self.username != owner:
            raise BadRequest(f"only the owner of this server ({owner}) may change its token or settings", 403)

    def json_body(self, allowed: Collection[str] | None = None) -> Mapping[str, Any]:
        """The body as a JSON object, parsed strictly (duplicate keys, NaN, over-deep nesting refused);
        ``allowed``: the only property names the schema permits (``additionalProperties: false``)."""
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise BadRequest(f"request body is larger than {MAX_BODY_BYTES} bytes", 413)
        if not raw.strip():
            raise BadRequest("request body must be a JSON object")
        try:
            body = loads_strict(raw, max_bytes=MAX_BODY_BYTES, max_depth=MAX_BODY_DEPTH)
        except FormatError as exc:
            raise BadRequest(f"request body is not acceptable JSON: {exc}") from None
        if not isinstance(body, dict):
            raise BadRequest("request body must be a JSON object")
        if allowed is not None:
            unknown = sorted(set(body) - set(allowed))
            if unknown:
                shown = ", ".join(repr(k[:40]) for k in unknown[:5])
                raise BadRequest(f"unknown properties in the request body: {shown}; allowed: {', '.join(allowed)}")
        return body

    @staticmethod
    def field(
        body: Mapping[str, Any], name: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None
    ) -> Any:
        if name not in body:
            if required:
                raise BadRequest(f"'{name}' is required")
            return default
        value = body[name]
        if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise BadRequest(f"'{name}' has the wrong type")
        if not isinstance(value, kind):
            raise BadRequest(f"'{name}' has the wrong type")
        return value

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Core exceptions as JSON errors (:meth:`write_error` does the same for anything raised outside)."""
        try:
            yield
        except web.HTTPError:
            raise
        except Exception as exc:
            problem = self.problem(exc)
            raise BadRequest(problem.message, problem.outcome.http_status, problem.kind, **problem.details) from None

    def problem(self, exc: BaseException) -> Classified:
        """What ``exc`` is, redacted; an internal error is logged once (type, redacted text and traceback)."""
        redact = self._safe_redactor()
        if isinstance(exc, BadRequest):
            found = Classified(exc.kind, exc.message, exc.details)
        elif isinstance(exc, web.HTTPError):
            text = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
            found = Classified(kind_for_status(exc.status_code), text or exc.reason or self._reason, {})
        else:
            found = classify(exc)
        if found.kind is Kind.INTERNAL and not isinstance(exc, web.HTTPError):
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.log.error(
                "jupyter_trust: internal error on %s %s: %s", self.request.method, self.request.path, redact(detail)
            )
            return Classified(Kind.INTERNAL, INTERNAL_MESSAGE, {})
        details = {k: redact(v) if isinstance(v, str) else v for k, v in found.details.items()}
        return Classified(found.kind, redact(str(found.message)), details)

    def _safe_redactor(self) -> Redactor:
        try:
            return self.redactor()
        except Exception:  # reading the token failed: the pattern redaction still applies
            return Redactor()

    def bool_query(self, name: str, default: bool = False) -> bool:
        """A boolean query parameter: ``true``/``false`` (or ``1``/``0``); anything else is a 400."""
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        value = _BOOLEANS.get(raw.lower())
        if value is None:
            raise BadRequest(f"'{name}' must be true or false")
        return value

    def allowed_methods(self) -> list[str]:
        """The HTTP methods this route implements (for ``Allow`` on a 405)."""
        own = [
            m
            for m in ("GET", "PUT", "POST", "DELETE")
            if getattr(type(self), m.lower()) is not getattr(web.RequestHandler, m.lower())
        ]
        return own

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A JSON error with a clear message and its kind; never a traceback, never a secret."""
        exc_info = kwargs.get("exc_info")
        if exc_info and exc_info[1] is not None:
            problem = self.problem(exc_info[1])
            if not isinstance(exc_info[1], web.HTTPError):
                self.set_status(problem.outcome.http_status)
        else:
            kind = kind_for_status(status_code)
            problem = Classified(kind, INTERNAL_MESSAGE if kind is Kind.INTERNAL else self._reason, {})
        retry_after = problem.details.get("retry_after")
        if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
            self.set_header("Retry-After", str(max(1, math.ceil(retry_after))))
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(
            json.dumps(
                {**problem.details, "message": problem.message, "reason": self._reason, "kind": problem.kind.value}
            )
        )

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """A TrustError is an answer, not a crash: no traceback (internal errors are logged by :meth:`problem`)."""
        if isinstance(value, web.HTTPError):
            super().log_exception(typ, value, tb)
        elif value is not None and classify(value).kind is not Kind.INTERNAL:
            self.log.info(
                "jupyter_trust: %s %s: %s", self.request.method, self.request.path, classify(value).kind.value
            )

    def location_url(self, *parts: str) -> str:
        from jupyter_server.utils import url_escape, url_path_join

        return url_path_join(self.base_url, "jupyter-trust", *(url_escape(p) for p in parts))


def error_status(exc: BaseException) -> int:
    """The HTTP status for any exception, from the one table (500 for anything not a TrustError)."""
    return OUTCOMES[classify(exc).kind].http_status
