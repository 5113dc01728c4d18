"""Base handler: JSON errors (never a traceback), typed body parsing, owner checks, core access."""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from ..cct.errors import FormatError
from ..cct.jsonload import loads_strict
from ..core import Core
from ..errors import TrustError
from ..redact import Redactor
from ..tasks import TaskManager

MAX_BODY_BYTES = 64 * 1024
#: request documents are at most two levels deep ({"location": {"scope": ...}}); a little slack, no more
MAX_BODY_DEPTH = 8


class BadRequest(web.HTTPError):
    def __init__(self, message: str, status: int = 400, *, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(status, reason=_reason_phrase(status))
        self.message = message
        #: more members of the JSON error (``kind``, ``retry_after``, ``channel`` …)
        self.extra = dict(extra or {})


def _reason_phrase(status: int) -> str:
    from http import HTTPStatus

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
        """Turn core exceptions into 4xx JSON errors with clear, redacted messages."""
        try:
            yield
        except web.HTTPError:
            raise
        except Exception as exc:
            status = error_status(exc)
            redact = self.redactor()
            message = redact(str(exc) or type(exc).__name__)
            if status == 500:
                self.log.error("jupyter_trust: %s: %s", type(exc).__name__, message)
                message = "internal error in jupyter_trust; see the server log"
            extra: dict[str, Any] = {}
            if isinstance(exc, TrustError):
                extra = {k: redact(v) if isinstance(v, str) else v for k, v in exc.details.items()}
                extra["kind"] = exc.kind.value
            raise BadRequest(message, status, extra=extra) from None

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
        """A JSON error with a clear message; never a traceback, never a secret."""
        message = None
        extra: dict[str, Any] = {}
        exc_info = kwargs.get("exc_info")
        if exc_info:
            exc = exc_info[1]
            if isinstance(exc, BadRequest):
                message = exc.message
                extra = exc.extra
            elif isinstance(exc, web.HTTPError):
                message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
        if not message:
            message = "internal error in jupyter_trust; see the server log" if status_code >= 500 else self._reason
        try:
            message = self.redactor()(str(message))
        except Exception:
            message = "request failed"
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        if isinstance(extra.get("retry_after"), int | float):
            self.set_header("Retry-After", str(max(1, math.ceil(extra["retry_after"]))))
        self.finish(json.dumps({**extra, "message": message, "reason": self._reason}))

    def location_url(self, *parts: str) -> str:
        from jupyter_server.utils import url_escape, url_path_join

        return url_path_join(self.base_url, "jupyter-trust", *(url_escape(p) for p in parts))


def error_status(exc: BaseException) -> int:
    """The HTTP status for a core exception (by class name, so this module imports no optional core parts)."""
    from ..conda.tokens import TokenValidationError
    from ..errors import TrustError, classify
    from ..policy import PolicyLocked

    if isinstance(exc, TrustError):
        return exc.outcome.http_status
    if isinstance(exc, OSError) and classify(exc).kind.value != "internal":
        return classify(exc).outcome.http_status
    if isinstance(exc, PolicyLocked | PermissionError):
        return 403
    if isinstance(exc, TokenValidationError):
        return 502 if exc.kind == "unreachable" else 422
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"PlanChanged", "PrefixBusy"}:
        return 409
    if names & {"InstallRefused", "CCTError", "EngineError"}:
        return 422
    if names & {"PlanError", "SpecError", "PrefixNotAllowed", "PolicyError"}:
        return 400
    if "FetchError" in names:
        return 502
    if isinstance(exc, KeyError | FileNotFoundError):
        return 404
    if isinstance(exc, ValueError | TypeError):
        return 400
    return 500
