"""The demo channel's attested packages: CEP 50 sidecars from the demo's own private Sigstore, advertised by
``attestations_sha256`` in its repodata, and the demo policy naming the channel's one trusted publisher."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..fsutil import atomic_write
from .build import DEMO_ATTESTED, BuiltChannel
from .sigstore import PrivateSigstore, Publisher, sidecar

#: the demo channel's trusted publisher (its attestations verify *and* are allowed)
DEMO_PUBLISHER = Publisher(repository="https://github.com/jupyter-trust-demo/attested-tool")
#: a publisher the demo policy does not allow (its attestation verifies, the plan is blocked)
DEMO_STRANGER = Publisher(repository="https://github.com/someone-else/stranger-tool")


def attest_demo(built: BuiltChannel, root_path: Path) -> None:
    sigstore = PrivateSigstore(name="jupyter-trust demo sigstore")
    sigstore.write_root(root_path)
    repodata = json.loads(built.repodata_path.read_text())
    records = repodata["packages.conda"]
    out = built.repodata_path.parent
    for spec, publisher in zip(DEMO_ATTESTED, (DEMO_PUBLISHER, DEMO_STRANGER), strict=True):
        fn = spec.filename
        data = sidecar(sigstore.attest(fn, records[fn]["sha256"], publisher))
        digest = hashlib.sha256(data).hexdigest()
        atomic_write(out / f"{fn}.sigs", data, mode=0o644)
        atomic_write(out / f"{fn}.sigs.{digest}", data, mode=0o644)
        records[fn]["attestations_sha256"] = digest  # an unsigned record: no content-trust signature to redo
    atomic_write(built.repodata_path, json.dumps(repodata, indent=1, sort_keys=True).encode(), mode=0o644)


def demo_attestation_policy(channel_url: str, root_path: Path) -> dict[str, object]:
    """The demo server's attestation policy: its private Sigstore root and the channel's one publisher."""
    return {
        "sigstore_trust_root": str(root_path),
        "trusted_publishers": {channel_url: [DEMO_PUBLISHER.policy_entry()]},
    }
