"""A real JupyterHub on 127.0.0.1 (DummyAuthenticator, SimpleLocalProcessSpawner, configurable-http-proxy from npm).

The ``hub`` fixture is module-scoped: one hub per test file, all state in a temporary directory, random free ports.
Single-user servers are the real ``python -m jupyterhub.singleuser`` of this environment (``sys.executable``), so
jupyter_trust is enabled in them exactly as after an install. Their environment (``c.Spawner.environment``)
carries the signed test channel (``CONDARC``, ``JUPYTER_TRUST_ROOT``), a token-validation server
(``CONDA_TOKEN_REPO_URL``), an admin-supplied token (``ADMIN_TOKEN_VAR``) and a per-user admin policy file
(``JUPYTER_TRUST_POLICY_FILE`` = ``<root>/policies/<user>.json``, written by :meth:`Hub.spawn`).

Teardown sends SIGTERM to the hub (which stops the servers and the proxy), waits a bounded time, then kills
whatever is left whose working directory is inside the hub's directory, and fails if anything had to be killed.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_fixtures import free_port
from channel_fixtures import SignedChannel, make_signed_channel
from token_fixtures import ValidationServer, start_validation_server

REPO = Path(__file__).resolve().parents[1]
CHP = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE = "trust-tests"
#: the variable an admin policy names in ``token_env_var`` (deliberately without a ``*_TOKEN``-like suffix,
#: so only the policy makes it a secret).
ADMIN_TOKEN_VAR = "JT_ADMIN_ANACONDA_CREDENTIAL"
ADMIN_TOKEN = "adm-SENTINEL-3f9a0c5e7b1d2468"
START_TIMEOUT = 90.0
SPAWN_TIMEOUT = 120.0

_CONFIG = """\
import json
import os
import sys

c = get_config()  # noqa: F821
p = json.loads({params!r})
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = p["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = p["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{{p['proxy_api_port']}}"
c.ConfigurableHTTPProxy.command = [p["chp"]]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = "sqlite:///" + p["root"] + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = p["root"] + "/jupyterhub_cookie_secret"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = p["root"] + "/home/{{username}}"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
if os.getuid() == 0:  # containers and CI runners that run as root
    c.Spawner.args = ["--ServerApp.allow_root=True"]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = dict(p["environment"])
c.Spawner.environment["JUPYTER_TRUST_POLICY_FILE"] = lambda spawner: (
    p["root"] + "/policies/" + spawner.user.name + ".json"
)
c.JupyterHub.services = [{{"name": p["service"], "api_token": p["service_token"]}}]
c.JupyterHub.load_roles = [
    {{
        "name": "trust-tests",
        "scopes": ["admin:users", "admin:servers", "admin:server_state", "tokens", "access:servers", "shares"],
        "services": [p["service"]],
    }}
]
"""


@dataclass
class HubResponse:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        """Body and headers, for scanning for secrets."""
        return self.body.decode(errors="replace") + "\n" + json.dumps(dict(self.headers))


class Hub:
    def __init__(self, root: Path, channel: SignedChannel, validation: ValidationServer) -> None:
        self.root = root
        self.channel = channel
        self.validation = validation
        self.port = free_port()
        self.service_token = secrets.token_hex(24)
        self.log_path = root / "jupyterhub.log"
        self.proc: subprocess.Popen[bytes] | None = None
        (root / "policies").mkdir()
        (root / "home").mkdir()

    # -- lifecycle -------------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """What every single-user server gets besides the Hub's own variables."""
        return {
            "CONDARC": str(self.channel.condarc),
            "JUPYTER_TRUST_ROOT": str(self.channel.built.root_path),
            "CONDA_TOKEN_REPO_URL": self.validation.repo_url,
            ADMIN_TOKEN_VAR: ADMIN_TOKEN,
        }

    def start(self) -> None:
        params = {
            "root": str(self.root),
            "port": self.port,
            "hub_port": free_port(),
            "proxy_api_port": free_port(),
            "chp": str(CHP),
            "service": SERVICE,
            "service_token": self.service_token,
            "environment": self.environment(),
        }
        config = self.root / "jupyterhub_config.py"
        config.write_text(_CONFIG.format(params=json.dumps(params)))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "JPY_", "CONFIGPROXY_"))}
        env["HOME"] = str(self.root)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=self.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if self.request("GET", "/hub/api/").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"jupyterhub did not answer within {START_TIMEOUT:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def processes(self) -> list[int]:
        """Our processes (hub, proxy, servers, their children): working directory inside the hub's directory."""
        root = os.path.realpath(self.root)
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            if cwd == root or cwd.startswith(root + os.sep):
                found.append(int(entry.name))
        return found

    def stop(self) -> list[int]:
        """SIGTERM the hub, wait (bounded), kill leftovers; return the pids that had to be killed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        left = self.processes()
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = self.processes()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return left

    # -- HTTP ------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60,
    ) -> HubResponse:
        """One request to the proxy's public port; never follows redirects, never uses a proxy."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"token {token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            return HubResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def api(self, method: str, path: str, body: Any = None) -> HubResponse:
        """The Hub's REST API as the test service (admin:users, admin:servers, tokens, shares …)."""
        return self.request(method, f"/hub/api/{path}", token=self.service_token, body=body)

    def trust(self, user: str, method: str, path: str, *, token: str | None, body: Any = None) -> HubResponse:
        """A jupyter_trust route on ``user``'s server, through the proxy."""
        return self.request(method, f"/user/{user}/jupyter-trust/{path}", token=token, body=body)

    def login(self, user: str) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
        """Log ``user`` in as a browser does (hub login form, then the OAuth dance to their server).

        Returns an opener that follows redirects and sends the cookies, and its cookie jar.
        """
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{self.port}"
        with opener.open(f"{base}/hub/login", timeout=60) as page:
            form = page.read().decode()
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', form)
        assert xsrf, "no _xsrf field in the hub's login form"
        data = urllib.parse.urlencode({"username": user, "password": "any", "_xsrf": xsrf.group(1)}).encode()
        with opener.open(f"{base}/hub/login?next=/hub/home", data=data, timeout=60) as done:
            assert done.status == 200
        with opener.open(f"{base}/user/{user}/lab", timeout=60) as lab:  # OAuth: authorize, callback, lab
            assert lab.status == 200 and urllib.parse.urlsplit(lab.url).path == f"/user/{user}/lab"
        return opener, jar

    # -- users -----------------------------------------------------------------------------------
    def home(self, user: str) -> Path:
        return self.root / "home" / user

    def spawn(self, user: str, policy: Mapping[str, Any] | None = None) -> None:
        """Create ``user`` with an admin policy file (``{}`` = no locks) and start their server (bounded wait)."""
        (self.root / "policies" / f"{user}.json").write_text(json.dumps(dict(policy or {})))
        created = self.api("POST", f"users/{user}")
        assert created.status in (201, 409), (created.body, self.log_tail())
        started = self.api("POST", f"users/{user}/server")
        assert started.status in (201, 202), (started.body, self.log_tail())
        deadline = time.monotonic() + SPAWN_TIMEOUT
        while time.monotonic() < deadline:
            model = self.api("GET", f"users/{user}").json()
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                return
            if server is None and started.status == 202 and not model.get("pending"):
                raise RuntimeError(f"the server of {user} failed to start:\n{self.log_tail()}")
            time.sleep(0.25)
        raise RuntimeError(f"the server of {user} was not ready within {SPAWN_TIMEOUT:.0f}s:\n{self.log_tail()}")

    def token(self, user: str, scopes: list[str] | None = None) -> str:
        """A new hub API token of ``user`` (``scopes`` None: the default, which inherits the user's permissions)."""
        body: dict[str, Any] = {"note": "jupyter_trust hub test", "expires_in": 3600}
        if scopes is not None:
            body["scopes"] = scopes
        response = self.api("POST", f"users/{user}/tokens", body)
        assert response.status == 201, response.body
        return response.json()["token"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A running JupyterHub for the test module (see the module docstring)."""
    if not CHP.exists():
        pytest.fail(f"{CHP} is missing: run scripts/setup.sh test (jlpm install)")
    base = tmp_path_factory.mktemp("hub")
    channel = make_signed_channel(base / "channel")
    validation = start_validation_server(base / "validation")
    root = base / "hub"
    root.mkdir()
    instance = Hub(root, channel, validation)
    try:
        instance.start()
        yield instance
    finally:
        leaked = instance.stop()
        validation.server.stop()
        channel.server.stop()
        assert not leaked, f"processes survived the hub's shutdown: {leaked}\n{instance.log_tail()}"


@pytest.fixture(scope="module")
def alice(hub: Hub) -> str:
    """alice's server is running (no admin locks; her allowed prefix roots include the server's own environment,
    an admin mistake the Hub rule must still catch); her token may only reach her own servers."""
    hub.spawn("alice", {"allowed_prefix_roots": [str(hub.channel.envs), sys.prefix], "allow_server_prefix": False})
    return hub.token("alice", ["access:servers!user=alice"])


@pytest.fixture(scope="module")
def carol(hub: Hub) -> str:
    """carol's admin policy file (verification required, token from ``$ADMIN_TOKEN_VAR``) locks what her own
    ~/.jupyter config tries to loosen."""
    user_config = hub.home("carol") / ".jupyter" / "jupyter_server_config.json"
    user_config.parent.mkdir(parents=True)
    user_config.write_text(
        json.dumps({"JupyterTrustApp": {"require_verification": False, "allow_server_prefix": True}})
    )
    hub.spawn(
        "carol",
        {
            "require_verification": True,
            "allow_server_prefix": False,
            "token_env_var": ADMIN_TOKEN_VAR,
            "allowed_prefix_roots": [str(hub.channel.envs), sys.prefix],
        },
    )
    return hub.token("carol", ["access:servers!user=carol"])
