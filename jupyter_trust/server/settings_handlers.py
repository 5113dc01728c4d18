"""Token and signature-verification settings: GET/PUT/DELETE token, GET/PUT verification."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..conda.condarc import CondarcLocation
from .base import BadRequest, TrustHandler

#: condarc files the REST API may write; an explicit file path is a CLI/magic feature only.
REST_SCOPES = ("user", "env", "system")
MAX_TOKEN_LENGTH = 4096


def parse_location(value: Any) -> Mapping[str, Any]:
    """A body's ``location`` object (``{"scope": ...}``, nothing else) or the DELETE ``scope`` query value."""
    if value is None:
        return {"scope": "user"}
    if isinstance(value, str):
        value = {"scope": value}
    if not isinstance(value, dict):
        raise BadRequest('\'location\' must be an object like {"scope": "user"}')
    if "path" in value:
        raise BadRequest("an explicit condarc path is only accepted by the command line and the magic")
    unknown = sorted(set(value) - {"scope"})
    if unknown:
        raise BadRequest(f"'location' accepts only 'scope', not {', '.join(repr(k[:40]) for k in unknown[:5])}")
    scope = value.get("scope", "user")
    if scope not in REST_SCOPES:
        raise BadRequest(f"'location.scope' must be one of {', '.join(REST_SCOPES)}")
    return {"scope": scope}


def body_location(body: Mapping[str, Any]) -> Any:
    """The body's ``location``: absent, or an object (a string or null is not what the schema allows)."""
    if "location" in body and not isinstance(body["location"], dict):
        raise BadRequest('\'location\' must be an object like {"scope": "user"}')
    return body.get("location")


class SettingsHandler(TrustHandler):
    def location(self, value: Any) -> CondarcLocation:
        scope = parse_location(value)["scope"]
        with self.errors():
            return CondarcLocation.resolve(
                scope,
                environ=self.core.environ,
                sys_prefix=self.core.conda.root_prefix,
                active_prefix=self.core.active_prefix,
            )


class TokenHandler(SettingsHandler):
    auth_resource = "jupyter_trust:token"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        with self.errors():
            info = self.core.tokens().info()
        self.write_json(info.to_json())

    @web.authenticated
    @authorized
    async def put(self) -> None:
        self.require_owner()
        body = self.json_body(allowed=("token", "validate", "enable_signature_verification", "location"))
        token = self.field(body, "token", str)
        if not token.strip() or len(token) > MAX_TOKEN_LENGTH:
            raise BadRequest("'token' must be a non-empty string (the token itself is never echoed back)")
        validate = self.field(body, "validate", bool, required=False, default=True)
        enable = self.field(body, "enable_signature_verification", bool, required=False, default=True)
        location = self.location(body_location(body))
        settings = self.core.settings()
        with self.errors():
            result = await asyncio.to_thread(
                settings.set_token, token, location=location, validate=validate, enable_signature_verification=enable
            )
        self.write_json(result.to_json())

    @web.authenticated
    @authorized
    async def delete(self) -> None:
        self.require_owner()
        location = self.location(self.get_query_argument("scope", "user"))
        with self.errors():
            result = await asyncio.to_thread(self.core.settings().remove_token, location=location)
        self.write_json(result.to_json())


class VerificationHandler(SettingsHandler):
    auth_resource = "jupyter_trust:verification"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        with self.errors():
            self.write_json(self.core.settings().verification())

    @web.authenticated
    @authorized
    async def put(self) -> None:
        self.require_owner()
        body = self.json_body(allowed=("enabled", "metadata_url", "location"))
        enabled = self.field(body, "enabled", bool)
        metadata_url = self.field(body, "metadata_url", str, required=False)
        if metadata_url is not None and not metadata_url.startswith(("https://", "http://")):
            raise BadRequest("'metadata_url' must be an http(s) URL")
        location = self.location(body_location(body))
        with self.errors():
            result = self.core.settings().set_verification(enabled, location=location, metadata_url=metadata_url)
        self.write_json(result.to_json())
