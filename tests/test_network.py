"""Slow, trickling, silent, oversized, throttled and dead channels; the plan pool under load; status under load.

Everything runs against real loopback servers (the signed demo channel of ``channel_fixtures`` shaped with
``delays`` / ``rates``, or a raw socket server where HTTP itself must misbehave) and, for REST, a real server.
Deadlines are scaled down through the same settings an administrator uses (condarc ``remote_*_timeout_secs``,
policy ``download_timeout_secs`` / ``download_min_rate``, server ``plan_*`` and ``status_refresh_timeout_secs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from channel_fixtures import make_signed_channel, tree_digest
from token_fixtures import GOOD_TOKEN
from tornado.httpclient import HTTPClientError

from jupyter_trust.conda.condarc import CondaConfig
from jupyter_trust.errors import Kind, Overloaded
from jupyter_trust.fetch import CONNECT_TIMEOUT, READ_TIMEOUT, Fetcher, FetchError, TimedOut, TooLarge, Unreachable
from jupyter_trust.plans.install import InstallRefused
from jupyter_trust.plans.pool import PlanPool
from jupyter_trust.plans.service import ArtifactUnavailable, ChannelUnavailable
from jupyter_trust.policy import Policy, PolicyError

REPODATA = "noarch/repodata.json"


# -- a raw HTTP server for what ChannelServer is too well-behaved to do --------------------------------------------
@contextlib.contextmanager
def raw_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """Accepts connections on 127.0.0.1 and lets ``answer`` write whatever it likes (after the request)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(65536)
            threading.Thread(target=_answer, args=(conn,), daemon=True).start()

    def _answer(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            answer(conn)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/doc.json"
    finally:
        stop.set()
        listener.close()


def trickle(data: bytes, stop_after: float = 10.0) -> Callable[[socket.socket], None]:
    def answer(conn: socket.socket) -> None:
        end = time.monotonic() + stop_after
        for byte in data:
            if time.monotonic() > end:
                return
            conn.sendall(bytes([byte]))
            time.sleep(0.2)

    return answer


def elapsed(fn: Callable[[], object]) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        fn()
    except Exception as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


# -- the deadlines of one download -------------------------------------------------------------------------------
def test_a_25_mb_package_at_400_kb_s_fits_the_default_deadline():
    fetcher = Fetcher()
    size, rate = 25_000_000, 400_000
    assert fetcher.deadline_for(size) > 2 * size / rate
    assert (fetcher.connect_timeout, fetcher.read_timeout) == (CONNECT_TIMEOUT, READ_TIMEOUT)  # conda's defaults
    policy = Policy.load()
    assert policy.download_timeout_secs == fetcher.timeout and policy.download_min_rate == fetcher.min_rate


def test_a_throttled_download_above_the_minimum_rate_succeeds(signed_channel):
    """Scaled down: 1.1 KB at 500 B/s takes over 2 s, four times download_timeout_secs, and still succeeds."""
    server = signed_channel.server
    server.rates = {".conda": 500}
    fetcher = Fetcher(timeout=0.5, min_rate=250, read_timeout=5)
    url = signed_channel.channel_url + "/noarch/trusty-lib-1.0-0.conda"
    took, error = elapsed(lambda: fetcher.get(url, max_bytes=1 << 20))
    assert error is None and took > 1.0


def test_a_trickle_fails_at_its_deadline_although_every_read_gets_a_byte(signed_channel):
    signed_channel.server.rates = {".conda": 1}
    fetcher = Fetcher(timeout=1.0, min_rate=250, read_timeout=30)
    took, error = elapsed(
        lambda: fetcher.get(signed_channel.channel_url + "/noarch/trusty-lib-1.0-0.conda", max_bytes=4096)
    )
    assert isinstance(error, TimedOut) and error.kind is Kind.UPSTREAM_TIMEOUT
    assert "too slow" in str(error) and "download_min_rate" in str(error)
    assert took < 5, f"the deadline was about 1 s; the download ran {took:.1f} s"


def test_headers_trickled_byte_by_byte_are_cut_off_by_the_clock():
    header = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n{}"
    with raw_server(trickle(header)) as url:
        took, error = elapsed(lambda: Fetcher(timeout=1.0, read_timeout=30).get(url, max_bytes=1024))
    assert isinstance(error, TimedOut), error
    assert took < 5


def test_a_silent_host_costs_one_timeout_not_one_per_document(signed_channel):
    server = signed_channel.server
    server.delays = {".json": 20}
    fetcher = Fetcher(read_timeout=0.5)
    took, error = elapsed(lambda: fetcher.get(signed_channel.metadata_url + "/2.root.json", max_bytes=4096))
    assert isinstance(error, TimedOut) and "remote_read_timeout_secs" in str(error)
    asked = len(server.request_log)
    for path in ("/key_mgr.json", "/../channel/demo/noarch/repodata.json"):
        again, error = elapsed(lambda: fetcher.get(signed_channel.metadata_url + path, max_bytes=4096))  # noqa: B023
        assert isinstance(error, TimedOut) and "was not asked" in str(error)
        assert again < 0.5
    assert len(server.request_log) == asked, "the host that timed out was asked again"
    assert fetcher.timeout_error


def test_an_operation_deadline_ends_every_request():
    with raw_server(trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000)) as url:
        fetcher = Fetcher(read_timeout=30, until=time.monotonic() + 1.0)
        took, error = elapsed(lambda: fetcher.get(url, max_bytes=4096))
    assert isinstance(error, TimedOut) and "operation's deadline" in str(error)
    assert took < 5


def test_oversized_answers_are_refused_while_streaming():
    def endless(conn: socket.socket) -> None:  # no Content-Length: only the byte count can stop it
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(200):
            conn.sendall(b"x" * 65536)

    with raw_server(endless) as url:
        with pytest.raises(TooLarge) as info:
            Fetcher().get(url, max_bytes=100_000)
    assert info.value.kind is Kind.UPSTREAM


def test_a_declared_oversized_answer_is_refused_before_its_body(signed_channel):
    with pytest.raises(TooLarge, match="more than the 100-byte limit"):
        Fetcher().get(signed_channel.channel_url + "/" + REPODATA, max_bytes=100)


def test_a_body_shorter_than_its_content_length_is_an_upstream_error():
    with raw_server(lambda c: c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")) as url:
        with pytest.raises(Unreachable) as info:
            Fetcher().get(url, max_bytes=1000)
    assert info.value.kind is Kind.UPSTREAM and not isinstance(info.value, TimedOut)


def test_garbage_instead_of_http_is_an_upstream_error():
    with raw_server(lambda c: c.sendall(b"\x00\x01 not http at all\r\n\r\n")) as url:
        with pytest.raises(FetchError) as info:
            Fetcher().get(url, max_bytes=1000)
    assert info.value.kind is Kind.UPSTREAM


def test_a_channel_that_is_down_is_unreachable_at_once():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    took, error = elapsed(lambda: Fetcher().get(f"http://127.0.0.1:{port}/repodata.json", max_bytes=100))
    assert isinstance(error, Unreachable) and not isinstance(error, TimedOut) and error.kind is Kind.UPSTREAM
    assert took < 5


# -- where the limits come from ----------------------------------------------------------------------------------
def test_condarc_remote_timeouts_are_honoured(tmp_path):
    condarc = tmp_path / "condarc"
    condarc.write_text("remote_read_timeout_secs: 12.5\nremote_connect_timeout_secs: 3\n")
    fetcher = CondaConfig.load(environ={"CONDARC": str(condarc), "HOME": str(tmp_path)}).fetcher()
    assert (fetcher.read_timeout, fetcher.connect_timeout) == (12.5, 3.0)
    environ = {"CONDARC": str(condarc), "HOME": str(tmp_path), "CONDA_REMOTE_READ_TIMEOUT_SECS": "7"}
    assert CondaConfig.load(environ=environ).fetcher().read_timeout == 7.0


@pytest.mark.parametrize("value", ["soon", "-1", "0", "true", "[1, 2]", "{a: 1}", ".inf", ".nan"])
def test_unusable_condarc_timeouts_are_warnings_and_fall_back_to_condas_defaults(tmp_path, value):
    condarc = tmp_path / "condarc"
    condarc.write_text(f"remote_read_timeout_secs: {value}\nremote_connect_timeout_secs: {value}\n")
    config = CondaConfig.load(environ={"CONDARC": str(condarc), "HOME": str(tmp_path)})
    fetcher = config.fetcher()
    assert (fetcher.read_timeout, fetcher.connect_timeout) == (READ_TIMEOUT, CONNECT_TIMEOUT)
    assert any("remote_read_timeout_secs" in e and str(condarc) in e for e in config.errors), config.errors


@pytest.mark.parametrize(
    "name,value",
    [
        ("download_min_rate", 0),
        ("download_min_rate", -5),
        ("download_min_rate", 1.5),
        ("download_min_rate", True),
        ("download_min_rate", "fast"),
        ("download_timeout_secs", 0),
        ("download_timeout_secs", float("inf")),
        ("download_timeout_secs", float("nan")),
        ("download_timeout_secs", "60"),
    ],
)
def test_bad_download_limits_are_policy_errors(name, value):
    with pytest.raises(PolicyError, match=name):
        Policy.load({name: value})


def test_the_policy_limits_reach_every_download(signed_channel):
    core = signed_channel.core(download_timeout_secs=2.5, download_min_rate=1234)
    signed_channel.limit_network(read_timeout=4, connect_timeout=1.5)
    ctx = core.plan_context()
    fetcher = ctx.fetcher
    assert (fetcher.timeout, fetcher.min_rate, fetcher.read_timeout, fetcher.connect_timeout) == (2.5, 1234, 4, 1.5)
    assert ctx.trust_store.fetcher is fetcher, "trust metadata and repodata of one plan share one client"


# -- plans and installs against misbehaving channels -------------------------------------------------------------
def test_a_plan_against_a_channel_that_is_down_is_an_upstream_error_naming_it(signed_channel):
    core = signed_channel.core()
    prefix = signed_channel.prefix()
    signed_channel.server.stop()
    with pytest.raises(ChannelUnavailable) as info:
        core.planner().plan(["trusty-app"], prefix)
    assert info.value.kind is Kind.UPSTREAM
    assert signed_channel.channel_url in str(info.value) and info.value.details["channel"] == signed_channel.channel_url


def test_a_plan_against_a_silent_channel_fails_after_one_timeout(signed_channel):
    signed_channel.limit_network(read_timeout=0.5)
    core = signed_channel.core()
    server = signed_channel.server
    server.delays = {".json": 20}  # trust metadata and repodata alike
    took, error = elapsed(lambda: core.planner().plan(["trusty-app"], signed_channel.prefix()))
    assert isinstance(error, ChannelUnavailable) and error.kind is Kind.UPSTREAM_TIMEOUT, error
    # The trust refresh and each subdir's downloads start at the same time: each slow document is asked for once,
    # concurrently (one timeout's wait in all), and nothing is asked again after it timed out.
    log = server.request_log
    assert len(set(log)) == len(log), f"asked again after a timeout: {log}"
    slow = [path for path in log if path.endswith(".json")]
    assert slow and len(slow) <= 1 + len(signed_channel.core().plan_context().platform_subdirs), log
    assert took < 5


def test_a_plan_against_a_trickling_channel_fails_at_the_deadline(signed_channel):
    core = signed_channel.core(download_timeout_secs=1.0, download_min_rate=1000)
    signed_channel.server.rates = {REPODATA: 1}
    took, error = elapsed(lambda: core.planner().plan(["trusty-app"], signed_channel.prefix()))
    assert isinstance(error, ChannelUnavailable) and error.kind is Kind.UPSTREAM_TIMEOUT, error
    assert "too slow" in str(error)
    assert took < 8


def test_an_oversized_repodata_is_an_upstream_error(signed_channel):
    core = signed_channel.core(repodata_max_bytes=1000)
    with pytest.raises(ChannelUnavailable, match="1000-byte limit") as info:
        core.planner().plan(["trusty-app"], signed_channel.prefix())
    assert info.value.kind is Kind.UPSTREAM


def test_a_throttled_install_succeeds_where_a_fixed_limit_would_have_failed(signed_channel):
    core = signed_channel.core(download_timeout_secs=0.5, download_min_rate=250)
    prefix = signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    signed_channel.server.rates = {".conda": 500}  # ~2.2 s per package, 0.5 s "timeout"
    started = time.monotonic()
    result = core.installer().apply(plan)
    assert result.installed and sorted(result.linked) == ["trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"]
    assert time.monotonic() - started > 2 * 0.5


def test_a_trickling_artifact_fails_the_install_and_links_nothing(signed_channel):
    core = signed_channel.core(download_timeout_secs=0.5, download_min_rate=250)
    prefix = signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    before = tree_digest(prefix)
    signed_channel.server.rates = {"trusty-lib-1.0-0.conda": 1}
    with pytest.raises(ArtifactUnavailable) as info:
        core.installer().apply(plan)
    assert info.value.kind is Kind.UPSTREAM_TIMEOUT and signed_channel.channel_url in str(info.value)
    assert tree_digest(prefix) == before


def test_an_artifact_larger_than_signed_is_refused_as_a_mismatch(signed_channel):
    core = signed_channel.core()
    prefix = signed_channel.prefix()
    plan = core.planner().plan(["trusty-lib"], prefix)
    size = next(p.size for p in plan.packages if p.name == "trusty-lib")
    signed_channel.server.set_override(signed_channel.artifact_path("trusty-lib-1.0-0.conda"), b"x" * (size + 1))
    before = tree_digest(prefix)
    with pytest.raises(InstallRefused, match="larger than its signed size"):
        core.installer().apply(plan)
    assert tree_digest(prefix) == before


def test_the_token_never_appears_in_a_network_error(tmp_path):
    token = "tok-SENTINEL-network-3b9d"
    channel = make_signed_channel(tmp_path, require_token=token)
    try:
        channel.environ = {**channel.environ, "CONDA_TOKEN_REPO_URL": channel.url + "/"}
        channel.limit_network(read_timeout=0.5)
        core = channel.core()
        core.tokens().write(token)
        channel.server.delays = {REPODATA: 20}
        with pytest.raises(ChannelUnavailable) as info:
            core.planner().plan(["trusty-lib"], channel.prefix())
        assert info.value.kind is Kind.UPSTREAM_TIMEOUT
        text = str(info.value) + json.dumps(info.value.details)
        assert token not in text
        assert any(f"/t/{token}/" in p for p in channel.server.request_log), "the token was not sent at all"
    finally:
        channel.server.stop()


# -- the plan pool -----------------------------------------------------------------------------------------------
async def test_a_full_pool_refuses_at_once_with_a_retry_after():
    pool = PlanPool(workers=1, queue_limit=1, queue_timeout=30)
    release = asyncio.Event()

    async def plan() -> None:
        async with pool.slot():
            await release.wait()

    first = asyncio.ensure_future(plan())
    second = asyncio.ensure_future(plan())
    await asyncio.sleep(0.05)
    assert (pool.running, pool.waiting) == (1, 1)
    with pytest.raises(Overloaded) as info:
        await plan()
    assert info.value.kind is Kind.OVERLOADED and info.value.details["retry_after"] >= 1
    release.set()
    await asyncio.gather(first, second)
    assert (pool.running, pool.waiting) == (0, 0)
    pool.close()


async def test_a_plan_that_waits_too_long_is_cancelled_before_it_starts():
    pool = PlanPool(workers=1, queue_limit=4, queue_timeout=0.2)
    release = asyncio.Event()
    started: list[int] = []

    async def plan(n: int) -> None:
        async with pool.slot():
            started.append(n)
            await release.wait()

    first = asyncio.ensure_future(plan(1))
    await asyncio.sleep(0.05)
    with pytest.raises(Overloaded, match="waited 0.2 s .* cancelled before it started"):
        await plan(2)
    assert started == [1] and pool.waiting == 0
    release.set()
    await first
    pool.close()


@pytest.mark.parametrize("workers,queue,timeout", [(0, 1, 1), (1, -1, 1), (1, 1, 0), (1, 1, float("nan"))])
def test_a_pool_needs_sane_limits(workers, queue, timeout):
    with pytest.raises(ValueError):
        PlanPool(workers, queue, timeout)


# -- REST --------------------------------------------------------------------------------------------------------
async def post_plan(jp_fetch, prefix, specs=("trusty-app",)):
    try:
        response = await jp_fetch(
            "jupyter-trust", "plans", method="POST", body=json.dumps({"specs": list(specs), "prefix": str(prefix)})
        )
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body), dict(exc.response.headers)
    return response.code, json.loads(response.body), dict(response.headers)


async def test_rest_channel_down_is_502_naming_the_channel(trust_server, jp_fetch):
    prefix = trust_server.prefix()
    trust_server.server.stop()
    code, body, _ = await post_plan(jp_fetch, prefix)
    assert code == 502 and body["kind"] == "upstream", body
    assert trust_server.channel_url in body["message"] and body["channel"] == trust_server.channel_url


async def test_rest_silent_channel_is_504(trust_server, jp_fetch):
    trust_server.limit_network(read_timeout=0.5)
    trust_server.server.delays = {REPODATA: 20}
    code, body, _ = await post_plan(jp_fetch, trust_server.prefix())
    assert code == 504 and body["kind"] == "upstream_timeout", body
    assert "remote_read_timeout_secs" in body["message"] and trust_server.channel_url in body["message"]


async def test_rest_oversized_repodata_is_502(trust_server, jp_serverapp, jp_fetch):
    core = jp_serverapp.web_app.settings["jupyter_trust_core"]
    core.policy = Policy.load({"allowed_prefix_roots": [str(trust_server.envs)], "repodata_max_bytes": 500})
    code, body, _ = await post_plan(jp_fetch, trust_server.prefix())
    assert code == 502 and body["kind"] == "upstream" and "500-byte limit" in body["message"], body


POOL_OF_ONE = {"JupyterTrustApp": {"plan_workers": 1, "plan_queue_limit": 1, "status_refresh_timeout_secs": 1}}


@pytest.mark.server_config(POOL_OF_ONE)
async def test_rest_a_full_plan_pool_is_503_with_retry_after_and_status_stays_fast(trust_server, jp_fetch):
    trust_server.limit_network(read_timeout=30)
    trust_server.server.delays = {REPODATA: 3}
    prefix = trust_server.prefix()
    first = asyncio.ensure_future(post_plan(jp_fetch, prefix))
    await asyncio.sleep(0.3)
    second = asyncio.ensure_future(post_plan(jp_fetch, prefix))
    await asyncio.sleep(0.3)
    code, body, headers = await post_plan(jp_fetch, prefix)
    assert code == 503 and body["kind"] == "overloaded", body
    assert int(headers["Retry-After"]) >= 1 and body["retry_after"] >= 1
    # Plans hang on the slow channel: status and tasks answer meanwhile.
    for path in (("status",), ("tasks",), ("environments",)):
        response = await asyncio.wait_for(jp_fetch("jupyter-trust", *path), 10)
        assert response.code == 200
        assert not first.done() and not second.done(), "the plans were not hanging: the test proves nothing"
    results = await asyncio.gather(first, second)
    assert [code for code, _, _ in results] == [201, 201], results


@pytest.mark.server_config({"JupyterTrustApp": {"plan_workers": 1, "plan_queue_timeout_secs": 0.5}})
async def test_rest_a_plan_that_waits_too_long_is_503(trust_server, jp_fetch):
    trust_server.server.delays = {REPODATA: 3}
    prefix = trust_server.prefix()
    first = asyncio.ensure_future(post_plan(jp_fetch, prefix))
    await asyncio.sleep(0.3)
    code, body, headers = await post_plan(jp_fetch, prefix)
    assert code == 503 and "cancelled before it started" in body["message"] and "Retry-After" in headers, body
    assert (await first)[0] == 201


@pytest.mark.server_config(POOL_OF_ONE)
async def test_rest_status_refresh_has_its_own_deadline(trust_server, jp_fetch):
    trust_server.limit_network(read_timeout=30)
    trust_server.server.delays = {".root.json": 20}
    started = time.monotonic()
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "status", params={"refresh": "true"})
    assert info.value.code == 504, info.value.response.body
    body = json.loads(info.value.response.body)
    assert body["kind"] == "upstream_timeout" and "within 1 s" in body["message"]
    assert time.monotonic() - started < 10
    plain = await asyncio.wait_for(jp_fetch("jupyter-trust", "status"), 10)  # no network: answers regardless
    assert plain.code == 200


async def test_rest_status_follows_condarc_and_token_changes_at_once(trust_server, jp_fetch):
    first = json.loads((await jp_fetch("jupyter-trust", "status")).body)
    assert first["verification"]["enabled"] is True and first["token"]["present"] is False
    again = json.loads((await jp_fetch("jupyter-trust", "status")).body)
    assert again == first  # kept
    trust_server.condarc.write_text(
        trust_server.condarc.read_text().replace("extra_safety_checks: true", "extra_safety_checks: false")
    )
    assert json.loads((await jp_fetch("jupyter-trust", "status")).body)["verification"]["enabled"] is False
    from jupyter_trust.conda.tokens import TokenStore

    TokenStore(environ=trust_server.environ).write(GOOD_TOKEN)  # as another process (the CLI) would
    assert json.loads((await jp_fetch("jupyter-trust", "status")).body)["token"]["present"] is True


def test_head_returns_statuses_and_times_out_like_get(signed_channel):
    fetcher = Fetcher(read_timeout=0.5)
    assert fetcher.head(signed_channel.channel_url + "/" + REPODATA) == 200
    assert fetcher.head(signed_channel.channel_url + "/noarch/missing.json") == 404
    signed_channel.server.delays = {"slow.json": 20}
    with pytest.raises(TimedOut):
        fetcher.head(signed_channel.channel_url + "/noarch/slow.json")


async def test_rest_install_of_a_plan_whose_channel_went_down_is_502(trust_server, jp_fetch):
    code, plan, _ = await post_plan(jp_fetch, trust_server.prefix())
    assert code == 201
    trust_server.server.stop()
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "tasks", method="POST", body=json.dumps({"plan_id": plan["id"]}))
    body = json.loads(info.value.response.body)
    assert info.value.code == 502 and body["kind"] == "upstream" and trust_server.channel_url in body["message"]


@pytest.mark.parametrize("shape", ["down", "silent", "oversized"])
def test_an_install_whose_channel_misbehaves_after_planning_links_nothing(signed_channel, shape):
    signed_channel.limit_network(read_timeout=0.5)
    core = signed_channel.core(repodata_max_bytes=100_000)
    prefix = signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    before = tree_digest(prefix)
    server = signed_channel.server
    if shape == "down":
        server.stop()
    elif shape == "silent":
        server.delays = {REPODATA: 20}
    else:
        server.set_override(signed_channel.repodata_path, b" " * 100_001)
    with pytest.raises(ChannelUnavailable) as info:
        core.installer().apply(plan)
    expected = Kind.UPSTREAM_TIMEOUT if shape == "silent" else Kind.UPSTREAM
    assert info.value.kind is expected and signed_channel.channel_url in str(info.value)
    assert tree_digest(prefix) == before


def test_a_sinks_own_failure_is_not_blamed_on_the_channel(signed_channel):
    def full_disk(chunk: bytes) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left") as info:
        Fetcher().fetch(signed_channel.channel_url + "/" + REPODATA, max_bytes=1 << 20, sink=full_disk)
    assert not isinstance(info.value, FetchError)
