"""A channel served on 127.0.0.1 whose packages carry CEP 50 sidecars (advertised by ``attestations_sha256``)
and one ``.v0.sigs``, signed by the test-only private Sigstore; one package is content-trust signed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from channel_fixtures import SignedChannel, make_signed_channel
from sigstore_fixtures import PrivateSigstore, Publisher, sidecar

from jupyter_trust.demo.build import PackageSpec
from jupyter_trust.fsutil import atomic_write

PUBLISHER = Publisher()
STRANGER = Publisher(repository="https://github.com/someone/else")

PACKAGES = [
    PackageSpec("att-app", "1.0", depends=("att-lib",)),  # attested by the allowed publisher (CEP 50)
    PackageSpec("att-lib", "1.0"),  # the same
    PackageSpec("ct-only", "1.0"),  # content-trust signed, no attestation
    PackageSpec("bare", "1.0"),  # neither
    PackageSpec("foreign", "1.0"),  # attested by another publisher
    PackageSpec("forged", "1.0"),  # a valid bundle for another digest
    PackageSpec("gone", "1.0"),  # advertised, but the sidecar is not there (404)
    PackageSpec("huge", "1.0"),  # advertised, sidecar over the size cap
    PackageSpec("badhash", "1.0"),  # advertised sha256 differs from the sidecar's bytes
    PackageSpec("oldstyle", "1.0"),  # not advertised; an unpinned .v0.sigs next to it
]


def fn(name: str) -> str:
    return f"{name}-1.0-0.conda"


@dataclass
class AttestedChannel:
    channel: SignedChannel
    sigstore: PrivateSigstore
    root_path: Path

    @property
    def url(self) -> str:
        return self.channel.channel_url

    def path(self, filename: str) -> str:
        """The server path of a file next to the packages."""
        return f"/channel/{self.channel.built.channel_name}/{self.channel.built.subdir}/{filename}"

    def record(self, name: str) -> dict:
        return self.channel.repodata()["packages.conda"][fn(name)]

    def policy_values(self, **policy: object) -> dict:
        return {
            "allowed_prefix_roots": [str(self.channel.envs)],
            "sigstore_trust_root": str(self.root_path),
            "trusted_publishers": {self.url: [PUBLISHER.policy_entry()]},
            **policy,
        }

    def core(self, **policy: object):
        return self.channel.core(**self.policy_values(**policy))

    def serve_from(self, serverapp: object) -> None:
        """Point a running test server's core at this channel, with this channel's attestation policy."""
        from jupyter_trust.policy import Policy

        core = serverapp.web_app.settings["jupyter_trust_core"]  # type: ignore[attr-defined]
        core.environ = self.channel.environ
        core.policy = Policy.load(self.policy_values())

    def stop(self) -> None:
        self.channel.server.stop()


def cli_env(monkeypatch: object, tmp_path: Path, attested: AttestedChannel, **extra: object) -> None:
    """The process environment and a Jupyter config file pointing the CLI and the magic at ``attested``."""
    for key, value in attested.channel.environ.items():
        monkeypatch.setenv(key, value)  # type: ignore[attr-defined]
    config = tmp_path / "cfg"
    config.mkdir(exist_ok=True)
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config))  # type: ignore[attr-defined]
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(tmp_path / "none"))  # type: ignore[attr-defined]
    section = attested.policy_values(**extra)
    (config / "jupyter_server_config.json").write_text(json.dumps({"JupyterTrustApp": section}))


def make_attested_channel(base: Path, *, require_token: str | None = None) -> AttestedChannel:
    channel = make_signed_channel(
        base, packages=PACKAGES, sign=lambda f: f == fn("ct-only"), tamper=(), require_token=require_token
    )
    sigstore = PrivateSigstore()
    root_path = sigstore.write_root(base / "sigstore_trusted_root.json")
    repodata_path = channel.built.repodata_path
    repodata = json.loads(repodata_path.read_text())
    out = repodata_path.parent
    records = repodata["packages.conda"]

    def publish(name: str, data: bytes, *, advertise: str | None = None, files: bool = True) -> None:
        digest = hashlib.sha256(data).hexdigest()
        if files:
            atomic_write(out / f"{fn(name)}.sigs", data, mode=0o644)
            atomic_write(out / f"{fn(name)}.sigs.{digest}", data, mode=0o644)
        records[fn(name)]["attestations_sha256"] = advertise or digest

    for name in ("att-app", "att-lib"):
        publish(
            name,
            sidecar(
                sigstore.attest(fn(name), records[fn(name)]["sha256"], PUBLISHER, target_channel=channel.channel_url)
            ),
        )
    publish("foreign", sidecar(sigstore.attest(fn("foreign"), records[fn("foreign")]["sha256"], STRANGER)))
    publish("forged", sidecar(sigstore.attest(fn("forged"), "0" * 64, PUBLISHER)))
    publish("gone", sidecar(sigstore.attest(fn("gone"), records[fn("gone")]["sha256"])), files=False)
    bundle = sigstore.attest(fn("huge"), records[fn("huge")]["sha256"])
    publish("huge", sidecar(*([bundle] * 400)))
    good = sidecar(sigstore.attest(fn("badhash"), records[fn("badhash")]["sha256"]))
    publish("badhash", good, advertise=hashlib.sha256(good + b" ").hexdigest())
    atomic_write(
        out / f"{fn('oldstyle')}.v0.sigs",
        sidecar(sigstore.attest(fn("oldstyle"), records[fn("oldstyle")]["sha256"], PUBLISHER)),
        mode=0o644,
    )
    # Only unsigned records changed, so the content-trust signatures still hold.
    atomic_write(repodata_path, json.dumps(repodata, indent=1, sort_keys=True).encode(), mode=0o644)
    return AttestedChannel(channel, sigstore, root_path)
