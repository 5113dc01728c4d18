"""Audit of an environment: a trusted, an attested, an unverified and a no-longer-listed package, through the
core, the command line and REST."""

from __future__ import annotations

import json

import pytest
from attest_fixtures import PUBLISHER, cli_env, fn, make_attested_channel
from test_server_install import call
from tornado.httpclient import HTTPClientError

from jupyter_trust.audit import audit
from jupyter_trust.cli import main as cli_main


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    attested = make_attested_channel(tmp_path_factory.mktemp("audit"))
    prefix = attested.channel.prefix("audited")
    core = attested.core()
    plan = core.planner().plan(["ct-only", "att-lib", "bare", "oldstyle"], prefix)
    assert not plan.blocked and plan.needs_confirmation, plan.reasons
    assert core.installer().apply(plan, confirm_unsigned=True).installed
    repodata = attested.channel.repodata()
    del repodata["packages.conda"][fn("oldstyle")]  # the channel drops it after the install
    attested.channel.serve_repodata(repodata)
    yield attested, prefix
    attested.stop()


def by_name(report: dict) -> dict[str, dict]:
    return {p["name"]: p for p in report["packages"]}


def test_audit_gives_both_verdicts_and_a_summary(audited):
    attested, prefix = audited
    report = audit(attested.core().plan_context(), prefix)
    rows = by_name(report.to_json())
    assert set(rows) == {"ct-only", "att-lib", "bare", "oldstyle"}
    assert rows["ct-only"]["verdict"] == "trusted" and rows["ct-only"]["attestation"]["status"] == "missing"
    assert rows["att-lib"]["verdict"] == "unsigned" and rows["att-lib"]["attestation"]["status"] == "verified"
    assert rows["att-lib"]["attestation"]["signer"]["repository"] == PUBLISHER.repository
    assert rows["bare"]["verdict"] == "unsigned" and rows["bare"]["attestation"]["status"] == "missing"
    assert rows["oldstyle"]["verdict"] == "not-found" and "any more" in rows["oldstyle"]["reason"]
    assert rows["oldstyle"]["attestation"]["status"] == "not-checked"
    for row in rows.values():
        assert set(row) == {
            "name",
            "version",
            "build",
            "channel",
            "filename",
            "sha256",
            "verdict",
            "reason",
            "attestation",
        }
        assert row["channel"] == attested.url and len(row["sha256"]) == 64
    summary = report.summary
    assert (summary["total"], summary["trusted"], summary["publisher_verified"], summary["unverified"]) == (4, 1, 1, 2)
    assert summary["text"] == "4 packages: 1 trusted, 1 publisher-verified, 2 unverified"
    assert not report.failed


def test_audit_fails_for_a_publisher_no_longer_allowed(audited):
    attested, prefix = audited
    report = audit(attested.core(trusted_publishers={attested.url: []}).plan_context(), prefix)
    assert by_name(report.to_json())["att-lib"]["attestation"]["status"] == "untrusted-publisher"
    assert report.failed


def test_installed_file_the_channel_now_lists_with_another_sha256_is_untrusted(audited, tmp_path):
    attested, prefix = audited
    meta = prefix / "conda-meta" / "bare-1.0-0.json"
    original = meta.read_text()
    try:
        record = json.loads(original)
        record["sha256"] = "f" * 64
        meta.write_text(json.dumps(record))
        report = audit(attested.core().plan_context(), prefix)
        assert by_name(report.to_json())["bare"]["verdict"] == "untrusted" and report.failed
    finally:
        meta.write_text(original)


def test_cli_audit_json_and_exit_codes(audited, tmp_path, monkeypatch, capsys):
    attested, prefix = audited
    cli_env(monkeypatch, tmp_path, attested)
    assert cli_main(["audit", "--prefix", str(prefix), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["prefix"] == str(prefix) and doc["summary"]["publisher_verified"] == 1
    assert cli_main(["audit", "--prefix", str(prefix)]) == 0
    assert "1 publisher-verified" in capsys.readouterr().out
    cli_env(monkeypatch, tmp_path, attested, trusted_publishers={attested.url: []})
    assert cli_main(["audit", "--prefix", str(prefix), "--json"]) == 1
    json.loads(capsys.readouterr().out)


def test_cli_audit_of_a_directory_that_is_no_environment_is_refused(audited, tmp_path, monkeypatch, capsys):
    attested, _ = audited
    cli_env(monkeypatch, tmp_path, attested)
    code = cli_main(["audit", "--prefix", str(attested.channel.envs / "nothing-here"), "--json"])
    assert code == 2 and "nothing-here" in capsys.readouterr().err


async def test_rest_audit(audited, jp_serverapp, jp_fetch):
    attested, prefix = audited
    attested.serve_from(jp_serverapp)
    response = await jp_fetch("jupyter-trust", "environments", "audit", params={"prefix": str(prefix)})
    report = json.loads(response.body)
    assert report["summary"]["text"] == "4 packages: 1 trusted, 1 publisher-verified, 2 unverified"
    assert by_name(report)["att-lib"]["attestation"]["status"] == "verified"
    error, _ = await call(jp_fetch, "GET", "environments", "audit", expect=400)
    assert "prefix" in error["message"]
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("jupyter-trust", "environments", "audit", params={"prefix": "/etc"})
    assert refused.value.code in (400, 403)


def test_magic_audit_and_plan_show_publishers(audited, tmp_path, monkeypatch, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    attested, prefix = audited
    cli_env(monkeypatch, tmp_path, attested)
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "jupyter_trust")
        shell.run_line_magic("conda_trust", f"audit --prefix {prefix}")
        out = capsys.readouterr().out
        assert "4 packages: 1 trusted, 1 publisher-verified, 2 unverified" in out
        assert "published by github.com/example-org/example-feedstock" in out
        shell.run_line_magic("conda_trust", f"plan foreign --prefix {prefix}")
        out = capsys.readouterr().out
        assert "UNTRUSTED PUBLISHER github.com/someone/else" in out and "BLOCKED" in out
    finally:
        InteractiveShell.clear_instance()
