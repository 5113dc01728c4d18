"""A serving core (the server's): repodata reused only on the channel's 304, a spare solver between plans,
bad specs refused by the solver process as 400s — against a real signed channel on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from test_server_install import call

from jupyter_trust.plans.service import ChannelUnavailable
from jupyter_trust.plans.specs import SpecError

APP, LIB = "trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"


def repodata_answers(channel) -> list[int]:
    return [status for path, status in channel.server.response_log if path == channel.repodata_path]


def test_unchanged_repodata_is_reused_on_304_and_the_plan_is_the_same(signed_channel):
    core, prefix = signed_channel.core(serving_cache_bytes=1 << 24), signed_channel.prefix()
    first = core.planner().plan(["trusty-app"], prefix)
    second = core.planner().plan(["trusty-app"], prefix)
    assert repodata_answers(signed_channel) == [200, 304]
    assert second.repodata == first.repodata and second.packages == first.packages
    assert not second.blocked
    result = core.installer().apply(second)  # its re-check may use the same conditional request
    assert sorted(result.linked) == [APP, LIB]
    core.close()


def test_changed_repodata_is_never_served_from_the_cache(signed_channel):
    core, prefix = signed_channel.core(serving_cache_bytes=1 << 24), signed_channel.prefix()
    first = core.planner().plan(["trusty-app"], prefix)
    changed = signed_channel.repodata()
    changed["packages.conda"][APP]["depends"] = []  # altered after signing: the record must now fail
    signed_channel.serve_repodata(changed)
    second = core.planner().plan(["trusty-app"], prefix)
    assert repodata_answers(signed_channel)[-1] == 200
    digests = [{r.subdir: r.sha256 for r in plan.repodata}[signed_channel.built.subdir] for plan in (first, second)]
    assert digests[0] != digests[1]
    assert second.blocked and any(APP in reason and "UNTRUSTED" in reason for reason in second.reasons)
    core.close()


def test_a_304_nobody_asked_for_is_not_trusted_as_content(signed_channel):
    core, prefix = signed_channel.core(serving_cache_bytes=1 << 24), signed_channel.prefix()
    signed_channel.server.set_override(signed_channel.repodata_path, 304)
    with pytest.raises(ChannelUnavailable, match="HTTP 304"):
        core.planner().plan(["trusty-app"], prefix)
    core.close()


def test_a_cache_entry_whose_file_is_gone_is_downloaded_again(signed_channel):
    core, prefix = signed_channel.core(serving_cache_bytes=1 << 24), signed_channel.prefix()
    first = core.planner().plan(["trusty-app"], prefix)
    for path in (core.private_work_dir() / "repodata").glob("*.json"):
        path.unlink()
    second = core.planner().plan(["trusty-app"], prefix)
    assert repodata_answers(signed_channel) == [200, 200]
    assert second.packages == first.packages and not second.blocked
    core.close()


def test_a_document_larger_than_the_cache_is_not_kept(signed_channel):
    core, prefix = signed_channel.core(serving_cache_bytes=64), signed_channel.prefix()
    core.planner().plan(["trusty-app"], prefix)
    core.planner().plan(["trusty-app"], prefix)
    assert repodata_answers(signed_channel) == [200, 200]
    core.close()


def test_cli_and_magic_cores_keep_nothing_between_plans(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    core.planner().plan(["trusty-app"], prefix)
    core.planner().plan(["trusty-app"], prefix)
    assert repodata_answers(signed_channel) == [200, 200]
    assert core.plan_context().workers is None and core.plan_context().repodata_cache is None


def test_a_spare_solver_waits_after_a_plan_and_ends_with_the_core(signed_channel):
    core, prefix = signed_channel.core(serving_cache_bytes=1 << 24), signed_channel.prefix()
    pool = core.plan_context().workers
    assert pool is not None
    core.planner().plan(["trusty-app"], prefix)
    spare = pool._spare
    assert spare is not None and spare.alive()
    core.planner().plan(["trusty-lib"], prefix)  # takes that spare and leaves a new one
    assert not spare.alive() and pool._spare is not None and pool._spare is not spare
    last = pool._spare
    core.close()
    assert not last.alive() and pool._spare is None
    pool.replenish()
    assert pool._spare is None  # a closed pool starts nothing


@pytest.mark.parametrize("spec", ["numpy >=<1", "==1.0", "trusty-app ]"])
def test_a_spec_the_solver_cannot_parse_is_a_spec_error(signed_channel, spec):
    core, prefix = signed_channel.core(serving_cache_bytes=1 << 24), signed_channel.prefix()
    with pytest.raises(SpecError, match="not a valid package spec"):
        core.planner().plan([spec], prefix)
    core.close()


async def test_a_spec_the_solver_cannot_parse_is_400_over_rest(trust_server, jp_fetch):
    body, _ = await call(
        jp_fetch, "POST", "plans", body={"specs": ["numpy >=<1"], "prefix": str(trust_server.prefix())}, expect=400
    )
    assert "not a valid package spec" in body["message"] and "Traceback" not in json.dumps(body)


async def test_warm_rest_plans_reuse_the_repodata(trust_server, jp_fetch):
    body = {"specs": ["trusty-app"], "prefix": str(trust_server.prefix())}
    first, _ = await call(jp_fetch, "POST", "plans", body=body, expect=201)
    second, _ = await call(jp_fetch, "POST", "plans", body=body, expect=201)
    assert repodata_answers(trust_server) == [200, 304]
    assert first["packages"] == second["packages"] and first["repodata"] == second["repodata"]


def test_repodata_with_nan_or_endless_nesting_is_refused(signed_channel):
    core, prefix = signed_channel.core(), signed_channel.prefix()
    for body in (b'{"packages": {}, "info": NaN}', b'{"packages": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        signed_channel.server.set_override(signed_channel.repodata_path, body)
        with pytest.raises(Exception, match="unusable repodata: document is not valid JSON") as info:
            core.planner().plan(["trusty-app"], prefix)
        assert len(str(info.value)) < 300
