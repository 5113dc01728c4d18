"""S1–S4, S15 of the security checklist: authentication, authorization, XSRF, Host, malformed bodies."""

from __future__ import annotations

import json
import re
import urllib.parse
import warnings

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from jupyter_trust.server.routes import ROUTES

PLAN_ID = "0" * 64
TASK_ID = "0" * 32

# Every route x method the extension serves, with a syntactically valid path.
ENDPOINTS = [
    ("GET", "status"),
    ("GET", "token"),
    ("PUT", "token"),
    ("DELETE", "token"),
    ("GET", "verification"),
    ("PUT", "verification"),
    ("GET", "environments"),
    ("GET", "environments/audit"),
    ("POST", "plans"),
    ("GET", f"plans/{PLAN_ID}"),
    ("GET", "tasks"),
    ("POST", "tasks"),
    ("GET", f"tasks/{TASK_ID}"),
    ("DELETE", f"tasks/{TASK_ID}"),
]
WRITE_ENDPOINTS = [(m, p) for m, p in ENDPOINTS if m != "GET"]


def _body(method: str) -> str | None:
    return "{}" if method in ("POST", "PUT") else None


def test_endpoint_table_covers_every_route() -> None:
    covered = {re.sub(r"[0-9]{32,64}", "([^/]+)", path) for _, path in ENDPOINTS}
    routes = {pattern.removeprefix("/jupyter-trust/") for pattern, _ in ROUTES}
    assert covered == routes


def test_every_handler_method_is_authenticated_and_authorized() -> None:
    for _pattern, handler in ROUTES:
        assert handler.auth_resource.startswith("jupyter_trust:"), handler
        for verb in ("get", "put", "post", "delete", "patch"):
            method = handler.__dict__.get(verb)
            if method is None:
                continue
            # @web.authenticated wraps @authorized wraps the method: two levels of functools.wraps.
            assert hasattr(method, "__wrapped__"), f"{handler.__name__}.{verb} is not decorated"
            assert hasattr(method.__wrapped__, "__wrapped__"), f"{handler.__name__}.{verb} lacks @authorized"


async def test_no_unauthenticated_endpoint_warning(jp_configurable_serverapp, jp_server_config) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jp_configurable_serverapp(config=jp_server_config)
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "jupyter-trust" in m or "jupyter_trust" in m], messages


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_unauthenticated_requests_are_refused(jp_serverapp, http_server_client, jp_base_url, method, path):
    url = f"{jp_base_url}jupyter-trust/{path}"
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(url, method=method, body=_body(method), allow_nonstandard_methods=True)
    assert info.value.code == 403  # never 200 and never a redirect to a login page


class DenyAll(Authorizer):
    def is_authorized(self, handler, user, action, resource) -> bool:
        return False


class DenyWrites(Authorizer):
    seen: list[tuple[str, str]] = []

    def is_authorized(self, handler, user, action, resource) -> bool:
        DenyWrites.seen.append((action, resource))
        return action == "read"


@pytest.mark.server_config({"ServerApp": {"authorizer_class": DenyAll}})
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_denying_authorizer_gives_403(jp_fetch, method, path):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "jupyter-trust", *path.split("/"), method=method, body=_body(method), allow_nonstandard_methods=True
        )
    assert info.value.code == 403


@pytest.mark.server_config({"ServerApp": {"authorizer_class": DenyWrites}})
@pytest.mark.parametrize(("method", "path"), WRITE_ENDPOINTS)
async def test_writes_are_write_actions_on_prefixed_resources(jp_fetch, method, path):
    DenyWrites.seen.clear()
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "jupyter-trust", *path.split("/"), method=method, body=_body(method), allow_nonstandard_methods=True
        )
    assert info.value.code == 403
    assert DenyWrites.seen and DenyWrites.seen[-1][0] == "write"
    assert DenyWrites.seen[-1][1].startswith("jupyter_trust:")


@pytest.mark.server_config({"ServerApp": {"authorizer_class": DenyWrites}})
async def test_reads_are_read_actions(jp_fetch):
    DenyWrites.seen.clear()
    response = await jp_fetch("jupyter-trust", "status")
    assert response.code == 200
    assert ("read", "jupyter_trust:status") in DenyWrites.seen


async def _cookie_login(client, base_url: str, token: str) -> tuple[str, str]:
    """Log in through the login form; returns (cookie header, xsrf token)."""
    login = f"{base_url}login"
    first = await client.fetch(login, raise_error=False)
    cookies = {}
    for header in first.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    xsrf = cookies["_xsrf"]
    body = urllib.parse.urlencode({"password": token, "_xsrf": xsrf})
    second = await client.fetch(
        login,
        method="POST",
        body=body,
        follow_redirects=False,
        raise_error=False,
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
    )
    for header in second.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    assert any(name.startswith("username-") for name in cookies), "login did not set a session cookie"
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), xsrf


async def test_cookie_writes_need_xsrf(jp_serverapp, http_server_client, jp_base_url):
    cookie, xsrf = await _cookie_login(http_server_client, jp_base_url, jp_serverapp.identity_provider.token)
    url = f"{jp_base_url}jupyter-trust/verification"
    body = json.dumps({"enabled": True})
    # A cookie-authenticated GET works.
    ok = await http_server_client.fetch(url, headers={"Cookie": cookie})
    assert ok.code == 200
    # A cookie-authenticated write without the XSRF header is refused on every write route.
    for method, path in WRITE_ENDPOINTS:
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(
                f"{jp_base_url}jupyter-trust/{path}",
                method=method,
                body=_body(method),
                headers={"Cookie": cookie},
                allow_nonstandard_methods=True,
            )
        assert info.value.code == 403, (method, path)
    # With it, the write goes through.
    done = await http_server_client.fetch(url, method="PUT", body=body, headers={"Cookie": cookie, "X-XSRFToken": xsrf})
    assert done.code == 200
    assert json.loads(done.body)["verification"]["enabled"] is True
    # A foreign Origin is refused even with the XSRF header.
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(
            url,
            method="PUT",
            body=body,
            headers={"Cookie": cookie, "X-XSRFToken": xsrf, "Origin": "http://evil.example"},
        )
    assert info.value.code == 404


async def test_foreign_host_header_is_refused(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "status", headers={"Host": "evil.example"})
    assert info.value.code == 403


MALFORMED = [
    ("PUT", "token", "not json"),
    ("PUT", "token", "[]"),
    ("PUT", "token", "{}"),
    ("PUT", "token", json.dumps({"token": 42})),
    ("PUT", "token", json.dumps({"token": ""})),
    ("PUT", "token", json.dumps({"token": "abc", "validate": "yes"})),
    ("PUT", "token", json.dumps({"token": "abc", "location": {"scope": "../../etc"}})),
    ("PUT", "token", json.dumps({"token": "abc", "location": {"scope": "file", "path": "/tmp/x"}})),
    ("PUT", "verification", "{"),
    ("PUT", "verification", json.dumps({"enabled": "true"})),
    ("PUT", "verification", json.dumps({"enabled": True, "metadata_url": "file:///etc/passwd"})),
    ("POST", "plans", "null"),
    ("POST", "plans", json.dumps({"specs": "numpy", "prefix": "base"})),
    ("POST", "plans", json.dumps({"specs": [], "prefix": "base"})),
    ("POST", "plans", json.dumps({"specs": [1], "prefix": "base"})),
    ("POST", "plans", json.dumps({"specs": ["numpy"]})),
    ("POST", "plans", json.dumps({"specs": ["x"] * 101, "prefix": "base"})),
    ("POST", "tasks", json.dumps({"plan_id": "../../etc/passwd"})),
    ("POST", "tasks", json.dumps({"plan_id": "A" * 64})),
    ("POST", "tasks", json.dumps({"plan_id": PLAN_ID, "confirm_unsigned": "yes"})),
    ("POST", "tasks", "x" * (70 * 1024)),
]


@pytest.mark.parametrize(("method", "path", "body"), MALFORMED)
async def test_malformed_bodies_get_4xx_json(jp_fetch, method, path, body):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", path, method=method, body=body)
    assert 400 <= info.value.code < 500
    error = json.loads(info.value.response.body)
    assert error["message"] and "Traceback" not in error["message"]


@pytest.mark.parametrize("path", ["plans/..%2F..%2Fetc", "plans/" + "g" * 64, "tasks/%2e%2e", "tasks/" + "Z" * 32])
async def test_bad_ids_are_refused(jp_fetch, path):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", *path.split("/"))
    assert info.value.code in (400, 404)
    assert "message" in json.loads(info.value.response.body)


async def test_unknown_plan_and_task_are_404(jp_fetch):
    for path in (f"plans/{PLAN_ID}", f"tasks/{TASK_ID}"):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("jupyter-trust", *path.split("/"))
        assert info.value.code == 404
