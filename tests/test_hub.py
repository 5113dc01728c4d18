"""End-to-end under a real JupyterHub (``hub_fixtures``): every request goes through configurable-http-proxy to a
real ``jupyterhub.singleuser`` server, authenticated by the Hub.

Users: ``alice`` and ``carol`` (from ``hub_fixtures``), and ``bob`` (another user, later given access to alice's
server by sharing).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_fixtures import ADMIN_TOKEN, ADMIN_TOKEN_VAR, Hub, HubResponse
from test_server_auth import ENDPOINTS, _body
from token_fixtures import GOOD_TOKEN, assert_no_secret

from jupyter_trust.conda.tokens import token_path

MASKED = "****" + GOOD_TOKEN[-4:]


@pytest.fixture(scope="module")
def bob(hub: Hub) -> str:
    hub.spawn("bob")
    return hub.token("bob")


@pytest.fixture
def seen() -> Iterator[list[HubResponse]]:
    """Responses a test collects; none of them may contain the user's or the admin's token."""
    responses: list[HubResponse] = []
    yield responses
    for response in responses:
        assert_no_secret(response.text(), GOOD_TOKEN)
        assert_no_secret(response.text(), ADMIN_TOKEN)


def message(response: HubResponse) -> str:
    return response.json()["message"]


def test_owner_reaches_status_through_the_proxy(hub: Hub, alice: str) -> None:
    response = hub.trust("alice", "GET", "status", token=alice)
    assert response.status == 200, response.body
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    status = response.json()
    assert status["policy"]["allow_server_prefix"]["value"] is False
    # The server is the Hub's real single-user server of alice, on the proxy's public port.
    model = hub.api("GET", "users/alice").json()
    assert model["servers"][""]["ready"] and model["servers"][""]["url"] == "/user/alice/"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_requests_without_a_valid_token_of_the_owner_are_refused(
    hub: Hub, alice: str, bob: str, method: str, path: str
) -> None:
    credentials = {
        "no token": None,
        "a forged token": "0" * 32,
        "bob's token": bob,
    }
    for label, token in credentials.items():
        response = hub.trust("alice", method, path, token=token, body={} if _body(method) else None)
        assert response.status == 403, (label, response.status, response.headers.get("location"))
        assert "location" not in response.headers, label  # a refusal, not a redirect to a login page
    # and alice's token does not open bob's server
    response = hub.trust("bob", method, path, token=alice, body={} if _body(method) else None)
    assert response.status == 403 and "location" not in response.headers


def test_cookie_requests_need_the_xsrf_token(hub: Hub, alice: str) -> None:
    """The panel's way in: the OAuth cookie of alice's server, plus X-XSRFToken (ServerConnection sends it)."""
    _, jar = hub.login("alice")
    cookies = {c.name: c.value for c in jar if c.path.startswith("/user/alice")}
    assert "_xsrf" in cookies and any(name.startswith("jupyterhub-user-alice") for name in cookies)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    fetch = {"Cookie": cookie, "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"}
    with_xsrf = {**fetch, "X-XSRFToken": cookies["_xsrf"]}
    ok = hub.request("GET", "/user/alice/jupyter-trust/status", headers=with_xsrf)
    assert ok.status == 200, ok.body
    write = hub.request("PUT", "/user/alice/jupyter-trust/verification", headers=with_xsrf, body={"enabled": True})
    assert write.status == 200, write.body
    # Without the XSRF token: refused for writes, and for fetch-mode GETs too (the Hub checks those).
    for method, path, body in (
        ("GET", "status", None),
        ("PUT", "verification", {"enabled": False}),
        ("PUT", "token", {"token": GOOD_TOKEN}),
        ("DELETE", "token", None),
        ("POST", "plans", {"specs": ["trusty-app"], "prefix": str(hub.channel.envs)}),
    ):
        response = hub.request(method, f"/user/alice/jupyter-trust/{path}", headers=fetch, body=body)
        assert response.status == 403, (method, path, response.body)
        bad = hub.request(method, f"/user/alice/jupyter-trust/{path}", headers={**fetch, "X-XSRFToken": "x"}, body=body)
        assert bad.status == 403, (method, path, bad.body)
    assert hub.trust("alice", "GET", "verification", token=alice).json()["enabled"] is True


def test_owner_sets_the_token_privately_through_the_hub(hub: Hub, alice: str, seen: list[HubResponse]) -> None:
    put = hub.trust("alice", "PUT", "token", token=alice, body={"token": GOOD_TOKEN})
    seen.append(put)
    assert put.status == 200, put.body
    doc = put.json()
    assert doc["token"]["present"] and doc["token"]["masked"] == MASKED and doc["validated"] is True
    assert hub.validation.server.request_log  # validated against the loopback repository
    # Stored where conda reads it in alice's home (the Hub's home_dir_template), 0600, exactly the token.
    path = token_path(hub.validation.repo_url, {"HOME": str(hub.home("alice"))})
    assert path.read_text() == GOOD_TOKEN
    assert path.stat().st_mode & 0o777 == 0o600
    for route in ("token", "status", "verification"):
        response = hub.trust("alice", "GET", route, token=alice)
        seen.append(response)
        assert response.status == 200
    assert seen[-2].json()["token"]["masked"] == MASKED
    wrong = hub.trust("alice", "PUT", "token", token=alice, body={"token": GOOD_TOKEN + "x"})
    seen.append(wrong)
    assert wrong.status == 422 and "could not be validated" in message(wrong)
    assert path.read_text() == GOOD_TOKEN  # a rejected token replaces nothing


def test_shared_user_may_read_but_not_change_the_owners_settings(
    hub: Hub, alice: str, bob: str, seen: list[HubResponse]
) -> None:
    path = token_path(hub.validation.repo_url, {"HOME": str(hub.home("alice"))})
    if not path.exists():
        assert hub.trust("alice", "PUT", "token", token=alice, body={"token": GOOD_TOKEN}).status == 200
    shared = hub.api("POST", "shares/alice/", {"user": "bob"})
    assert shared.status == 200, shared.body
    # A fresh token of bob: the server caches what the Hub said about a token (bob's first one had no access).
    token = hub.token("bob")
    for route in ("status", "token", "verification"):
        response = hub.trust("alice", "GET", route, token=token)
        seen.append(response)
        assert response.status == 200, (route, response.body)
    assert seen[1].json()["masked"] == MASKED
    attempts = [
        ("PUT", "token", {"token": GOOD_TOKEN}),
        ("DELETE", "token", None),
        ("PUT", "verification", {"enabled": False}),
        ("PUT", "verification", {"enabled": True}),
    ]
    for method, route, body in attempts:
        response = hub.trust("alice", method, route, token=token, body=body)
        seen.append(response)
        assert response.status == 403, (method, route, response.body)
        assert "only the owner of this server (alice)" in message(response)
    assert path.read_text() == GOOD_TOKEN and path.stat().st_mode & 0o777 == 0o600
    assert hub.trust("alice", "GET", "verification", token=alice).json()["enabled"] is True
    # The owner still can: remove her token.
    removed = hub.trust("alice", "DELETE", "token", token=alice)
    seen.append(removed)
    assert removed.status == 200 and not removed.json()["token"]["present"] and not path.exists()


def test_admin_policy_locks_verification(hub: Hub, carol: str, seen: list[HubResponse]) -> None:
    status = hub.trust("carol", "GET", "status", token=carol)
    seen.append(status)
    assert status.status == 200
    policy = status.json()["policy"]["require_verification"]
    assert policy["value"] is True and policy["locked"] is True
    assert policy["source"] == str(hub.root / "policies" / "carol.json")
    off = hub.trust("carol", "PUT", "verification", token=carol, body={"enabled": False})
    seen.append(off)
    assert off.status == 403 and off.headers["content-type"].startswith("application/json")
    assert "'require_verification' is locked by your administrator" in message(off)
    for scope in ("user", "env", "system"):  # env/system: 400 here (no conda environment) or 403, never 200
        attempt = hub.trust(
            "carol", "PUT", "verification", token=carol, body={"enabled": False, "location": {"scope": scope}}
        )
        assert attempt.status in ((403,) if scope == "user" else (400, 403)), (scope, attempt.body)
    verification = hub.trust("carol", "GET", "verification", token=carol)
    assert verification.status == 200 and verification.json()["enabled"] is True


def test_users_own_config_cannot_loosen_the_admin_policy(hub: Hub, carol: str) -> None:
    policy = hub.trust("carol", "GET", "status", token=carol).json()["policy"]
    source = str(hub.root / "policies" / "carol.json")
    assert policy["require_verification"] == {"value": True, "locked": True, "source": source}
    assert policy["allow_server_prefix"] == {"value": False, "locked": True, "source": source}
    response = hub.trust("carol", "POST", "plans", token=carol, body={"specs": ["trusty-app"], "prefix": sys.prefix})
    assert response.status == 400 and "runs this Jupyter server" in message(response)


def test_admin_supplied_token_is_used_masked_and_cannot_be_replaced(
    hub: Hub, carol: str, seen: list[HubResponse]
) -> None:
    info = hub.trust("carol", "GET", "token", token=carol)
    seen.append(info)
    assert info.status == 200
    assert info.json() | {"repo_url": None} == {
        "present": True,
        "masked": "****" + ADMIN_TOKEN[-4:],
        "source": "env",
        "location": f"${ADMIN_TOKEN_VAR}",
        "repo_url": None,
        "error": None,
    }
    status = hub.trust("carol", "GET", "status", token=carol)
    seen.append(status)
    assert status.json()["token"]["source"] == "env"
    path = token_path(hub.validation.repo_url, {"HOME": str(hub.home("carol"))})
    for method, body in (
        ("PUT", {"token": GOOD_TOKEN}),
        ("PUT", {"token": GOOD_TOKEN, "validate": False}),
        ("DELETE", None),
    ):
        response = hub.trust("carol", method, "token", token=carol, body=body)
        seen.append(response)
        assert response.status == 403, (method, response.body)
        assert "the Anaconda token is supplied by your administrator" in message(response)
    assert not path.exists()  # nothing of carol's shadows (or pretends to replace) the admin's token
    after = hub.trust("carol", "GET", "token", token=carol)
    seen.append(after)
    assert after.json()["source"] == "env"


def test_installing_into_the_servers_own_environment_is_refused(hub: Hub, alice: str) -> None:
    link = hub.channel.envs / "looks-harmless"
    if not link.is_symlink():
        link.symlink_to(sys.prefix)
    # sys.prefix is even among alice's allowed roots (an admin mistake); the Hub rule still refuses it.
    for prefix in (sys.prefix, sys.prefix + "/", str(link)):
        response = hub.trust("alice", "POST", "plans", token=alice, body={"specs": ["trusty-app"], "prefix": prefix})
        assert response.status == 400, (prefix, response.body)
        assert "installing into the environment that runs this Jupyter server is not allowed" in message(response)
    envs = hub.trust("alice", "GET", "environments", token=alice).json()
    assert os.path.realpath(sys.prefix) not in {
        os.path.realpath(e["prefix"]) for e in envs["environments"] if not e["is_server_prefix"]
    }
    assert envs["default"] is None or os.path.realpath(envs["default"]) != os.path.realpath(sys.prefix)
    # A made-up plan id for the server prefix gets nowhere either.
    task = hub.trust("alice", "POST", "tasks", token=alice, body={"plan_id": "f" * 64})
    assert task.status == 404


class WorkerEnvironments:
    """Environments of jupyter_trust's engine workers started by a Hub server, read from /proc while they run."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.workers: dict[int, tuple[int, dict[str, str]]] = {}
        self.servers: dict[int, dict[str, str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> WorkerEnvironments:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for pid in self.hub.processes():
                proc = Path("/proc") / str(pid)
                try:
                    cmdline = (proc / "cmdline").read_bytes().split(b"\0")
                    raw = (proc / "environ").read_bytes()
                except OSError:
                    continue
                env = dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)
                if b"jupyter_trust.engine.worker" in cmdline:
                    self.workers.setdefault(pid, (_parent(proc), env))
                elif b"jupyterhub.singleuser" in cmdline:
                    self.servers.setdefault(pid, env)
            time.sleep(0.02)

    def of(self, user: str) -> dict[int, dict[str, str]]:
        """Workers whose parent is ``user``'s server (other servers may keep a spare solver waiting)."""
        mine = {pid for pid, env in self.servers.items() if env.get("JUPYTERHUB_USER") == user}
        return {pid: env for pid, (parent, env) in self.workers.items() if parent in mine}


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def plan_and_watch(
    hub: Hub, user: str, token: str, specs: list[str], prefix: Path
) -> tuple[HubResponse, WorkerEnvironments]:
    """POST a plan while the channel is slow, so the solver worker (started before the downloads) is seen."""
    hub.channel.server.delay = 1.5
    try:
        with WorkerEnvironments(hub) as workers:
            response = hub.trust(user, "POST", "plans", token=token, body={"specs": specs, "prefix": str(prefix)})
    finally:
        hub.channel.server.delay = 0.0
    return response, workers


def test_admin_token_variable_is_not_given_to_engine_workers(hub: Hub, carol: str) -> None:
    plan, workers = plan_and_watch(hub, "carol", carol, ["trusty-app"], hub.channel.prefix("carol"))
    assert plan.status == 201, plan.body
    assert workers.of("carol"), "no engine worker was seen"
    carols = [env for env in workers.servers.values() if env.get("JUPYTERHUB_USER") == "carol"]
    assert carols and carols[0][ADMIN_TOKEN_VAR] == ADMIN_TOKEN  # the server itself has the secret...
    for _, env in workers.workers.values():
        assert ADMIN_TOKEN_VAR not in env and ADMIN_TOKEN not in json.dumps(env)  # ...its children do not


def test_signed_plan_and_install_through_the_hub(hub: Hub, alice: str, seen: list[HubResponse]) -> None:
    prefix = hub.channel.prefix("alice")
    plan, workers = plan_and_watch(hub, "alice", alice, ["trusty-app"], prefix)
    seen.append(plan)
    assert plan.status == 201, plan.body
    assert plan.headers["location"].startswith("/user/alice/jupyter-trust/plans/")
    doc = plan.json()
    assert not doc["blocked"] and not doc["needs_confirmation"], doc["reasons"]
    assert {p["name"] for p in doc["packages"]} == {"trusty-app", "trusty-lib"}
    assert workers.of("alice"), "no engine worker was seen"
    for _, env in workers.workers.values():  # every server's workers, spares included
        assert "JUPYTERHUB_API_TOKEN" not in env and "JPY_API_TOKEN" not in env
    for env in workers.of("alice").values():
        assert env.get("JUPYTERHUB_USER") == "alice"  # it is this server's child
    applied = hub.trust("alice", "POST", "tasks", token=alice, body={"plan_id": doc["id"]})
    seen.append(applied)
    assert applied.status == 202, applied.body
    task_path = applied.headers["location"].removeprefix("/user/alice/jupyter-trust/")
    deadline = time.monotonic() + 120
    task = applied.json()
    while task["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        task = hub.trust("alice", "GET", task_path, token=alice).json()
    assert task["state"] == "succeeded", task
    records = [json.loads(p.read_text()) for p in (prefix / "conda-meta").glob("*.json")]
    assert sorted(r["name"] for r in records) == ["trusty-app", "trusty-lib"], records
    # The tampered package is blocked through the hub too, and its plan cannot be applied.
    blocked = hub.trust("alice", "POST", "plans", token=alice, body={"specs": ["tampered-tool"], "prefix": str(prefix)})
    assert blocked.status == 201 and blocked.json()["blocked"]
    refused = hub.trust("alice", "POST", "tasks", token=alice, body={"plan_id": blocked.json()["id"]})
    assert refused.status == 422 and "blocked" in message(refused)


def test_nothing_secret_reached_the_logs(hub: Hub, alice: str, carol: str) -> None:
    log = hub.log_path.read_text(errors="replace")
    assert "jupyter_trust" in log  # the single-user servers log here too
    assert_no_secret(log, GOOD_TOKEN)
    assert_no_secret(log, ADMIN_TOKEN)
    assert os.path.getsize(hub.log_path) > 0
