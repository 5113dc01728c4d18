"""kill -9 of a real Jupyter server in the middle of linking: its link worker dies with it (no unsupervised writer
on the environment), the lock is free, status reports the interrupted install, and re-applying repairs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from channel_fixtures import make_signed_channel
from live_server import LiveServer, live_server

from jupyter_trust.demo.build import PackageSpec

FILES = 5000


def workers_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == pid and b"jupyter_trust.engine.worker" in cmdline:
            found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has stopped (in a container nobody may reap it)


def cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "jupyter_trust.cli", *argv]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def held_locks(pid: int) -> list[str]:
    """The environment locks (``<work>/locks/*.lock``) a process has open."""
    out = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.endswith(".lock") and Path(target).parent.name == "locks":
            out.append(target)
    return out


def kill_server_mid_link(server: LiveServer, linked_dir: Path) -> tuple[list[int], list[str]]:
    """SIGKILL the server alone (not its children) once files appear in ``linked_dir``; its link workers then,
    and the environment locks they held."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.proc.poll() is None:
        if linked_dir.is_dir() and any(linked_dir.iterdir()):
            linkers = workers_of(server.proc.pid)
            locks = [lock for pid in linkers for lock in held_locks(pid)]
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=30)
            return linkers, locks
        time.sleep(0.005)
    return [], []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the worker process")
def test_kill_9_of_the_server_stops_its_linker_and_frees_the_environment(tmp_path):
    files = {f"share/big/f{i:05d}.txt": f"file {i}\n" for i in range(FILES)}
    channel = make_signed_channel(tmp_path, packages=[PackageSpec("big-pkg", "1.0", files=files)], tamper=())
    try:
        prefix = channel.prefix("crash")
        linked_dir = prefix / "share" / "big"
        env = channel.jupyter_environ(tmp_path / "jupyter-config")
        with live_server(env, tmp_path) as server:
            plan = server.call("POST", "plans", {"specs": ["big-pkg"], "prefix": str(prefix)})
            assert not plan["blocked"], plan["reasons"]
            server.call("POST", "tasks", {"plan_id": plan["id"]})
            linkers, locks = kill_server_mid_link(server, linked_dir)
            if not linkers:
                pytest.skip("the install finished before linking could be caught in the act on this machine")
            assert locks, "the link worker does not hold the environment lock"
            for _ in range(20):  # killed by the kernel with its parent: at once, not when it is done
                if not any(running(pid) for pid in linkers):
                    break
                time.sleep(0.05)
            assert not any(running(pid) for pid in linkers), "the link worker outlived its server"
        count = len(list(linked_dir.iterdir()))
        time.sleep(1.0)
        assert len(list(linked_dir.iterdir())) == count  # nobody is linking any more

        status = json.loads(cli(env, "status", "--json").stdout)
        assert [t["prefix"] for t in status["interrupted_tasks"]] == [str(prefix)]
        again = cli(env, "install", "big-pkg", "--prefix", str(prefix), "--yes", "--json")  # the lock is free
        assert again.returncode == 0, again.stderr[-2000:]
        assert len(list(linked_dir.iterdir())) == FILES
        assert json.loads(cli(env, "status", "--json").stdout)["interrupted_tasks"] == []
    finally:
        channel.server.stop()
