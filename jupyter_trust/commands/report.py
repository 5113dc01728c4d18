"""Errors as the command line and the magic show them: one table (:mod:`jupyter_trust.errors`), redacted.

A :class:`~jupyter_trust.errors.TrustError` shows its own message; anything else is an internal error,
shown with its type and redacted text (there is no server log to point to) and exit code 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import Classified, Kind, classify
from ..redact import Redactor

if TYPE_CHECKING:
    from ..core import Core


def redactor_for(core: Core | None = None) -> Redactor:
    """A redactor knowing the stored token (best effort: the pattern redaction applies regardless)."""
    token = None
    try:
        if core is not None:
            token = core.tokens().read()
        else:
            from ..conda.tokens import TokenStore

            token = TokenStore().read()
    except Exception:  # noqa: S110 - reading the token failed; patterns still redact
        pass
    return Redactor([token] if token else [])


def describe(exc: BaseException, redact: Redactor) -> Classified:
    """``exc`` classified by the one table, its message and string details redacted."""
    found = classify(exc)
    if found.kind is Kind.INTERNAL and not _is_trust_error(exc):
        text = redact(str(exc)) or "no message"
        return Classified(Kind.INTERNAL, f"internal error in jupyter_trust ({type(exc).__name__}): {text}", {})
    details = {k: redact(v) if isinstance(v, str) else v for k, v in found.details.items()}
    return Classified(found.kind, redact(found.message), details)


def error_document(problem: Classified, partial: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one JSON document a failed ``--json`` command prints: partial results, ``ok: false`` and the error."""
    return {**(partial or {}), "ok": False, "error": problem.to_json()}


def _is_trust_error(exc: BaseException) -> bool:
    from ..errors import TrustError

    return isinstance(exc, TrustError)
