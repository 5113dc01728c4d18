"""Cost of publish attestations on a warm server: ``POST /jupyter-trust/plans`` for a ~50-package plan whose
every package has a CEP 50 sidecar, with attestations checked vs. off.

    python bench/attest_plan.py [--runs 10]

Uses the 20,000-record channel of ``bench/plan_speed.py`` (built once into bench/results/), in a copy whose 50
planned records are content-trust unsigned and advertise ``attestations_sha256`` (the shape of an attested,
unsigned channel), each sidecar a bundle from a private Sigstore (``tests/sigstore_fixtures.py``). Two warm
``jupyter server`` runs: ``attestations: off`` (no sidecar is fetched: the plan as before this feature) and
``report`` with the channel's publisher allowed (every sidecar fetched, hash-checked, verified).

Each mode runs on two servers (off, report, report, off) to cancel the first server's start-up effects. Prints
the medians, the first plan on a new server, and the ratio. Target: checked <= 1.5x off.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from plan_speed import build, plan_env, rest_plans  # noqa: E402
from sigstore_fixtures import PrivateSigstore, Publisher, sidecar  # noqa: E402

ATTESTED = HERE / "results" / "attest-channel"


def build_attested() -> tuple[Path, Path, Publisher]:
    base = build()
    publisher = Publisher()
    marker = ATTESTED / "built"
    if not marker.exists():
        shutil.rmtree(ATTESTED, ignore_errors=True)
        shutil.copytree(base / "served", ATTESTED / "served")
        sigstore = PrivateSigstore()
        sigstore.write_root(ATTESTED / "trusted_root.json")
        noarch = ATTESTED / "served" / "channel" / "bench" / "noarch"
        repodata = json.loads((noarch / "repodata.json").read_text())
        records = repodata["packages.conda"]
        for fn in [f for f in records if f.startswith("bench-")]:
            data = sidecar(sigstore.attest(fn, records[fn]["sha256"], publisher))
            digest = hashlib.sha256(data).hexdigest()
            (noarch / f"{fn}.sigs").write_bytes(data)
            (noarch / f"{fn}.sigs.{digest}").write_bytes(data)
            records[fn]["attestations_sha256"] = digest
            repodata["signatures"].pop(fn, None)  # the record changed: attested, not content-trust signed
        (noarch / "repodata.json").write_text(json.dumps(repodata))
        marker.touch()
    return ATTESTED, ATTESTED / "trusted_root.json", publisher


def main() -> int:
    from jupyter_trust.demo.serve import ChannelServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    base, root, publisher = build_attested()
    server = ChannelServer(base / "served").start()
    channel_url = f"{server.url}/channel/bench"
    results: dict[str, tuple[float, list[float]]] = {}
    try:
        # off, report, report, off: the first server of a run is measurably slower, whichever mode it has
        for mode in ("off", "report", "report", "off"):
            with tempfile.TemporaryDirectory() as tmp:
                tmpp = Path(tmp)
                env = plan_env(tmpp, server.url, channel_url, base)
                section = {
                    "allowed_prefix_roots": [str(tmpp / "envs")],
                    "attestations": mode,
                    "sigstore_trust_root": str(root),
                    "trusted_publishers": {channel_url: [publisher.policy_entry()]},
                }
                (tmpp / "cfg" / "jupyter_server_config.json").write_text(json.dumps({"JupyterTrustApp": section}))
                expected = "not-checked" if mode == "off" else "verified"

                def check(plan: dict, expected: str = expected) -> None:
                    statuses = {p["attestation"]["status"] for p in plan["packages"]}
                    assert len(plan["packages"]) == 50 and statuses == {expected}, (statuses, plan["reasons"])

                first, warm = rest_plans(env, tmpp / "envs" / "target", args.runs, check)
                earlier = results.get(mode)
                results[mode] = (earlier[0], earlier[1] + warm) if earlier else (first, warm)
    finally:
        server.stop()
    off, checked = statistics.median(results["off"][1]), statistics.median(results["report"][1])
    print(f"POST /jupyter-trust/plans, attestations off, first      {results['off'][0] * 1000:7.0f} ms")
    print(f"POST /jupyter-trust/plans, 50 attested, first          {results['report'][0] * 1000:7.0f} ms")
    print(f"POST /jupyter-trust/plans, attestations off, warm  median {off * 1000:7.0f} ms")
    print(f"POST /jupyter-trust/plans, 50 attested, warm      median {checked * 1000:7.0f} ms")
    print(f"ratio: {checked / off:.2f}x   target <= 1.5x -> {'OK' if checked / off <= 1.5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
