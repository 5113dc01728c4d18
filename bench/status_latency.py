"""Latency of GET /jupyter-trust/status on a warm server, against /api/status as the in-run reference.

    python bench/status_latency.py [--requests 300] [--during-install]

Starts a real Jupyter server with jupyter_trust on 127.0.0.1 (temporary HOME/config), warms it up, then
measures client-side latencies one request at a time. Target: status p50 under 20 ms. With
``--during-install`` an install of the demo channel runs in the background while the status endpoint is
measured (target: p99 under 50 ms: the event loop stays responsive).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str, method: str = "GET", body: bytes | None = None) -> tuple[float, int, bytes]:
    req = urllib.request.Request(url, method=method, data=body, headers={"Authorization": f"token {token}"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as resp:
        data = resp.read()
        return (time.perf_counter() - t0) * 1000, resp.status, data


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure(url: str, token: str, n: int) -> list[float]:
    return [get(url, token)[0] for _ in range(n)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--during-install", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="jt-bench-"))
    env = {
        **os.environ,
        "HOME": str(tmp),
        "JUPYTER_CONFIG_DIR": str(tmp / "cfg"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
    }
    env.pop("CONDARC", None)
    server_args: list[str] = []
    channel = None
    if args.during_install:
        from jupyter_trust.demo.build import build_demo
        from jupyter_trust.demo.serve import ChannelServer

        built = build_demo(tmp / "demo")
        channel = ChannelServer(built.root_dir).start()
        condarc = tmp / "condarc"
        condarc.write_text(
            f"channels:\n  - {channel.url}/channel/demo\nextra_safety_checks: true\n"
            f"signing_metadata_url_base: {channel.url}/metadata\n"
        )
        env["CONDARC"] = str(condarc)
        env["JUPYTER_TRUST_ROOT"] = str(built.root_path)
        envs = tmp / "envs"
        (envs / "target" / "conda-meta").mkdir(parents=True)
        (envs / "target" / "conda-meta" / "history").touch()
        config = tmp / "jupyter_server_config.json"
        config.write_text(json.dumps({"JupyterTrustApp": {"allowed_prefix_roots": [str(envs)]}}))
        server_args.append(f"--config={config}")
    port, token = free_port(), secrets.token_hex(16)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={tmp}",
            "--allow-root",
            *server_args,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                get(f"{base}/api/status", token)
                break
            except OSError:
                time.sleep(0.1)
        measure(f"{base}/jupyter-trust/status", token, 20)  # warm-up
        ref = measure(f"{base}/api/status", token, args.requests)
        ours = measure(f"{base}/jupyter-trust/status", token, args.requests)
        print(f"reference /api/status          p50 {percentile(ref, 0.5):6.2f} ms  p95 {percentile(ref, 0.95):6.2f} ms")
        print(
            f"/jupyter-trust/status          p50 {percentile(ours, 0.5):6.2f} ms  p95 {percentile(ours, 0.95):6.2f} ms"
            f"  p99 {percentile(ours, 0.99):6.2f} ms"
        )
        print(
            f"ratio (status p50 / reference p50): {percentile(ours, 0.5) / percentile(ref, 0.5):.2f}"
            f"   target: status p50 < 20 ms -> {'OK' if percentile(ours, 0.5) < 20 else 'MISSED'}"
        )
        if args.during_install:
            body = json.dumps({"specs": ["trusty-app"], "prefix": str(tmp / "envs" / "target")}).encode()
            _, _, plan = get(f"{base}/jupyter-trust/plans", token, "POST", body)
            plan_id = json.loads(plan)["id"]
            _, _, task = get(f"{base}/jupyter-trust/tasks", token, "POST", json.dumps({"plan_id": plan_id}).encode())
            task_id = json.loads(task)["id"]
            during: list[float] = []
            state = "running"
            while state in ("queued", "running") and len(during) < 5000:
                during.append(get(f"{base}/jupyter-trust/status", token)[0])
                state = json.loads(get(f"{base}/jupyter-trust/tasks/{task_id}", token)[2])["state"]
            print(
                f"during install ({len(during)} requests, task {state}): p50 {statistics.median(during):.2f} ms"
                f"  p99 {percentile(during, 0.99):.2f} ms  target p99 < 50 ms -> "
                f"{'OK' if percentile(during, 0.99) < 50 else 'MISSED'}"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if channel is not None:
            channel.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
