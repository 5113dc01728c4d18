"""``jupyter conda-trust demo``: JupyterLab with jupyter_trust against the built-in signed demo channel.

Builds the demo channel once (cached), serves it and its trust metadata on 127.0.0.1, writes a demo
condarc (channel, ``extra_safety_checks``, ``signing_metadata_url_base``) and an empty demo environment,
and starts JupyterLab with ``CONDARC`` and ``JUPYTER_TRUST_ROOT`` pointing at them. Nothing outside the
demo directory is changed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..childenv import child_environ
from ..fsutil import atomic_write
from ..paths import jupyter_trust_dir
from .attested import demo_attestation_policy
from .build import BuiltChannel, build_demo, demo_sigstore_root
from .serve import ChannelServer


def demo_condarc(built: BuiltChannel, server_url: str) -> str:
    return (
        "# written by `jupyter conda-trust demo`: the signed demo channel served on 127.0.0.1\n"
        "channels:\n"
        f"  - {server_url}/channel/{built.channel_name}\n"
        "extra_safety_checks: true\n"
        f"signing_metadata_url_base: {server_url}/metadata\n"
    )


@dataclass(frozen=True)
class DemoSetup:
    environ: dict[str, str]
    #: a Jupyter config file (``--config``) allowing installs into the demo environments
    config: Path
    envs: Path


def prepare(demo_dir: Path, server: ChannelServer, built: BuiltChannel) -> DemoSetup:
    """Write the demo condarc, server config and environment; return what JupyterLab needs."""
    condarc = demo_dir / "condarc"
    atomic_write(condarc, demo_condarc(built, server.url).encode(), mode=0o644)
    envs = demo_dir / "envs"
    target = envs / "demo-env" / "conda-meta"
    target.mkdir(parents=True, exist_ok=True)
    (target / "history").touch()
    config = demo_dir / "jupyter_server_config.json"
    section = {
        "allowed_prefix_roots": [str(envs)],
        **demo_attestation_policy(
            f"{server.url}/channel/{built.channel_name}", demo_sigstore_root(built.keys_dir.parent)
        ),
    }
    atomic_write(config, json.dumps({"JupyterTrustApp": section}).encode(), mode=0o644)
    return DemoSetup({"CONDARC": str(condarc), "JUPYTER_TRUST_ROOT": str(built.root_path)}, config, envs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jupyter conda-trust demo", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8888, help="JupyterLab's port (default 8888)")
    parser.add_argument("--channel-port", type=int, default=0, help="the demo channel server's port (default: any)")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--dir", type=Path, default=None, help="demo directory (default: in the Jupyter data dir)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--build-only", action="store_true", help="build the demo channel, print where, exit")
    mode.add_argument("--serve-only", action="store_true", help="serve the demo channel until interrupted")
    args, lab_args = parser.parse_known_args(argv)

    demo_dir = args.dir or (jupyter_trust_dir() / "demo-run")
    demo_dir.mkdir(parents=True, exist_ok=True)
    built = build_demo(demo_dir / "channel-build")
    print(f"demo channel: {built.channel_dir}  (root: {built.root_path})", flush=True)
    if args.build_only:
        return 0
    server = ChannelServer(built.root_dir, port=args.channel_port).start()
    try:
        setup = prepare(demo_dir, server, built)
        print(f"serving it at {server.url}/channel/{built.channel_name} (metadata: {server.url}/metadata)", flush=True)
        print(f"demo environment: {demo_dir / 'envs' / 'demo-env'}", flush=True)
        if args.serve_only:
            signal.sigwait({signal.SIGINT, signal.SIGTERM}) if hasattr(signal, "sigwait") else input()
            return 0
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={args.port}",
            f"--config={setup.config}",
            *(["--no-browser"] if args.no_browser else []),
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            *lab_args,
        ]
        env = {**child_environ(), **setup.environ}
        print("starting JupyterLab; open the shield icon in the left sidebar (Ctrl-C stops everything)", flush=True)
        proc = subprocess.Popen(command, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            try:
                return proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                return 130
    finally:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
