"""The rattler boundary: a child process with reliable exit codes and clear, token-free errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jupyter_trust.engine import rattler_engine as engine


def test_solve_over_local_files_only(signed_channel):
    path = signed_channel.built.repodata_path
    repodata = [engine.LocalRepodata(signed_channel.channel_url, "noarch", str(path))]
    signed_channel.server.stop()  # the engine never downloads repodata itself
    result = engine.solve(["trusty-app"], repodata)
    assert sorted(r["fn"] for r in result.records) == ["trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"]
    assert all(r["sha256"] and r["url"].startswith(signed_channel.channel_url) for r in result.records)
    assert result.installed == []


def test_unsatisfiable_spec_is_a_clear_error(signed_channel):
    repodata = [engine.LocalRepodata(signed_channel.channel_url, "noarch", str(signed_channel.built.repodata_path))]
    with pytest.raises(engine.EngineError, match="no-such-package"):
        engine.solve(["no-such-package"], repodata)


def test_missing_repodata_file_is_a_clear_error(tmp_path):
    with pytest.raises(engine.EngineError):
        engine.solve(["x"], [engine.LocalRepodata("http://127.0.0.1:9/c", "noarch", str(tmp_path / "missing.json"))])


@pytest.mark.parametrize(
    "request_text", ["", "not json", "[]", json.dumps({"op": "rm -rf"}), json.dumps({"op": "solve"})]
)
def test_malformed_worker_requests_are_answered_not_crashed(request_text):
    out = subprocess.run([*engine.WORKER], input=request_text.encode(), capture_output=True, timeout=120)
    assert out.returncode == 0
    reply = json.loads(out.stdout)
    assert reply["ok"] is False and reply["error"]


def test_worker_exit_codes_are_reliable(signed_channel):
    request = json.dumps(
        {
            "op": "solve",
            "specs": ["trusty-app"],
            "repodata": [
                {
                    "channel": signed_channel.channel_url,
                    "subdir": "noarch",
                    "path": str(signed_channel.built.repodata_path),
                }
            ],
            "prefix": None,
        }
    ).encode()
    for _ in range(20):
        out = subprocess.run(
            [sys.executable, "-m", "jupyter_trust.engine.worker"], input=request, capture_output=True, timeout=120
        )
        assert out.returncode == 0, out.stderr[-500:]
        assert json.loads(out.stdout)["ok"] is True


def test_link_refuses_an_archive_that_is_not_a_package(signed_channel, tmp_path):
    from channel_fixtures import tree_digest

    prefix = signed_channel.prefix()
    record = {"name": "trusty-lib", "fn": "trusty-lib-1.0-0.conda"}
    bogus = tmp_path / "trusty-lib-1.0-0.conda"
    bogus.write_bytes(b"not a zip archive")
    source = engine.LocalRepodata(signed_channel.channel_url, "noarch", str(signed_channel.built.repodata_path))
    before = tree_digest(prefix)
    with pytest.raises(engine.EngineError, match="not a valid conda package"):
        engine.link(str(prefix), [engine.LinkArtifact(record, str(bogus), source)], cache_dir=str(tmp_path / "pkgs"))
    assert tree_digest(prefix) == before
