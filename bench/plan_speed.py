"""Cost of a verified plan against a 20,000-record signed channel, vs. a bare rattler solve.

    python bench/plan_speed.py [--runs 5]

Builds (once, cached in bench/results/) a signed channel of 20,000 records in which ``bench-app`` pulls
~50 packages through its dependencies (the rest is noise), serves it and its trust metadata on 127.0.0.1,
then measures, each as a cold whole process (fresh interpreter, empty caches):

* reference: a bare rattler fetch + solve of ``bench-app`` (no verification) in a fresh Python process;
* ``jupyter conda-trust plan bench-app --prefix <empty env> --json`` (trust-chain refresh, repodata
  download, strict parse, solve in the rattler worker, verification of every record to be linked).

and, on a warm server (``jupyter server`` with jupyter_trust, after one first plan), ``POST
/jupyter-trust/plans`` for the same spec.

Prints medians and the ratio.
Targets: CLI plan <= 2x the reference; warm REST plan < 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "plan-channel"
RECORDS = 20_000
DEPS = 49
T = TypeVar("T")

REFERENCE = r"""
import asyncio, os, sys, time
t0 = time.perf_counter()
import rattler
from rattler import Channel, Platform, fetch_repo_data, solve_with_sparse_repodata
async def main():
    sparse = await fetch_repo_data(channels=[Channel(sys.argv[1])], platforms=[Platform.current(), Platform("noarch")],
                                   cache_path=sys.argv[2], callback=None)
    records = await solve_with_sparse_repodata(["bench-app"], sparse)
    return len(records)
n = asyncio.run(main())
print(n, time.perf_counter() - t0, flush=True)
os._exit(0)
"""


def build() -> Path:
    from jupyter_trust.cct.signing import (
        generate_keypair,
        sign_repodata,
    )

    marker = RESULTS / "built"
    if marker.exists():
        return RESULTS
    shutil.rmtree(RESULTS, ignore_errors=True)
    root_key, km_key, pkg_key = generate_keypair(), generate_keypair(), generate_keypair()
    packages = {}

    def add(name: str, version: str, depends: list[str]) -> None:
        fn = f"{name}-{version}-0.conda"
        packages[fn] = {
            "name": name,
            "version": version,
            "build": "0",
            "build_number": 0,
            "depends": depends,
            "license": "BSD-3-Clause",
            "md5": "0" * 32,
            "sha256": f"{len(packages):064x}",
            "size": 1000 + len(packages),
            "subdir": "noarch",
            "noarch": "generic",
            "timestamp": 1_700_000_000_000,
        }

    add("bench-app", "1.0", [f"bench-dep-{i}" for i in range(DEPS)])
    for i in range(DEPS):
        add(f"bench-dep-{i}", "1.0", [])
    noise = 0
    while len(packages) < RECORDS:
        add(f"noise-{noise // 10}", f"1.{noise % 10}", [f"noise-{(noise // 10 + 1) % 1000}"])
        noise += 1
    repodata = {"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": packages, "repodata_version": 1}
    sign_repodata(repodata, pkg_key)
    write_channel(RESULTS / "served", json.dumps(repodata), root_key, km_key, pkg_key.public_hex)
    marker.touch()
    return RESULTS


def write_channel(served: Path, noarch_repodata: str, root_key: Any, km_key: Any, pkg_mgr_public: str) -> None:
    """The channel ``bench`` (its noarch repodata, empty platform subdirs) and its root and key_mgr."""
    from jupyter_trust.cct.canonical import canonical
    from jupyter_trust.cct.signing import build_key_mgr, build_root, sign_openpgp, sign_raw

    channel = served / "channel" / "bench"
    (channel / "noarch").mkdir(parents=True)
    (channel / "noarch" / "repodata.json").write_text(noarch_repodata)
    for subdir in ("linux-64", "linux-aarch64", "osx-64", "osx-arm64", "win-64"):
        (channel / subdir).mkdir()
        (channel / subdir / "repodata.json").write_text(json.dumps({"info": {"subdir": subdir}, "packages": {}}))
    meta = served / "metadata"
    meta.mkdir(parents=True)
    root = sign_openpgp(build_root([root_key.public_hex], 1, [km_key.public_hex], 1), root_key)
    (meta / "1.root.json").write_bytes(canonical(root))
    (meta / "key_mgr.json").write_bytes(canonical(sign_raw(build_key_mgr([pkg_mgr_public], 1), km_key)))


def timed(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise RuntimeError(out.stderr[-2000:])
    return elapsed


def plan_env(tmpp: Path, server_url: str, channel_url: str, base: Path) -> dict[str, str]:
    """An empty target environment, a condarc for the bench channel and a Jupyter config allowing it."""
    condarc = tmpp / "condarc"
    condarc.write_text(
        f"channels: [{channel_url}]\nextra_safety_checks: true\nsigning_metadata_url_base: {server_url}/metadata\n"
    )
    (tmpp / "envs" / "target" / "conda-meta").mkdir(parents=True)
    (tmpp / "envs" / "target" / "conda-meta" / "history").touch()
    (tmpp / "cfg").mkdir()
    (tmpp / "cfg" / "jupyter_server_config.json").write_text(
        json.dumps({"JupyterTrustApp": {"allowed_prefix_roots": [str(tmpp / "envs")]}})
    )
    return {
        **os.environ,
        "HOME": str(tmpp),
        "CONDARC": str(condarc),
        "JUPYTER_CONFIG_DIR": str(tmpp / "cfg"),
        "JUPYTER_DATA_DIR": str(tmpp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmpp / "runtime"),
        "JUPYTER_TRUST_ROOT": str(base / "served" / "metadata" / "1.root.json"),
    }


def cold_runs(
    server_url: str,
    channel_url: str,
    base: Path,
    runs: int,
    measure: Callable[[list[str], dict[str, str]], T],
    reference_script: str | None = None,
) -> tuple[list[T], list[T]]:
    """``runs`` alternating cold runs of the bare rattler reference (``reference_script``, by default a fetch +
    solve of the monolithic repodata) and of ``jupyter conda-trust plan``."""
    reference, ours = [], []
    cli = shutil.which("jupyter-conda-trust") or "jupyter-conda-trust"
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            script = reference_script or REFERENCE
            reference.append(measure([sys.executable, "-c", script, channel_url, tmp], dict(os.environ)))
        with tempfile.TemporaryDirectory() as tmp:
            tmpp = Path(tmp)
            env = plan_env(tmpp, server_url, channel_url, base)
            ours.append(measure([cli, "plan", "bench-app", "--prefix", str(tmpp / "envs" / "target"), "--json"], env))
    return reference, ours


@contextlib.contextmanager
def jupyter_server(env: dict[str, str], *extra: str) -> Iterator[tuple[subprocess.Popen, str, dict[str, str]]]:
    """A real ``jupyter server`` on 127.0.0.1, up and answering: (process, base URL, request headers)."""
    import secrets
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_hex(16)
    argv = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1"]
    argv += [f"--IdentityProvider.token={token}", *extra]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter server exited with code {proc.returncode}")
            try:
                urllib.request.urlopen(urllib.request.Request(f"{base}/api/status", headers=headers), timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        yield proc, base, headers
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def rest_plan(base: str, headers: dict[str, str], prefix: Path) -> tuple[float, dict]:
    """One ``POST /jupyter-trust/plans`` of ``bench-app``: its latency and the plan document."""
    body = json.dumps({"specs": ["bench-app"], "prefix": str(prefix)}).encode()
    t0 = time.perf_counter()
    request = urllib.request.Request(f"{base}/jupyter-trust/plans", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 201
        document = response.read()
    return time.perf_counter() - t0, json.loads(document)


def rest_plans(
    env: dict[str, str],
    prefix: Path,
    runs: int,
    check: Callable[[dict], None] | None = None,
    gap: float = 0.3,
) -> tuple[float, list[float]]:
    """First and warm ``POST /jupyter-trust/plans`` latencies on a real ``jupyter server``, ``gap`` seconds
    apart (as between a user's clicks: the next spare solver starts, and reads ahead, in between); ``check``
    sees each plan document, outside the timing."""
    with jupyter_server(env) as (_, base, headers):
        times = []
        for _ in range(runs + 1):
            took, document = rest_plan(base, headers, prefix)
            times.append(took)
            if check is not None:
                check(document)
            time.sleep(gap)
        return times[0], times[1:]


def main() -> int:
    from jupyter_trust.demo.serve import ChannelServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # An installed package is byte-compiled (pip does it); an editable checkout under
    # PYTHONDONTWRITEBYTECODE would otherwise recompile every module in every cold run.
    import compileall

    import jupyter_trust

    compileall.compile_dir(str(Path(jupyter_trust.__file__).parent), quiet=1)
    base = build()
    server = ChannelServer(base / "served").start()
    channel_url = f"{server.url}/channel/bench"
    try:
        ref_times, cli_times = cold_runs(server.url, channel_url, base, args.runs, timed)
        with tempfile.TemporaryDirectory() as tmp:
            tmpp = Path(tmp)
            env = plan_env(tmpp, server.url, channel_url, base)
            first, warm = rest_plans(env, tmpp / "envs" / "target", args.runs * 2)
    finally:
        server.stop()
    ref, cli = statistics.median(ref_times), statistics.median(cli_times)
    print(f"reference: bare rattler fetch+solve, fresh process   median {ref * 1000:7.0f} ms")
    print(f"jupyter conda-trust plan (cold, verified)            median {cli * 1000:7.0f} ms")
    print(f"ratio: {cli / ref:.2f}x   target <= 2.0x -> {'OK' if cli / ref <= 2 else 'MISSED'}")
    rest = statistics.median(warm)
    print(f"POST /jupyter-trust/plans, first on a new server            {first * 1000:7.0f} ms")
    print(f"POST /jupyter-trust/plans, warm server                median {rest * 1000:7.0f} ms")
    print(f"warm REST plan / reference: {rest / ref:.2f}x   target < 100 ms -> {'OK' if rest < 0.1 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
