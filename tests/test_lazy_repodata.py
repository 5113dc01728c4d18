"""Lazy record access: only linked records are parsed (strictly, from their own bytes); a defect in one record
blocks exactly the plans that link it; keys planted elsewhere in the document can only block."""

from __future__ import annotations

import json

import pytest

from jupyter_trust.cct.errors import FormatError
from jupyter_trust.cct.jsonload import loads_strict
from jupyter_trust.plans.install import InstallRefused
from jupyter_trust.plans.lazy_repodata import LazyRepodata, RepodataFile
from jupyter_trust.plans.service import PlanError

APP, LIB = "trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"
UNSIGNED = "unsigned-extra-1.0-0.conda"
MARK = "@@defect@@"


def serve_with(channel, fn: str, raw_fields: str) -> None:
    """Serve the channel's repodata with ``raw_fields`` (JSON text) added to the record of ``fn``."""
    repodata = channel.repodata()
    repodata["packages.conda"][fn]["x-extra"] = MARK
    text = json.dumps(repodata).replace(f'"x-extra": "{MARK}"', raw_fields)
    channel.server.set_override(channel.repodata_path, text.encode())


def reason_for(plan, fn: str) -> str:
    return next(p.reason for p in plan.packages if p.filename == fn)


def verdict_of(plan, fn: str) -> str:
    return next(p.verdict for p in plan.packages if p.filename == fn)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ('"x-note": "a", "x-note": "b"', "duplicate JSON key 'x-note'"),
        ('"x-deep": ' + "[" * 100 + "]" * 100, "nested deeper than 64 levels"),
    ],
)
def test_a_defective_linked_record_blocks_its_plan_with_the_reason(signed_channel, raw, why):
    serve_with(signed_channel, LIB, raw)  # the solver ignores fields it does not know; we do not
    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    assert plan.blocked and verdict_of(plan, LIB) == "untrusted"
    assert why in reason_for(plan, LIB)
    assert verdict_of(plan, APP) == "trusted"
    with pytest.raises(InstallRefused):
        core.installer().apply(plan)


@pytest.mark.parametrize(
    "raw", ['"x-note": "a", "x-note": "b"', '"x-deep": ' + "[" * 100 + "]" * 100, '"x-big": "' + "é" * 40000 + '"']
)
def test_a_defect_in_a_record_the_plan_does_not_link_changes_nothing(signed_channel, raw):
    serve_with(signed_channel, UNSIGNED, raw)
    core, prefix = signed_channel.core(), signed_channel.prefix()
    plan = core.planner().plan(["trusty-app"], prefix)
    assert not plan.blocked and {p.verdict for p in plan.packages} == {"trusted"}
    assert sorted(core.installer().apply(plan).linked) == [APP, LIB]


def test_nan_anywhere_refuses_the_repodata(signed_channel):
    serve_with(signed_channel, UNSIGNED, '"x-nan": NaN')  # not JSON: the solver refuses the whole document
    core, prefix = signed_channel.core(), signed_channel.prefix()
    with pytest.raises(Exception, match="unusable repodata"):
        core.planner().plan(["trusty-app"], prefix)


def test_a_record_key_planted_inside_another_record_is_not_the_record(signed_channel):
    fake = {**signed_channel.repodata()["packages.conda"][LIB], "sha256": "0" * 64}
    serve_with(signed_channel, UNSIGNED, f'"x-hidden": {json.dumps({LIB: fake})}')
    plan = signed_channel.core().planner().plan(["trusty-app"], signed_channel.prefix())
    assert not plan.blocked and verdict_of(plan, LIB) == "trusted"
    assert next(p.sha256 for p in plan.packages if p.filename == LIB) != "0" * 64


def test_a_section_that_is_not_an_object_blocks_its_records(signed_channel):
    repodata = signed_channel.repodata()
    repodata["signatures"] = ["not", "an", "object"]
    signed_channel.server.set_override(signed_channel.repodata_path, json.dumps(repodata).encode())
    plan = signed_channel.core().planner().plan(["trusty-app"], signed_channel.prefix())
    assert plan.blocked and "'signatures' is not an object" in reason_for(plan, LIB)


def test_a_defective_signature_entry_blocks_its_record(signed_channel):
    repodata = signed_channel.repodata()
    repodata["signatures"][LIB] = MARK
    key, value = next(iter(signed_channel.repodata()["signatures"][LIB].items()))
    raw = json.dumps({key: value, "x": 1})[:-1] + ', "x": 2}'
    text = json.dumps(repodata).replace(f'"{MARK}"', raw)
    signed_channel.server.set_override(signed_channel.repodata_path, text.encode())
    plan = signed_channel.core().planner().plan(["trusty-app"], signed_channel.prefix())
    assert plan.blocked and "duplicate JSON key 'x'" in reason_for(plan, LIB)


def test_only_linked_records_become_objects(tmp_path):
    records = {f"p{i}-1-0.conda": {"name": f"p{i}", "version": "1", "build": "0"} for i in range(2000)}
    path = tmp_path / "repodata.json"
    path.write_text(json.dumps({"packages": {}, "packages.conda": records, "signatures": {}}))
    file = RepodataFile(path)
    document = LazyRepodata(file)
    document.locate(["p7-1-0.conda", "p1999-1-0.conda", "missing-1-0.conda"])
    assert document["packages.conda"]["p7-1-0.conda"] == records["p7-1-0.conda"]
    assert document["packages.conda"].get("missing-1-0.conda") is None
    assert document["packages"].get("p7-1-0.conda") is None
    assert {fn for (_, fn), found in file._found.items() if found.value is not None} == {
        "p7-1-0.conda",
        "p1999-1-0.conda",
    }
    assert file._whole is None
    assert document["packages.conda"]["p42-1-0.conda"]["name"] == "p42"  # a later record: one more pass


def test_an_unsigned_document_has_no_signatures_section(tmp_path):
    path = tmp_path / "repodata.json"
    path.write_text(json.dumps({"packages": {}, "packages.conda": {"a-1-0.conda": {"name": "a"}}}))
    document = LazyRepodata(RepodataFile(path))
    assert document.get("signatures") is None and document["packages.conda"]["a-1-0.conda"] == {"name": "a"}


@pytest.mark.parametrize(
    ("data", "why"),
    [(b'{"a": ' + b"1" * 5000 + b"}", "not valid JSON"), (b'{"a": ' + b"[" * 70 + b"]" * 70 + b"}", "deeper")],
)
def test_what_a_record_may_not_hold(data, why):
    with pytest.raises(FormatError, match=why):
        loads_strict(data)


def test_a_scalar_document_parses():
    assert loads_strict(b"12") == 12


def test_a_capture_that_cannot_be_mapped_is_a_plan_error(signed_channel, tmp_path):
    from jupyter_trust.plans.service import CapturedRepodata

    captured = CapturedRepodata("c", "noarch", "u", "0" * 64, tmp_path / "gone.json", 0, 1)
    with pytest.raises(PlanError, match="could not be read"):
        _ = captured.document


def test_a_spare_solver_reads_ahead_and_still_solves_what_it_is_asked(signed_channel, tmp_path):
    from jupyter_trust.engine import rattler_engine as engine

    built = signed_channel.built
    local = engine.LocalRepodata(signed_channel.channel_url, built.subdir, str(built.repodata_path))
    gone = engine.LocalRepodata(signed_channel.channel_url, built.subdir, str(tmp_path / "gone.json"))
    worker = engine.Solving()
    worker.preload([gone, local])  # a file that is gone is skipped; the request decides
    result = worker.send(engine.solve_request(["trusty-app"], [local])).result()
    assert sorted(r["fn"] for r in result.records) == [APP, LIB]


def test_a_serving_core_keeps_a_spare_that_read_the_last_captures(signed_channel):
    core, prefix = signed_channel.core(serving_cache_bytes=1 << 30), signed_channel.prefix()
    first = core.planner().plan(["trusty-app"], prefix)
    second = core.planner().plan(["trusty-app"], prefix)
    assert second.packages == first.packages and not second.blocked
    core.close()
