"""Time and memory of a verified plan as the channel grows (20,000 / 100,000 / 300,000 records), vs. rattler.

    python bench/plan_scale.py [--runs 3] [--sizes 20000,100000,300000] [--no-rest]

For each size, builds (once, cached in bench/results/scale-<N>/) a signed channel whose records look like
conda-forge's (≈ 750 bytes each with their signature: 300,000 records ≈ 225 MB of repodata.json), in which
``bench-app`` pulls ~50 packages, serves it on 127.0.0.1 and measures, each as a cold whole process tree:

* reference: a bare rattler fetch + solve of ``bench-app`` (no verification) in a fresh Python process;
* ``jupyter conda-trust plan bench-app --prefix <empty env> --json`` (trust refresh, download, solve in the
  rattler worker, strict parse and verification of every record to be linked).

Memory is sampled from /proc every 20 ms over the whole process tree (the CLI and its solver worker):
``tree PSS`` sums proportional set sizes (a page two processes map, e.g. the repodata file the CLI and its
worker both map, counts once in total: what a container's memory limit sees), ``tree RSS`` sums resident
sizes (shared pages counted in each process). Then, at the largest size, ``POST /jupyter-trust/plans`` on
a warm ``jupyter server`` (its repodata cache kept and its spare solver started), plans 2 s apart.

Targets: time and tree PSS <= 1.5x the reference at 100k and 300k, <= 2x at 20k; warm REST plan < 300 ms.

``--sharded`` serves the same channel as CEP 16 shards instead (``repodata_shards.msgpack.zst`` and one shard per
package name, each carrying its files' signatures; no ``repodata.json`` in noarch), and the reference is rattler's
own gateway solving from those shards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from plan_speed import cold_runs, plan_env, rest_plans, write_channel  # noqa: E402

DEPS = 49
#: seconds between warm REST plans: the spare solver started after a plan reads a 250 MB repodata ahead in
#: about a second here, and a user's next plan comes later than that
REST_GAP = 2.0


def _record(index: int, name: str, version: str, depends: list[str]) -> tuple[str, dict]:
    build = f"h{index:08x}_0"
    fn = f"{name}-{version}-{build}.conda"
    return fn, {
        "build": build,
        "build_number": 0,
        "constrains": [f"{name}-extra >={version}"],
        "depends": depends,
        "license": "BSD-3-Clause",
        "license_family": "BSD",
        "md5": hashlib.md5(fn.encode()).hexdigest(),
        "name": name,
        "noarch": "generic",
        "sha256": hashlib.sha256(fn.encode()).hexdigest(),
        "size": 100_000 + index,
        "subdir": "noarch",
        "timestamp": 1_700_000_000_000 + index,
        "version": version,
    }


def _sign_part(args: tuple[str, list[tuple[str, dict]]]) -> dict:
    from jupyter_trust.cct.canonical import canonical
    from jupyter_trust.cct.signing import sign_raw_bytes

    private_hex, public_hex = args[0].split(":")
    return {fn: {public_hex: {"signature": sign_raw_bytes(private_hex, canonical(r))}} for fn, r in args[1]}


#: the sharded reference: rattler's gateway (which reads a channel's shard index where there is one) and solver
REFERENCE_SHARDED = r"""
import asyncio, os, sys, time
t0 = time.perf_counter()
from rattler import Channel, Gateway, Platform, solve
async def main():
    gateway = Gateway(cache_dir=sys.argv[2])
    records = await solve([Channel(sys.argv[1])], ["bench-app"], gateway=gateway,
                          platforms=[Platform.current(), Platform("noarch")])
    return len(records)
n = asyncio.run(main())
print(n, time.perf_counter() - t0, flush=True)
os._exit(0)
"""


def build(records: int) -> Path:
    """A signed channel of ``records`` records (plus its trust metadata), built once."""
    from concurrent.futures import ProcessPoolExecutor

    from jupyter_trust.cct.signing import generate_keypair

    base = HERE / "results" / f"scale-{records}"
    if (base / "built").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    root_key, km_key, pkg_key = generate_keypair(), generate_keypair(), generate_keypair()
    items = [_record(0, "bench-app", "1.0", [f"bench-dep-{i} >=1.0" for i in range(DEPS)])]
    items += [_record(1 + i, f"bench-dep-{i}", "1.0", []) for i in range(DEPS)]
    noise = 0
    while len(items) < records:
        deps = [f"noise-{(noise // 10 + 1) % 5000} >=1.0", "libzlib >=1.2.13,<2.0a0", "python >=3.8"]
        items.append(_record(len(items), f"noise-{noise // 10}", f"1.{noise % 10}", deps))
        noise += 1
    step = 5000
    parts = [(f"{pkg_key.private_hex}:{pkg_key.public_hex}", items[i : i + step]) for i in range(0, len(items), step)]
    signatures: dict = {}
    with ProcessPoolExecutor() as pool:
        for part in pool.map(_sign_part, parts):
            signatures.update(part)
    repodata = {
        "info": {"subdir": "noarch"},
        "packages": {},
        "packages.conda": dict(items),
        "repodata_version": 1,
        "signatures": signatures,
    }
    write_channel(base / "served", json.dumps(repodata, indent=1, sort_keys=True), root_key, km_key, pkg_key.public_hex)
    (base / "built").touch()
    return base


def build_sharded(base: Path) -> Path:
    """The channel of ``base`` served as CEP 16 shards (built once, beside the monolithic one)."""
    import msgspec

    from jupyter_trust.plans.shards import SHARD_INDEX

    if sys.version_info >= (3, 14):
        from compression.zstd import compress
    else:
        from backports.zstd import compress

    served = base / "served-sharded"
    if (base / "built-sharded").exists():
        return served
    shutil.rmtree(served, ignore_errors=True)
    shutil.copytree(base / "served", served, ignore=lambda d, names: ["repodata.json"] if d.endswith("noarch") else [])
    repodata = json.loads((base / "served" / "channel" / "bench" / "noarch" / "repodata.json").read_bytes())
    by_name: dict[str, dict] = {}
    for fn, record in repodata["packages.conda"].items():
        shard = by_name.setdefault(record["name"], {"packages": {}, "packages.conda": {}, "signatures": {}})
        shard["packages.conda"][fn] = {
            **record,
            "sha256": bytes.fromhex(record["sha256"]),
            "md5": bytes.fromhex(record["md5"]),
        }
        shard["signatures"][fn] = repodata["signatures"][fn]
    noarch = served / "channel" / "bench" / "noarch"
    (noarch / "shards").mkdir()
    hashes = {}
    for name, shard in by_name.items():
        data = compress(msgspec.msgpack.encode(shard))
        hashes[name] = hashlib.sha256(data).digest()
        (noarch / "shards" / f"{hashes[name].hex()}.msgpack.zst").write_bytes(data)
    index = {"info": {"subdir": "noarch", "base_url": "./", "shards_base_url": "./shards/"}, "shards": hashes}
    (noarch / SHARD_INDEX).write_bytes(compress(msgspec.msgpack.encode(index)))
    (base / "built-sharded").touch()
    return served


# -- memory of a process tree ---------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _sizes(pid: int) -> tuple[int, int, int]:
    """(Pss, Rss, Pss_Anon) in KiB: Pss_Anon is what the kernel cannot drop (mapped files it can re-read)."""
    pss = rss = anon = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss_Anon:"):
                    anon = int(line.split()[1])
    except OSError:
        pass
    return pss, rss, anon


def tree_sizes(root: int) -> tuple[int, int, int]:
    """(PSS, RSS, anonymous PSS) in KiB summed over ``root`` and all its descendants, now."""
    tree, pids, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(tree.get(pid, []))
    sizes = [_sizes(pid) for pid in pids]
    return sum(s[0] for s in sizes), sum(s[1] for s in sizes), sum(s[2] for s in sizes)


class TreeMemory(threading.Thread):
    """Peak summed PSS and RSS of ``pid`` and all its descendants, sampled until :meth:`stop`."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_pss = self.peak_rss = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            pss, rss, _ = tree_sizes(self.pid)
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def measured(argv: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(seconds, peak tree PSS KiB, peak tree RSS KiB) of one whole run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    memory = TreeMemory(proc.pid)
    memory.start()
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - t0
    memory.stop()
    if proc.returncode not in (0, 1):
        raise RuntimeError(stderr.decode()[-2000:])
    return elapsed, memory.peak_pss, memory.peak_rss


def main() -> int:
    from jupyter_trust.demo.serve import ChannelServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="20000,100000,300000")
    parser.add_argument("--no-rest", action="store_true", help="skip the warm REST plan")
    parser.add_argument("--sharded", action="store_true", help="serve the channel as CEP 16 shards")
    args = parser.parse_args()
    import compileall

    import jupyter_trust

    compileall.compile_dir(str(Path(jupyter_trust.__file__).parent), quiet=1)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for records in sizes:
        base = build(records)
        size_mb = (base / "served" / "channel" / "bench" / "noarch" / "repodata.json").stat().st_size / 1e6
        server = ChannelServer(build_sharded(base) if args.sharded else base / "served").start()
        channel_url = f"{server.url}/channel/bench"
        try:
            ref, ours = cold_runs(
                server.url, channel_url, base, args.runs, measured, REFERENCE_SHARDED if args.sharded else None
            )
            warm = None
            if records == max(sizes) and not args.no_rest:
                with tempfile.TemporaryDirectory() as tmp:
                    tmpp = Path(tmp)
                    env = plan_env(tmpp, server.url, channel_url, base)
                    warm = rest_plans(env, tmpp / "envs" / "target", args.runs * 2, gap=REST_GAP)
        finally:
            server.stop()
        rows.append((records, size_mb, ref, ours, warm))
        report(rows[-1])
    print("\nsummary (medians)")
    for records, _, ref, ours, _ in rows:
        limit = 2.0 if records < 100_000 else 1.5
        t = statistics.median(o[0] for o in ours) / statistics.median(r[0] for r in ref)
        m = statistics.median(o[1] for o in ours) / statistics.median(r[1] for r in ref)
        verdict = "OK" if t <= limit and m <= limit else "MISSED"
        print(f"  {records:>7,} records: time {t:.2f}x, tree PSS {m:.2f}x (target <= {limit}x) -> {verdict}")
    return 0


def report(row: tuple) -> None:
    records, size_mb, ref, ours, warm = row
    med = statistics.median
    print(f"\n{records:,} records ({size_mb:.0f} MB as repodata.json)")
    for label, runs in (("reference: bare rattler fetch+solve", ref), ("jupyter conda-trust plan (cold)   ", ours)):
        print(
            f"  {label}  median {med(r[0] for r in runs) * 1000:6.0f} ms"
            f"  tree PSS {med(r[1] for r in runs) / 1024:5.0f} MiB  tree RSS {med(r[2] for r in runs) / 1024:5.0f} MiB"
            f"   runs: " + ", ".join(f"{r[0] * 1000:.0f} ms/{r[1] / 1024:.0f} MiB" for r in runs)
        )
    t = med(o[0] for o in ours) / med(r[0] for r in ref)
    print(
        f"  ratio: time {t:.2f}x, tree PSS {med(o[1] for o in ours) / med(r[1] for r in ref):.2f}x,"
        f" tree RSS {med(o[2] for o in ours) / med(r[2] for r in ref):.2f}x"
    )
    if warm is not None:
        first, times = warm
        rest = med(times)
        print(
            f"  POST /jupyter-trust/plans: first {first * 1000:.0f} ms, warm median {rest * 1000:.0f} ms"
            f" (target < 300 ms -> {'OK' if rest < 0.3 else 'MISSED'})  runs: "
            + ", ".join(f"{x * 1000:.0f}" for x in times)
        )


if __name__ == "__main__":
    sys.exit(main())
