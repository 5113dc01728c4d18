"""What jupyter_trust adds to a user's server: idle memory, and the peak while it plans against a large channel.

    python bench/server_footprint.py [--records 300000]

Starts ``jupyter server`` twice on 127.0.0.1 — with jupyter_trust disabled (the baseline) and enabled — and
reports the process tree's PSS and RSS (server plus children: the spare solver process) when idle after
start, the peak during a first ``POST /jupyter-trust/plans`` against the signed channel built by
``bench/plan_scale.py`` (``--records`` of them), and when idle again afterwards (repodata cache kept, the
spare solver started and having read the last plan's repodata ahead). "anonymous" is the part the kernel
cannot drop under memory pressure; the rest is mostly the mapped repodata file (clean page cache).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from plan_scale import TreeMemory, build, tree_sizes  # noqa: E402
from plan_speed import jupyter_server, plan_env, rest_plan  # noqa: E402


def settled(pid: int) -> tuple[int, int, int]:
    time.sleep(3)  # let a spare solver finish starting (and reading ahead)
    return tree_sizes(pid)


def main() -> int:
    from jupyter_trust.demo.serve import ChannelServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=300_000)
    args = parser.parse_args()
    base = build(args.records)
    server = ChannelServer(base / "served").start()
    channel_url = f"{server.url}/channel/bench"
    mib = 1024
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = plan_env(Path(tmp), server.url, channel_url, base)
            with jupyter_server(env, "--ServerApp.jpserver_extensions={'jupyter_trust': False}") as (proc, _, _):
                bare = settled(proc.pid)
        with tempfile.TemporaryDirectory() as tmp:
            env = plan_env(Path(tmp), server.url, channel_url, base)
            with jupyter_server(env) as (proc, url, headers):
                idle = settled(proc.pid)
                memory = TreeMemory(proc.pid)
                memory.start()
                took, _ = rest_plan(url, headers, Path(tmp) / "envs" / "target")
                memory.stop()
                after = settled(proc.pid)
    finally:
        server.stop()

    def row(label: str, pss: int, rss: int, anon: int | None = None) -> None:
        extra = f"  anonymous {anon / mib:5.0f} MiB" if anon is not None else ""
        print(f"{label:52} PSS {pss / mib:5.0f} MiB  RSS {rss / mib:5.0f} MiB{extra}")

    row("jupyter server without jupyter_trust, idle:", *bare)
    row("with jupyter_trust, idle after start:", *idle)
    row(f"peak during a first plan ({args.records:,} records, {took:.1f} s):", memory.peak_pss, memory.peak_rss)
    row("idle after the plan (cache + read-ahead spare):", *after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
