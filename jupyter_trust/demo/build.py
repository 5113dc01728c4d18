"""A signed demo channel built from real tiny conda packages, with its own root/key_mgr/pkg_mgr keys.

The same builder makes the test channels: ``build_channel`` signs every record except those ``sign``
refuses (they become *unsigned*) and then edits the records named in ``tamper`` after signing (they become
*untrusted*).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..cct.canonical import canonical
from ..cct.signing import (
    KeyPair,
    build_key_mgr,
    build_root,
    generate_keypair,
    read_private_key,
    sign_openpgp,
    sign_raw,
    sign_repodata,
    write_keypair,
)
from ..fsutil import atomic_write
from ..paths import jupyter_trust_dir

EMPTY_SUBDIRS = ("linux-64", "linux-aarch64", "osx-64", "osx-arm64", "win-64")


@dataclass(frozen=True)
class PackageSpec:
    name: str
    version: str
    build: str = "0"
    depends: tuple[str, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)
    fmt: Literal["conda", "tar.bz2"] = "conda"

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}-{self.build}.{self.fmt}"


@dataclass
class ChannelKeys:
    root: KeyPair
    key_mgr: KeyPair
    pkg_mgr: KeyPair

    @classmethod
    def generate(cls) -> ChannelKeys:
        return cls(generate_keypair(), generate_keypair(), generate_keypair())


@dataclass
class BuiltChannel:
    #: the directory a server publishes: channel/<name>/<subdir>/… and metadata/
    root_dir: Path
    channel_dir: Path
    metadata_dir: Path
    keys: ChannelKeys
    root_path: Path
    packages: dict[str, Path]
    channel_name: str
    subdir: str
    #: the channel's private keys (0600), outside the served tree
    keys_dir: Path

    @property
    def repodata_path(self) -> Path:
        return self.channel_dir / self.subdir / "repodata.json"


def build_package(spec: PackageSpec, subdir: str, out_dir: Path) -> tuple[str, dict]:
    """A real conda package (noarch: generic) made with conda-package-handling; returns (fn, record)."""
    from conda_package_handling import api

    files = dict(spec.files) or {f"share/{spec.name}/README.txt": f"{spec.name} {spec.version}\n"}
    timestamp = 1_700_000_000_000
    index = {
        "name": spec.name,
        "version": spec.version,
        "build": spec.build,
        "build_number": 0,
        "depends": list(spec.depends),
        "license": "BSD-3-Clause",
        "noarch": "generic",
        "subdir": subdir,
        "timestamp": timestamp,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jt-pkg-") as tmp:
        src = Path(tmp)
        entries = []
        for rel, text in sorted(files.items()):
            target = src / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            data = text.encode()
            target.write_bytes(data)
            entries.append(
                {
                    "_path": rel,
                    "path_type": "hardlink",
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size_in_bytes": len(data),
                }
            )
        info = src / "info"
        info.mkdir()
        (info / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True))
        (info / "paths.json").write_text(json.dumps({"paths": entries, "paths_version": 1}, indent=2))
        (info / "files").write_text("".join(f"{rel}\n" for rel in sorted(files)))
        api.create(str(src), None, spec.filename, out_folder=str(out_dir))
    data = (out_dir / spec.filename).read_bytes()
    record = {
        **index,
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }
    return spec.filename, record


def _tamper(record: dict) -> None:
    """An edit after signing: a dependency slipped in (one that exists, so the request still solves)."""
    record["depends"] = [*record.get("depends", []), "trusty-lib"]


def build_channel(
    dest: Path,
    packages: Sequence[PackageSpec],
    *,
    sign: Callable[[str], bool] = lambda fn: True,
    tamper: Sequence[str] = (),
    keys: ChannelKeys | None = None,
    channel_name: str = "demo",
    subdir: str = "noarch",
    expiration: dt.datetime | None = None,
) -> BuiltChannel:
    dest = Path(dest)
    keys = keys or ChannelKeys.generate()
    served = dest / "served"  # what a server may publish; the private keys live beside it, never inside
    channel_dir = served / "channel" / channel_name
    metadata_dir = served / "metadata"
    metadata_dir.mkdir(parents=True, exist_ok=True)
    out = channel_dir / subdir
    repodata: dict = {"info": {"subdir": subdir}, "packages": {}, "packages.conda": {}, "repodata_version": 1}
    archives = {}
    for spec in packages:
        fn, record = build_package(spec, subdir, out)
        repodata["packages.conda" if fn.endswith(".conda") else "packages"][fn] = record
        archives[fn] = out / fn
    sign_repodata(repodata, keys.pkg_mgr)
    for fn in list(repodata["signatures"]):
        if not sign(fn):
            del repodata["signatures"][fn]
    for fn in tamper:
        _tamper(repodata["packages.conda" if fn.endswith(".conda") else "packages"][fn])
    atomic_write(out / "repodata.json", json.dumps(repodata, indent=1, sort_keys=True).encode(), mode=0o644)
    for other in EMPTY_SUBDIRS:
        if other != subdir:
            empty = {"info": {"subdir": other}, "packages": {}, "packages.conda": {}, "repodata_version": 1}
            atomic_write(channel_dir / other / "repodata.json", json.dumps(empty).encode(), mode=0o644)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    expires = expiration or now + dt.timedelta(days=365)
    root = sign_openpgp(
        build_root([keys.root.public_hex], 1, [keys.key_mgr.public_hex], 1, expiration=expires, timestamp=now),
        keys.root,
        created=int(now.timestamp()),
    )
    key_mgr = sign_raw(build_key_mgr([keys.pkg_mgr.public_hex], 1, expiration=expires, timestamp=now), keys.key_mgr)
    atomic_write(metadata_dir / "1.root.json", canonical(root), mode=0o644)
    atomic_write(metadata_dir / "key_mgr.json", canonical(key_mgr), mode=0o644)
    for name in ("root", "key_mgr", "pkg_mgr"):
        write_keypair(dest / "keys", name, getattr(keys, name))
    return BuiltChannel(
        served,
        channel_dir,
        metadata_dir,
        keys,
        metadata_dir / "1.root.json",
        archives,
        channel_name,
        subdir,
        dest / "keys",
    )


DEMO_PACKAGES: list[PackageSpec] = [
    PackageSpec("trusty-lib", "1.0", files={"share/trusty-lib/lib.txt": "a library every trusty app needs\n"}),
    PackageSpec(
        "trusty-app", "1.0", depends=("trusty-lib >=1.0",), files={"share/trusty-app/app.txt": "a trusted app\n"}
    ),
    PackageSpec("unsigned-extra", "1.0", files={"share/unsigned-extra/extra.txt": "nobody signed this\n"}),
    PackageSpec("tampered-tool", "1.0", files={"share/tampered-tool/tool.txt": "changed after signing\n"}),
]
DEMO_UNSIGNED = ("unsigned-extra-1.0-0.conda",)
DEMO_TAMPERED = ("tampered-tool-1.0-0.conda",)
#: not content-trust signed, but with a CEP 50 publish attestation from the demo's own private Sigstore: one by
#: the demo channel's trusted publisher, one by a publisher the demo policy does not allow
DEMO_ATTESTED: list[PackageSpec] = [
    PackageSpec("attested-tool", "1.0", files={"share/attested-tool/tool.txt": "published by a trusted publisher\n"}),
    PackageSpec("stranger-tool", "1.0", files={"share/stranger-tool/tool.txt": "published by someone else\n"}),
]
_DEMO_VERSION = "4"


def demo_sigstore_root(dest: Path) -> Path:
    """The demo's private Sigstore trusted root (beside the channel's keys, used only by the demo)."""
    return Path(dest) / "sigstore_trusted_root.json"


def build_demo(cache_dir: Path | None = None) -> BuiltChannel:
    """The demo channel, built once and cached; rebuilt if anything is missing."""
    dest = Path(cache_dir) if cache_dir else jupyter_trust_dir() / "demo"
    marker = dest / "built.json"
    try:
        info = json.loads(marker.read_text())
        if info.get("version") == _DEMO_VERSION:
            keys = ChannelKeys(*(read_private_key(dest / "keys" / f"{n}.pri") for n in ("root", "key_mgr", "pkg_mgr")))
            channel_dir = dest / "served" / "channel" / "demo"
            archives = {s.filename: channel_dir / "noarch" / s.filename for s in DEMO_PACKAGES + DEMO_ATTESTED}
            metadata_dir = dest / "served" / "metadata"
            needed = [*archives.values(), channel_dir / "noarch" / "repodata.json", metadata_dir / "key_mgr.json"]
            needed += [
                demo_sigstore_root(dest),
                *(channel_dir / "noarch" / f"{a.filename}.sigs" for a in DEMO_ATTESTED),
            ]
            if all(p.exists() for p in needed):
                return BuiltChannel(
                    dest / "served",
                    channel_dir,
                    metadata_dir,
                    keys,
                    metadata_dir / "1.root.json",
                    archives,
                    "demo",
                    "noarch",
                    dest / "keys",
                )
    except (OSError, ValueError):
        pass
    if dest.exists():
        shutil.rmtree(dest)
    attested = {a.filename for a in DEMO_ATTESTED}
    built = build_channel(
        dest,
        DEMO_PACKAGES + DEMO_ATTESTED,
        sign=lambda fn: fn not in DEMO_UNSIGNED and fn not in attested,
        tamper=DEMO_TAMPERED,
        channel_name="demo",
    )
    from .attested import attest_demo

    attest_demo(built, demo_sigstore_root(dest))
    atomic_write(marker, json.dumps({"version": _DEMO_VERSION, "built": time.time()}).encode(), mode=0o644)
    return built
