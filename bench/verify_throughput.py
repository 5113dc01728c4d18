"""Record-verification throughput: jupyter_trust vs. an in-run reference doing what conda-content-trust does.

    python bench/verify_throughput.py [--records 20000] [--runs 3]

Builds (once, cached in bench/results/) a signed repodata.json of N realistic records and its key_mgr.
Then runs, as whole fresh processes over the same files (cold: new interpreter, nothing cached), the two
alternately, each ``--runs`` times:

* reference — per record, what conda-content-trust does: ``copy.deepcopy(record)``,
  ``json.dumps(record, indent=2, sort_keys=True).encode()``, build the ``cryptography`` Ed25519 public key,
  verify; the repodata is parsed with ``json.load``;
* jupyter_trust — what ``jupyter conda-trust verify`` does: ``verify_repodata(..., workers=2)``:
  ``loads_strict_records`` (duplicate-key/NaN checks while parsing; a defect refuses only its record), then
  the records split over both cores with one fork (libsodium; each core checks its records' nesting; orjson
  renders the canonical bytes where provably identical to json.dumps's).

Prints each run's figures (wall time per record, and the CPU seconds of the whole process tree: on a busy
machine the wall-time ratio falls below the CPU-time ratio times the cores jupyter_trust gets), then µs/record
and records/s for both (median of the runs) and the ratio. Target: ratio >= 3.5. Last, the CPU figures that
load does not move much: both sides' CPU seconds, and the reference's over the CPU seconds of jupyter_trust's
longer process (the wall ratio two idle cores would give).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

REFERENCE = r"""
import copy, json, sys, time
t0 = time.perf_counter()
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.exceptions import InvalidSignature
repodata = json.load(open(sys.argv[1]))
key_mgr = json.load(open(sys.argv[2]))
delegation = key_mgr["signed"]["delegations"]["pkg_mgr"]
ok = bad = 0
for section in ("packages", "packages.conda"):
    for fn, record in repodata.get(section, {}).items():
        signed = copy.deepcopy(record)
        data = json.dumps(signed, indent=2, sort_keys=True).encode("utf-8")
        good = 0
        for pub, sig in repodata["signatures"].get(fn, {}).items():
            if pub not in delegation["pubkeys"]:
                continue
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(pub))
            try:
                key.verify(bytes.fromhex(sig["signature"]), data)
                good += 1
            except InvalidSignature:
                pass
        if good >= delegation["threshold"]:
            ok += 1
        else:
            bad += 1
print(json.dumps({"seconds": time.perf_counter() - t0, "trusted": ok, "other": bad}))
"""

OURS = r"""
import json, sys, time
t0 = time.perf_counter()
from jupyter_trust.cct.jsonload import loads_strict
from jupyter_trust.cct.verify import verify_repodata
key_mgr = loads_strict(open(sys.argv[2], "rb").read())
verdicts = verify_repodata(open(sys.argv[1], "rb").read(), key_mgr, max_bytes=1 << 30, workers=2)
trusted = sum(v.verdict == "trusted" for v in verdicts.values())
seconds = time.perf_counter() - t0
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)  # this process only: the forked worker is not in it
print(json.dumps({"seconds": seconds, "trusted": trusted, "other": len(verdicts) - trusted,
                  "self_cpu": usage.ru_utime + usage.ru_stime}))
"""


def build(records: int) -> tuple[Path, Path]:
    from jupyter_trust.cct.canonical import canonical
    from jupyter_trust.cct.signing import build_key_mgr, generate_keypair, sign_raw, sign_repodata

    repodata_path = RESULTS / f"repodata-{records}.json"
    key_mgr_path = RESULTS / f"key_mgr-{records}.json"
    if repodata_path.exists() and key_mgr_path.exists():
        return repodata_path, key_mgr_path
    RESULTS.mkdir(parents=True, exist_ok=True)
    km_key, pkg_key = generate_keypair(), generate_keypair()
    packages = {}
    for i in range(records):
        name = f"package-{i // 7:05d}"
        version = f"{1 + i % 7}.{i % 13}.{i % 5}"
        build_string = f"py311h{i:07x}_0"
        packages[f"{name}-{version}-{build_string}.conda"] = {
            "build": build_string,
            "build_number": 0,
            "depends": [f"package-{(i * 7 + k) % (records // 7 or 1):05d} >={k}.0" for k in range(4)]
            + ["python >=3.11,<3.12.0a0", "libgcc-ng >=12"],
            "license": "BSD-3-Clause",
            "license_family": "BSD",
            "md5": f"{i:032x}",
            "name": name,
            "sha256": f"{i:064x}",
            "size": 100_000 + i,
            "subdir": "linux-64",
            "timestamp": 1_700_000_000_000 + i,
            "version": version,
        }
    repodata = {"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": packages, "repodata_version": 1}
    sign_repodata(repodata, pkg_key)
    repodata_path.write_text(json.dumps(repodata))
    key_mgr_path.write_bytes(canonical(sign_raw(build_key_mgr([pkg_key.public_hex], 1), km_key)))
    sizes = [len(canonical(r)) for r in list(packages.values())[:500]]
    print(f"built {records} signed records (about {statistics.mean(sizes):.0f} canonical bytes each)")
    return repodata_path, key_mgr_path


def run(code: str, repodata: Path, key_mgr: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, str(repodata), str(key_mgr)], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the forked worker is waited for, so it counts
    result["cpu_seconds"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # The longer of the two processes' CPU times: what the wall time would be on two otherwise idle cores.
    self_cpu = result.get("self_cpu", result["cpu_seconds"])
    result["critical_cpu"] = max(self_cpu, result["cpu_seconds"] - self_cpu)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # An installed package is byte-compiled (pip does it); an editable checkout under
    # PYTHONDONTWRITEBYTECODE would otherwise recompile its modules in every cold run.
    import compileall

    import jupyter_trust

    compileall.compile_dir(str(Path(jupyter_trust.__file__).parent), quiet=1)
    repodata, key_mgr = build(args.records)
    ref, ours = [], []
    for index in range(args.runs):  # interleaved, so a change in the machine's load hits both alike
        ref.append(run(REFERENCE, repodata, key_mgr))
        ours.append(run(OURS, repodata, key_mgr))
        assert ref[-1]["trusted"] == ours[-1]["trusted"] == args.records, (ref[-1], ours[-1])
        ref_run, our_run = ref[-1]["process_seconds"], ours[-1]["process_seconds"]
        print(
            f"run {index + 1}: reference {ref_run * 1e6 / args.records:6.1f} µs/record, jupyter_trust "
            f"{our_run * 1e6 / args.records:6.1f} µs/record: {ref_run / our_run:.2f}x"
            f"  (CPU {ref[-1]['cpu_seconds']:.2f} s vs {ours[-1]['cpu_seconds']:.2f} s,"
            f" longest process {ours[-1]['critical_cpu']:.2f} s)"
        )
    ref_s = statistics.median(r["process_seconds"] for r in ref)
    our_s = statistics.median(r["process_seconds"] for r in ours)
    for label, seconds in (
        ("reference (CCT-style, per record)", ref_s),
        ("jupyter_trust (strict parse, 2 workers)", our_s),
    ):
        print(
            f"{label:42s} {seconds * 1e6 / args.records:8.1f} µs/record  {args.records / seconds:9.0f} records/s"
            f"  ({seconds:.2f} s whole process)"
        )
    ratio = ref_s / our_s
    print(f"ratio: {ratio:.2f}x   target >= 3.5x -> {'OK' if ratio >= 3.5 else 'MISSED'}")
    ref_cpu = statistics.median(r["cpu_seconds"] for r in ref)
    our_cpu = statistics.median(r["cpu_seconds"] for r in ours)
    critical = statistics.median(r["critical_cpu"] for r in ours)
    # Under load both sides' wall times mostly measure the scheduler; these two bound the idle-machine ratio.
    print(
        f"CPU: reference {ref_cpu:.2f} s, jupyter_trust {our_cpu:.2f} s in all ({ref_cpu / our_cpu:.2f}x less),"
        f" {critical:.2f} s in its longer process: {ref_cpu / critical:.2f}x on two idle cores"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
