"""Redaction of secrets from any text that may leave the server (errors, logs, outputs)."""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Iterable

MASK = "<redacted>"

_PATH_TOKEN = re.compile(r"/t/[^/\s?#]+")
_QUERY_TOKEN = re.compile(r"((?:^|[?&;\s])(?:token|access_token|api_key|auth)=)[^&;\s#]+", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"((?:authorization|x-auth-token)\s*[:=]\s*)(?:(?:token|bearer|basic)\s+)?\S+", re.IGNORECASE)


def mask_token(token: str | None) -> str | None:
    """The only form of a token that is ever shown: its last four characters."""
    if not token:
        return None
    return "****" + token[-4:] if len(token) > 8 else "****"


class Redactor:
    """Removes known secret values (raw, URL-quoted, base64) and token-shaped URL/header parts."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < 4:
            return
        self._secrets.add(secret)
        self._secrets.add(urllib.parse.quote(secret, safe=""))
        self._secrets.add(urllib.parse.quote_plus(secret))
        self._secrets.add(base64.b64encode(secret.encode()).decode())

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        text = _PATH_TOKEN.sub("/t/" + MASK, text)
        text = _QUERY_TOKEN.sub(lambda m: m.group(1) + MASK, text)
        return _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    return Redactor(secrets)(text)
