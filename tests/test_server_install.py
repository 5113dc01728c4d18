"""Plans and install tasks through the REST API, against a real signed channel and real installs."""

from __future__ import annotations

import asyncio
import json

from tornado.httpclient import HTTPClientError

from jupyter_trust.plans.install import prefix_lock


async def call(jp_fetch, method: str, *path: str, body: object = None, expect: int = 200) -> tuple[dict, dict]:
    kwargs = {"method": method}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    try:
        response = await jp_fetch("jupyter-trust", *path, **kwargs)
    except HTTPClientError as exc:
        assert exc.code == expect, exc.response.body
        return json.loads(exc.response.body), dict(exc.response.headers)
    assert response.code == expect, response.body
    return json.loads(response.body), dict(response.headers)


async def wait_task(jp_fetch, task_id: str) -> dict:
    for _ in range(300):
        task, _ = await call(jp_fetch, "GET", "tasks", task_id)
        if task["state"] not in ("queued", "running"):
            return task
        await asyncio.sleep(0.1)
    raise AssertionError("the install task did not finish")


async def test_plan_then_install_over_rest(trust_server, jp_fetch, jp_base_url):
    prefix = trust_server.prefix()
    plan, headers = await call(
        jp_fetch, "POST", "plans", body={"specs": ["trusty-app"], "prefix": str(prefix)}, expect=201
    )
    assert headers["Location"] == f"{jp_base_url}jupyter-trust/plans/{plan['id']}"
    assert not plan["blocked"] and {p["verdict"] for p in plan["packages"]} == {"trusted"}
    for key in ("id", "prefix", "blocked", "reasons", "packages"):
        assert key in plan
    for key in ("name", "version", "build", "filename", "channel", "url", "sha256", "action", "verdict", "reason"):
        assert key in plan["packages"][0]
    again, _ = await call(jp_fetch, "GET", "plans", plan["id"])
    assert again["id"] == plan["id"]
    task, headers = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=202)
    assert headers["Location"] == f"{jp_base_url}jupyter-trust/tasks/{task['id']}"
    done = await wait_task(jp_fetch, task["id"])
    assert done["state"] == "succeeded", done
    assert done["result"]["installed"] and sorted(done["result"]["linked"]) == [
        "trusty-app-1.0-0.conda",
        "trusty-lib-1.0-0.conda",
    ]
    assert done["progress"]["phase"] == "done"
    assert sorted(p.name for p in (prefix / "conda-meta").glob("*.json")) == [
        "trusty-app-1.0-0.json",
        "trusty-lib-1.0-0.json",
    ]
    listed, _ = await call(jp_fetch, "GET", "tasks")
    assert [t["id"] for t in listed["tasks"]] == [task["id"]]


async def test_blocked_plan_cannot_be_installed(trust_server, jp_fetch):
    plan, _ = await call(
        jp_fetch, "POST", "plans", body={"specs": ["tampered-tool"], "prefix": str(trust_server.prefix())}, expect=201
    )
    assert plan["blocked"] and "UNTRUSTED" in plan["reasons"][0]
    error, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=422)
    assert "blocked" in error["message"] and error["kind"] == "verification_failed"
    assert error["reasons"] == plan["reasons"]


async def test_unsigned_needs_confirmation(trust_server, jp_fetch):
    plan, _ = await call(
        jp_fetch, "POST", "plans", body={"specs": ["unsigned-extra"], "prefix": str(trust_server.prefix())}, expect=201
    )
    assert plan["needs_confirmation"] and not plan["blocked"]
    error, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=422)
    assert "unsigned" in error["message"] and '"confirm_unsigned": true' in error["message"]
    task, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"], "confirm_unsigned": True}, expect=202)
    assert (await wait_task(jp_fetch, task["id"]))["state"] == "succeeded"


async def test_changed_repodata_is_409(trust_server, jp_fetch):
    plan, _ = await call(
        jp_fetch, "POST", "plans", body={"specs": ["trusty-app"], "prefix": str(trust_server.prefix())}, expect=201
    )
    trust_server.serve_repodata(
        {**trust_server.repodata(), "repodata_version": 1, "info": {"subdir": "noarch", "y": 2}}
    )
    error, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=409)
    assert "changed" in error["message"] and error["kind"] == "conflict"


async def test_second_install_into_a_busy_prefix_is_409(trust_server, jp_serverapp, jp_fetch):
    prefix = trust_server.prefix()
    plan, _ = await call(jp_fetch, "POST", "plans", body={"specs": ["trusty-app"], "prefix": str(prefix)}, expect=201)
    tasks = jp_serverapp.web_app.settings["jupyter_trust_tasks"]
    # Another process (a named server sharing this home) holds the environment's install lock.
    with prefix_lock(tasks.work_dir, str(prefix)):
        error, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=409)
    assert "already running" in error["message"] and error["kind"] == "busy"
    task, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=202)
    assert (await wait_task(jp_fetch, task["id"]))["state"] == "succeeded"


async def test_interrupted_task_is_reported_in_status(trust_server, jp_serverapp, jp_fetch):
    tasks = jp_serverapp.web_app.settings["jupyter_trust_tasks"]
    record = {"id": "ab" * 16, "plan_id": "cd" * 32, "prefix": "/x", "state": "running", "pid": 2**22 + 12345}
    (tasks.work_dir / "tasks" / f"{record['id']}.json").write_text(json.dumps(record))
    status, _ = await call(jp_fetch, "GET", "status")
    assert [t["id"] for t in status["interrupted_tasks"]] == [record["id"]]
    assert status["interrupted_tasks"][0]["state"] == "interrupted"
