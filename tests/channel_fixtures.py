"""A real signed channel (tiny real conda packages) served on 127.0.0.1, and a Core configured for it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from jupyter_trust.cct.signing import sign_repodata
from jupyter_trust.core import Core
from jupyter_trust.demo.build import (
    DEMO_PACKAGES,
    DEMO_TAMPERED,
    DEMO_UNSIGNED,
    BuiltChannel,
    PackageSpec,
    build_channel,
)
from jupyter_trust.demo.serve import ChannelServer
from jupyter_trust.policy import Policy


def tree_digest(root: Path) -> str:
    """A digest of every path, mode and file content under ``root`` (a prefix is unchanged iff equal)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames) + [d + "/" for d in dirnames]:
            path = Path(dirpath) / name.rstrip("/")
            h.update(str(path.relative_to(root)).encode())
            if path.is_file() and not path.is_symlink():
                h.update(path.read_bytes())
    return h.hexdigest()


@dataclass
class SignedChannel:
    built: BuiltChannel
    server: ChannelServer
    condarc: Path
    envs: Path
    environ: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def channel_url(self) -> str:
        return f"{self.server.url}/channel/{self.built.channel_name}"

    @property
    def metadata_url(self) -> str:
        return f"{self.server.url}/metadata"

    @property
    def repodata_path(self) -> str:
        return f"/channel/{self.built.channel_name}/{self.built.subdir}/repodata.json"

    def repodata(self) -> dict:
        return json.loads(self.built.repodata_path.read_text())

    def serve_repodata(self, repodata: dict, *, resign: bool = False) -> None:
        """Serve other repodata (optionally re-signed with the channel's pkg_mgr key) from now on."""
        if resign:
            sign_repodata(repodata, self.built.keys.pkg_mgr)
        self.server.set_override(self.repodata_path, json.dumps(repodata).encode())

    def prefix(self, name: str = "target") -> Path:
        path = self.envs / name
        (path / "conda-meta").mkdir(parents=True, exist_ok=True)
        (path / "conda-meta" / "history").touch()  # conda's environment marker, as `conda create` leaves it
        return path

    def jupyter_environ(self, config_dir: Path) -> dict[str, str]:
        """The environment for a separate `jupyter server` or `jupyter conda-trust` process: this channel, and a
        Jupyter config directory (created) allowing installs under :attr:`envs`."""
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "jupyter_server_config.json").write_text(
            json.dumps({"JupyterTrustApp": {"allowed_prefix_roots": [str(self.envs)]}})
        )
        return {**self.environ, "JUPYTER_CONFIG_DIR": str(config_dir)}

    def core(self, *, serving_cache_bytes: int = 0, **policy: object) -> Core:
        values = {"allowed_prefix_roots": [str(self.envs)], **policy}
        return Core(
            policy=Policy.load(values),
            environ=self.environ,
            work_dir=self.envs.parent / "work",
            serving_cache_bytes=serving_cache_bytes,
        )


def make_signed_channel(
    base: Path,
    *,
    packages: Sequence[PackageSpec] = DEMO_PACKAGES,
    sign: Callable[[str], bool] = lambda fn: fn not in DEMO_UNSIGNED,
    tamper: Sequence[str] = DEMO_TAMPERED,
    require_token: str | None = None,
    **kwargs: object,
) -> SignedChannel:
    built = build_channel(base / "served", packages, sign=sign, tamper=tamper, **kwargs)  # type: ignore[arg-type]
    server = ChannelServer(built.root_dir, require_token=require_token).start()
    condarc = base / "condarc"
    channel = f"{server.url}/channel/{built.channel_name}"
    condarc.write_text(
        f"channels:\n  - {channel}\nextra_safety_checks: true\nsigning_metadata_url_base: {server.url}/metadata\n"
    )
    envs = base / "envs"
    envs.mkdir(parents=True, exist_ok=True)
    environ = {**os.environ, "CONDARC": str(condarc), "JUPYTER_TRUST_ROOT": str(built.root_path)}
    return SignedChannel(built, server, condarc, envs, environ)


@pytest.fixture
def signed_channel(tmp_path: Path):
    channel = make_signed_channel(tmp_path)
    yield channel
    channel.server.stop()


@pytest.fixture
def trust_server(signed_channel, jp_serverapp):
    """The running server's core pointed at the signed channel (its CONDARC, trust root and env root)."""
    core = jp_serverapp.web_app.settings["jupyter_trust_core"]
    core.environ = signed_channel.environ
    core.policy = Policy.load({"allowed_prefix_roots": [str(signed_channel.envs)]})
    return signed_channel


def make_unsigned_channel(base: Path, **kwargs: object) -> SignedChannel:
    """A plain channel as most Jupyter users have (conda-forge-like): no ``signatures`` in its repodata, and
    conda configured as by default — ``extra_safety_checks: false``, no ``signing_metadata_url_base``, no
    trust root of its own."""
    channel = make_signed_channel(base, sign=lambda fn: False, tamper=(), **kwargs)  # type: ignore[arg-type]
    repodata = channel.repodata()
    del repodata["signatures"]
    channel.built.repodata_path.write_text(json.dumps(repodata, indent=1))
    channel.condarc.write_text(f"channels:\n  - {channel.channel_url}\nextra_safety_checks: false\n")
    channel.environ.pop("JUPYTER_TRUST_ROOT", None)
    return channel


@pytest.fixture
def unsigned_channel(tmp_path: Path):
    channel = make_unsigned_channel(tmp_path)
    yield channel
    channel.server.stop()
