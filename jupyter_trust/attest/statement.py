"""CEP 27 publish-attestation statements: what a verified DSSE payload must say about the package."""

from __future__ import annotations

from ..cct.errors import FormatError
from ..cct.jsonload import loads_strict

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://schemas.conda.org/attestations-publish-1.schema.json"


class StatementError(ValueError):
    """The signed statement is not a CEP 27 publish attestation for this exact file."""


def check_statement(payload_type: str, payload: bytes, filename: str, sha256: str) -> str | None:
    """Check a verified payload against the package; return the statement's ``targetChannel`` (or None)."""
    if payload_type != PAYLOAD_TYPE:
        raise StatementError(f"the envelope's payload type is {payload_type!r}, not an in-toto statement")
    try:
        statement = loads_strict(payload, max_bytes=1 << 20, max_depth=16)
    except FormatError as exc:
        raise StatementError(f"the statement is not valid JSON: {exc}") from None
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise StatementError("the payload is not an in-toto Statement v1")
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise StatementError(
            f"the predicate type {statement.get('predicateType')!r} is not a CEP 27 publish attestation"
        )
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        count = len(subjects) if isinstance(subjects, list) else 0
        raise StatementError(f"the statement has {count} subjects; a publish attestation has exactly one")
    subject = subjects[0]
    if subject.get("name") != filename:
        raise StatementError(f"the statement is for {subject.get('name')!r}, not {filename}")
    digest = subject.get("digest")
    if not isinstance(digest, dict) or digest.get("sha256") != sha256:
        raise StatementError(f"the statement's sha256 for {filename} differs from the record's")
    predicate = statement.get("predicate")
    if predicate is None:
        return None
    if not isinstance(predicate, dict):
        raise StatementError("the statement's predicate is neither null nor an object")
    target = predicate.get("targetChannel")
    if target is not None and not isinstance(target, str):
        raise StatementError("the statement's targetChannel is not a string")
    return target
