"""Local write failures on real read-only and full filesystems (tmpfs mounts in a mount namespace the test makes):
each is a LocalError of the right kind naming the file and the cause, and a full disk while linking leaves a record
that says the environment needs repair. Skipped, with the reason, where the test cannot make such a mount."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from channel_fixtures import make_signed_channel

from jupyter_trust.demo.build import PackageSpec
from jupyter_trust.errors import Kind, LocalError
from jupyter_trust.server.base import error_status

PROBE = "mkdir -p {d} && mount -t tmpfs -o size=64k tmpfs {d} && mount -o remount,ro {d}"


def _namespace_reason(tmp: Path) -> str | None:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return "needs Linux with unshare(1) to make read-only and full filesystems"
    probe = tmp / "probe"
    argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", PROBE.format(d=shlex.quote(str(probe)))]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except OSError as exc:
        return f"unshare could not run: {exc}"
    if done.returncode != 0:
        return f"cannot mount a tmpfs in a private mount namespace here ({done.stderr.strip()[:200]})"
    return None


@pytest.fixture
def namespace(tmp_path):
    """Run a shell script in a private mount namespace; its mounts vanish with it."""
    reason = _namespace_reason(tmp_path)
    if reason:
        pytest.skip(reason)

    def run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        argv = ["unshare", "-m", "--propagation", "private", "sh", "-ec", script]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)

    return run


CLASSIFY = textwrap.dedent(
    """
    import json, sys
    from jupyter_trust.conda.condarc import CondarcLocation
    from jupyter_trust.core import Core
    from jupyter_trust.errors import classify
    from jupyter_trust.policy import Policy
    try:
        core = Core(policy=Policy.load({"allowed_prefix_roots": [sys.argv[2]]}))
        if sys.argv[1] == "plan":
            core.planner().plan(["trusty-app"], core.target_prefix(sys.argv[3]))
        else:
            core.settings().set_verification(True, location=CondarcLocation.resolve("user"))
        print(json.dumps({"ok": True}))
    except Exception as exc:
        c = classify(exc)
        print(json.dumps({"type": type(exc).__name__, "kind": c.kind.value, "message": c.message}))
    """
)


def classify_in(namespace, mounts: str, env: dict[str, str], *args: str) -> dict:
    command = shlex.join([sys.executable, "-c", CLASSIFY, *args])
    script = f"{mounts}\nexec {command}"
    done = namespace(script, env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_table_gives_each_local_kind_its_status():
    for kind, status in ((Kind.NO_SPACE, 507), (Kind.LOCAL_DENIED, 403), (Kind.LOCAL_STATE, 409)):
        assert error_status(LocalError("x", kind=kind)) == status


def test_a_read_only_data_dir_is_local_denied_naming_the_place(namespace, signed_channel, tmp_path):
    data = tmp_path / "ro-data"
    env = {**signed_channel.environ, "JUPYTER_DATA_DIR": str(data)}
    mounts = f"mkdir -p {data} && mount -t tmpfs -o ro,size=64k tmpfs {data}"
    prefix = signed_channel.prefix()
    result = classify_in(namespace, mounts, env, "plan", str(signed_channel.envs), str(prefix))
    assert result["type"] == "LocalError" and result["kind"] == "local_denied", result
    assert "Read-only file system" in result["message"] and str(data) in result["message"]


def test_a_read_only_home_refuses_the_condarc_write_with_the_cause(namespace, signed_channel, tmp_path):
    home = tmp_path / "ro-home"
    env = {**signed_channel.environ, "HOME": str(home)}
    env.pop("CONDARC", None)
    mounts = f"mkdir -p {home} && mount -t tmpfs -o ro,size=64k tmpfs {home}"
    result = classify_in(namespace, mounts, env, "verification", str(signed_channel.envs))
    assert result["kind"] == "local_denied", result
    assert "Read-only file system" in result["message"] and ".condarc" in result["message"]


def test_a_full_data_dir_is_no_space_naming_the_place(namespace, signed_channel, tmp_path):
    data = tmp_path / "full-data"
    env = {**signed_channel.environ, "JUPYTER_DATA_DIR": str(data)}
    # room for the directories, not for a repodata capture
    mounts = f"mkdir -p {data} && mount -t tmpfs -o size=8k tmpfs {data}"
    result = classify_in(namespace, mounts, env, "plan", str(signed_channel.envs), str(signed_channel.prefix()))
    assert result["kind"] == "no_space", result
    assert "No space left on device" in result["message"] and str(data) in result["message"]


def test_a_full_disk_while_linking_leaves_a_record_that_asks_for_repair(namespace, tmp_path):
    files = {f"share/big/f{i:05d}.txt": f"file {i}\n" for i in range(2000)}
    channel = make_signed_channel(tmp_path, packages=[PackageSpec("big-pkg", "1.0", files=files)], tamper=())
    try:
        env = channel.jupyter_environ(tmp_path / "jupyter-config")
        prefix = channel.envs / "small"
        cli = f"{shlex.quote(sys.executable)} -m jupyter_trust.cli"
        out = tmp_path / "out"
        out.mkdir()
        script = f"""
            mkdir -p {prefix} && mount -t tmpfs -o size=1m tmpfs {prefix}
            mkdir {prefix}/conda-meta && touch {prefix}/conda-meta/history
            set +e
            {cli} install big-pkg --prefix {prefix} --yes --json > {out}/install.json 2> {out}/install.err
            echo $? > {out}/install.rc
            {cli} status --json > {out}/status.json
        """
        done = namespace(textwrap.dedent(script), env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert (out / "install.rc").read_text().strip() != "0"
        assert "No space left on device" in (out / "install.err").read_text()
        interrupted = json.loads((out / "status.json").read_text())["interrupted_tasks"]
        assert [t["prefix"] for t in interrupted] == [str(prefix)]
        assert "failed while linking" in interrupted[0]["error"] and "re-run the plan" in interrupted[0]["error"]
        assert set(interrupted[0]) >= {"id", "plan_id", "prefix", "state", "error"}
        assert "needs_repair" not in interrupted[0] and "pid" not in interrupted[0]
    finally:
        channel.server.stop()
