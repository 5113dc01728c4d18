"""S12: the installer killed in the middle of linking; re-applying the plan repairs the environment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from channel_fixtures import make_signed_channel

from jupyter_trust.demo.build import PackageSpec

FILES = 5000


def interrupted_tasks(env: dict[str, str]) -> list[dict]:
    argv = [sys.executable, "-m", "jupyter_trust.cli", "status", "--json"]
    status = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    return json.loads(status.stdout)["interrupted_tasks"]


def test_kill_during_linking_then_reapply_repairs(tmp_path):
    files = {f"share/big/f{i:05d}.txt": f"file {i}\n" for i in range(FILES)}
    channel = make_signed_channel(tmp_path, packages=[PackageSpec("big-pkg", "1.0", files=files)], tamper=())
    try:
        prefix = channel.prefix("crash")
        env = channel.jupyter_environ(tmp_path / "jupyter-config")
        argv = [
            sys.executable,
            "-m",
            "jupyter_trust.cli",
            "install",
            "big-pkg",
            "--prefix",
            str(prefix),
            "--yes",
            "--json",
        ]
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        linked_dir = prefix / "share" / "big"
        deadline = time.monotonic() + 120
        killed = False
        while time.monotonic() < deadline and proc.poll() is None:
            if linked_dir.is_dir() and any(linked_dir.iterdir()):
                os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its rattler worker, mid-link
                killed = True
                break
            time.sleep(0.005)
        proc.wait(timeout=60)
        record = prefix / "conda-meta" / "big-pkg-1.0-0.json"
        if killed:
            # Half linked: files on disk, no conda-meta record — the state an interrupted install leaves,
            # and the next status says so.
            assert not record.exists() or len(list(linked_dir.iterdir())) == FILES
            interrupted = interrupted_tasks(env)
            assert [t["prefix"] for t in interrupted] == [str(prefix)]
            assert interrupted[0]["state"] == "interrupted" and "re-run" in interrupted[0]["error"]
        # Re-applying (a fresh plan: the environment's records did not change) repairs it.
        again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr[-2000:]
        assert json.loads(again.stdout)["installed"] is True
        assert record.exists()
        assert len(list(linked_dir.iterdir())) == FILES
        assert (linked_dir / "f04999.txt").read_text() == "file 4999\n"
        meta = json.loads(record.read_text())
        assert len(meta.get("files", [])) == FILES
        assert interrupted_tasks(env) == []  # the repair resolved the interrupted install
    finally:
        channel.server.stop()
