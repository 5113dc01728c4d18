"""Requests as docs/openapi.yaml describes them, and nothing else: strict bodies, booleans, 405 with Allow."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

PLAN_ID = "0" * 64


async def refused(jp_fetch, method: str, path: str, body: str | None = None, **kwargs) -> tuple[int, dict, dict]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", *path.split("/"), method=method, body=body, **kwargs)
    response = info.value.response
    assert response.headers["Content-Type"].startswith("application/json")
    document = json.loads(response.body)
    assert "Traceback" not in document["message"]
    return info.value.code, document, dict(response.headers)


WRITES = [
    ("POST", "plans"),
    ("POST", "tasks"),
    ("PUT", "token"),
    ("PUT", "verification"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("opener", ["[", '{"a":'])
async def test_deeply_nested_bodies_are_a_400_not_a_recursion_error(jp_fetch, method, path, opener):
    body = opener * 60_000 if opener == "[" else opener * 9_000 + "1" + "}" * 9_000
    assert len(body) < 64 * 1024  # under the body size cap: the depth limit must answer, not the size limit
    code, document, _ = await refused(jp_fetch, method, path, body)
    assert code == 400 and "nested deeper" in document["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "plans", '{"specs": ["a"], "prefix": "x", "prefix": "/elsewhere"}'),
        ("POST", "tasks", f'{{"plan_id": "{PLAN_ID}", "plan_id": "{"1" * 64}"}}'),
        ("PUT", "token", '{"token": "abcdefgh12345678", "validate": false, "validate": true}'),
        ("PUT", "verification", '{"enabled": false, "enabled": true}'),
    ],
)
async def test_duplicate_keys_are_refused(jp_fetch, method, path, body):
    code, document, _ = await refused(jp_fetch, method, path, body)
    assert code == 400 and "duplicate JSON key" in document["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "plans", {"specs": ["a"], "prefix": "x", "channel": "elsewhere"}),
        ("POST", "plans", {"specs": ["a"], "environment": "x"}),  # an old undocumented alias
        ("POST", "tasks", {"plan_id": PLAN_ID, "force": True}),
        ("PUT", "token", {"token": "abcdefgh12345678", "validate": False, "scope": "user"}),
        ("PUT", "verification", {"enabled": False, "extra": 1}),
        ("PUT", "verification", {"enabled": False, "location": {"scope": "user", "path": "/tmp/x"}}),
        ("PUT", "verification", {"enabled": False, "location": {"scope": "user", "other": 1}}),
        ("PUT", "verification", {"enabled": False, "location": "user"}),
        ("PUT", "verification", {"enabled": False, "location": None}),
    ],
)
async def test_properties_the_schema_does_not_allow_are_refused(jp_fetch, method, path, body, isolated_home):
    code, document, _ = await refused(jp_fetch, method, path, json.dumps(body))
    assert code == 400, document
    assert not (isolated_home / ".condarc").exists()  # refused before anything was written


@pytest.mark.parametrize("value", ["yes", "2", "", "TRUE1", "on"])
async def test_refresh_must_be_a_boolean(jp_fetch, value):
    code, document, _ = await refused(jp_fetch, "GET", "status", params={"refresh": value})
    assert code == 400 and "'refresh' must be true or false" in document["message"]


@pytest.mark.parametrize("value", ["true", "false", "1", "0", "False"])
async def test_refresh_accepts_booleans(jp_fetch, value):
    response = await jp_fetch("jupyter-trust", "status", params={"refresh": value})
    assert response.code == 200


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "status", "GET"),
        ("POST", "status", "GET"),
        ("POST", "token", "GET, PUT, DELETE"),
        ("DELETE", "verification", "GET, PUT"),
        ("PUT", "environments", "GET"),
        ("GET", "plans", "POST"),
        ("DELETE", f"plans/{PLAN_ID}", "GET"),
        ("PUT", "tasks", "GET, POST"),
        ("POST", f"tasks/{'0' * 32}", "GET, DELETE"),
    ],
)
async def test_unsupported_methods_answer_405_with_allow(jp_fetch, method, path, allow):
    body = "{}" if method in ("POST", "PUT") else None
    code, _, headers = await refused(jp_fetch, method, path, body, allow_nonstandard_methods=True)
    assert code == 405 and headers["Allow"] == allow


@pytest.mark.parametrize("spec", ["demo::trusty-app", "trusty-app=1.0=0", "demo::trusty-app=1.0=0", "trusty-app 1.0 0"])
async def test_channel_prefix_and_conda_build_syntax_plan(trust_server, jp_fetch, spec):
    assert trust_server.built.channel_name == "demo"
    body = json.dumps({"specs": [spec], "prefix": str(trust_server.prefix())})
    response = await jp_fetch("jupyter-trust", "plans", method="POST", body=body)
    plan = json.loads(response.body)
    assert response.code == 201 and not plan["blocked"], plan["reasons"]
    assert plan["specs"] == [spec]
    assert sorted(p["filename"] for p in plan["packages"]) == ["trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"]


@pytest.mark.parametrize("spec", ["elsewhere::trusty-app", "trusty-app=1.0=nope"])
async def test_foreign_channels_and_unmatched_builds_are_still_refused(trust_server, jp_fetch, spec):
    body = json.dumps({"specs": [spec], "prefix": str(trust_server.prefix())})
    code, document, _ = await refused(jp_fetch, "POST", "plans", body)
    assert code in (400, 422), document
