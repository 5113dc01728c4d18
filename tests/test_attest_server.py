"""Attestations through the REST API and the CLI: plan documents, the 409 for a swapped sidecar, the status."""

from __future__ import annotations

import json

import pytest
from attest_fixtures import PUBLISHER, cli_env, fn, make_attested_channel
from sigstore_fixtures import sidecar
from test_server_install import call, wait_task

from jupyter_trust.cli import main as cli_main


@pytest.fixture
def attested_server(tmp_path, jp_serverapp):
    attested = make_attested_channel(tmp_path)
    attested.serve_from(jp_serverapp)
    yield attested
    attested.stop()


async def test_attested_plan_installs_over_rest(attested_server, jp_fetch):
    prefix = attested_server.channel.prefix()
    plan, _ = await call(jp_fetch, "POST", "plans", body={"specs": ["att-app"], "prefix": str(prefix)}, expect=201)
    assert not plan["blocked"] and not plan["needs_confirmation"], plan["reasons"]
    for package in plan["packages"]:
        assert package["verdict"] == "unsigned"
        assert package["attestation"]["status"] == "verified"
        assert package["attestation"]["signer"]["repository"] == PUBLISHER.repository
    task, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=202)
    done = await wait_task(jp_fetch, task["id"])
    assert done["state"] == "succeeded", done


async def test_untrusted_publisher_plan_cannot_be_installed(attested_server, jp_fetch):
    prefix = attested_server.channel.prefix()
    plan, _ = await call(jp_fetch, "POST", "plans", body={"specs": ["foreign"], "prefix": str(prefix)}, expect=201)
    assert plan["blocked"] and plan["packages"][0]["attestation"]["status"] == "untrusted-publisher"
    error, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=422)
    assert "untrusted-publisher" in error["message"]


async def test_sidecar_swapped_after_planning_is_409(attested_server, jp_fetch):
    prefix = attested_server.channel.prefix()
    plan, _ = await call(jp_fetch, "POST", "plans", body={"specs": ["att-lib"], "prefix": str(prefix)}, expect=201)
    assert not plan["blocked"]
    record = attested_server.record("att-lib")
    other = sidecar(attested_server.sigstore.attest(fn("att-lib"), record["sha256"], PUBLISHER))
    for name in (f"{fn('att-lib')}.sigs.{record['attestations_sha256']}", f"{fn('att-lib')}.sigs"):
        attested_server.channel.server.set_override(attested_server.path(name), other)
    error, _ = await call(jp_fetch, "POST", "tasks", body={"plan_id": plan["id"]}, expect=409)
    assert "attestation sidecar" in error["message"] and "plan again" in error["message"]
    assert not list((prefix / "conda-meta").glob("*.json"))


async def test_status_shows_the_sigstore_root_and_publishers(attested_server, jp_fetch):
    response = await jp_fetch("jupyter-trust", "status")
    doc = json.loads(response.body)["attestations"]
    root = doc["sigstore_root"]
    assert root["path"] == str(attested_server.root_path) and root["source"].startswith("policy")
    assert root["date"] and len(root["sha256"]) == 64 and root["error"] is None
    channel = next(c for c in doc["channels"] if c["url"] == attested_server.url)
    assert channel["attestations"] == "report"
    assert channel["publishers"] == [PUBLISHER.policy_entry()]
    assert channel["v0_sigs"] is False


def test_cli_plan_json_carries_attestations(tmp_path, monkeypatch, capsys):
    attested = make_attested_channel(tmp_path)
    try:
        cli_env(monkeypatch, tmp_path, attested)
        prefix = attested.channel.prefix()
        assert cli_main(["plan", "foreign", "--prefix", str(prefix), "--json"]) == 1
        doc = json.loads(capsys.readouterr().out)
        assert doc["blocked"] and doc["packages"][0]["attestation"]["status"] == "untrusted-publisher"
        assert cli_main(["plan", "att-lib", "--prefix", str(prefix), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["packages"][0]["attestation"]["status"] == "verified"
        assert cli_main(["status"]) == 0
        text = capsys.readouterr().out
        assert "Sigstore root" in text and PUBLISHER.repository in text
    finally:
        attested.stop()


def test_plan_text_and_html_show_the_publisher(tmp_path):
    from jupyter_trust.render import plan_html, plan_text

    attested = make_attested_channel(tmp_path)
    try:
        core = attested.core()
        ok = core.planner().plan(["att-lib"], attested.channel.prefix()).to_json()
        bad = core.planner().plan(["foreign"], attested.channel.prefix()).to_json()
    finally:
        attested.stop()
    line = "published by github.com/example-org/example-feedstock · publish.yaml · refs/heads/main"
    assert line in plan_text(ok) and line in plan_html(ok)
    assert "UNTRUSTED PUBLISHER github.com/someone/else" in plan_text(bad)
    assert "attestation untrusted-publisher" in plan_text(bad)
