"""``repodata.json.zst``: asked for first, decompressed while it downloads (bounded), pinned by the sha256 of the
JSON that was verified — against a real signed channel on 127.0.0.1."""

from __future__ import annotations

import hashlib
import sys

import pytest

from jupyter_trust.plans.install import PlanChanged
from jupyter_trust.plans.model import Plan
from jupyter_trust.plans.service import ChannelUnavailable

if sys.version_info >= (3, 14):
    from compression.zstd import compress
else:
    from backports.zstd import compress

APP, LIB = "trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"


def zst_path(channel) -> str:
    return channel.repodata_path + ".zst"


def serve_zst(channel, data: bytes | None = None) -> bytes:
    """Offer ``repodata.json.zst`` (by default: the channel's own repodata.json, compressed)."""
    json_bytes = channel.built.repodata_path.read_bytes()
    channel.server.set_override(zst_path(channel), compress(json_bytes) if data is None else data)
    return json_bytes


def answers(channel, path: str) -> list[int]:
    return [status for p, status in channel.server.response_log if p == path]


def test_a_zst_channel_is_planned_and_installed_from_the_compressed_repodata(signed_channel):
    json_bytes = serve_zst(signed_channel)
    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    digest = {d.subdir: d for d in plan.repodata}[signed_channel.built.subdir]
    assert digest.kind == "repodata.json.zst" and digest.url.endswith("/repodata.json.zst")
    assert digest.sha256 == hashlib.sha256(json_bytes).hexdigest()  # the bytes verified, not the compressed ones
    assert not plan.blocked and {p.verdict for p in plan.packages} == {"trusted"}
    assert answers(signed_channel, signed_channel.repodata_path) == []  # repodata.json was never needed
    assert sorted(core.installer().apply(plan).linked) == [APP, LIB]


def test_without_zst_the_plan_says_repodata_json(signed_channel):
    plan = signed_channel.core().planner().plan(["trusty-app"], signed_channel.prefix())
    assert {d.kind for d in plan.repodata} == {"repodata.json"}
    assert answers(signed_channel, zst_path(signed_channel)) == [404]


def test_a_zst_changed_between_plan_and_apply_is_409(signed_channel):
    serve_zst(signed_channel)
    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    changed = signed_channel.repodata()
    changed["packages.conda"][LIB]["depends"] = ["something-else"]
    import json

    serve_zst(signed_channel, compress(json.dumps(changed).encode()))
    with pytest.raises(PlanChanged, match="changed since the plan was made"):
        core.installer().apply(plan)


def test_a_zst_that_is_only_recompressed_is_the_same_plan(signed_channel):
    json_bytes = serve_zst(signed_channel)
    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    serve_zst(signed_channel, compress(json_bytes, level=19))
    assert sorted(core.installer().apply(plan).linked) == [APP, LIB]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (compress(b" " * (5 << 20)), "decompresses to more than"),
        (b"\x28\xb5\x2f\xfd" + b"garbage" * 100, "not valid zstd data"),
        (b"not zstd at all", "not valid zstd data"),
    ],
)
def test_a_bad_zst_is_refused_with_a_clear_reason(signed_channel, body, why):
    serve_zst(signed_channel, body)
    core = signed_channel.core(repodata_max_bytes=1 << 20)
    with pytest.raises(ChannelUnavailable, match=why) as info:
        core.planner().plan(["trusty-app"], signed_channel.prefix())
    assert len(str(info.value)) < 400


def test_a_truncated_zst_is_refused(signed_channel):
    whole = compress(signed_channel.built.repodata_path.read_bytes())
    serve_zst(signed_channel, whole[: len(whole) // 2])
    with pytest.raises(ChannelUnavailable, match="middle of a zstd frame|not valid zstd"):
        signed_channel.core().planner().plan(["trusty-app"], signed_channel.prefix())


def test_a_zst_of_several_frames_is_read_whole(signed_channel):
    json_bytes = signed_channel.built.repodata_path.read_bytes()
    half = len(json_bytes) // 2
    serve_zst(signed_channel, compress(json_bytes[:half]) + compress(json_bytes[half:]))
    plan = signed_channel.core().planner().plan(["trusty-app"], signed_channel.prefix())
    digest = {d.subdir: d for d in plan.repodata}[signed_channel.built.subdir]
    assert digest.sha256 == hashlib.sha256(json_bytes).hexdigest() and not plan.blocked


def test_a_plan_file_from_before_kinds_still_loads(signed_channel):
    plan = signed_channel.core().planner().plan(["trusty-app"], signed_channel.prefix())
    old = plan.to_json()
    for entry in old["repodata"]:
        del entry["kind"]
    assert {d.kind for d in Plan.from_json(old).repodata} == {"repodata.json"}


def test_a_server_asks_once_whether_a_channel_offers_zst(signed_channel):
    core, prefix = signed_channel.core(serving_cache_bytes=1 << 24), signed_channel.prefix()
    core.planner().plan(["trusty-app"], prefix)
    core.planner().plan(["trusty-app"], prefix)
    assert answers(signed_channel, zst_path(signed_channel)) == [404]
    assert answers(signed_channel, signed_channel.repodata_path) == [200, 304]
    core.close()


def test_a_cli_core_asks_each_time(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    core.planner().plan(["trusty-app"], prefix)
    core.planner().plan(["trusty-app"], prefix)
    assert answers(signed_channel, zst_path(signed_channel)) == [404, 404]
