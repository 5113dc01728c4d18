"""``jupyter conda-trust demo``: JupyterLab with jupyter_trust against the built-in signed demo channel.

Builds the demo channel once (cached), serves it and its trust metadata on 127.0.0.1, writes a demo
condarc (channel, ``extra_safety_checks``, ``signing_metadata_url_base``), an empty demo environment, a
Jupyter config directory allowing installs into it and the "Trust tour" notebook, and starts JupyterLab on
that notebook with ``CONDARC``, ``JUPYTER_TRUST_ROOT`` and ``JUPYTER_CONFIG_PATH`` pointing at them.

The policy goes into a config directory on ``JUPYTER_CONFIG_PATH`` (not a ``--config`` file) because kernels
inherit the server's environment: the ``%conda_trust`` magic then reads the same ``JupyterTrustApp`` policy
(``commands/config.py`` searches the same path), so the tour's cells may install into the demo environment.
Nothing outside the demo directory is changed, and the user's own config directory is still read.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..childenv import child_environ
from ..fsutil import atomic_write
from ..paths import jupyter_trust_dir
from .attested import demo_attestation_policy
from .build import BuiltChannel, build_demo, demo_sigstore_root
from .serve import ChannelServer
from .tour import write_tour


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
    #: what JupyterLab (and so every kernel it starts) needs in its environment
    environ: dict[str, str]
    #: the config file, in a directory on ``JUPYTER_CONFIG_PATH``, allowing installs into the demo environments
    config: Path
    envs: Path
    #: the directory JupyterLab serves, holding the Trust tour notebook
    notebooks: Path
    tour: Path


def prepare(
    demo_dir: Path, server: ChannelServer, built: BuiltChannel, environ: Mapping[str, str] | None = None
) -> DemoSetup:
    """Write the demo condarc, policy, environment and tour notebook; return what JupyterLab needs."""
    environ = os.environ if environ is None else environ
    condarc = demo_dir / "condarc"
    atomic_write(condarc, demo_condarc(built, server.url).encode(), mode=0o644)
    envs = demo_dir / "envs"
    target = envs / "demo-env" / "conda-meta"
    target.mkdir(parents=True, exist_ok=True)
    (target / "history").touch()
    config_dir = demo_dir / "jupyter-config"
    config_dir.mkdir(exist_ok=True)
    config = config_dir / "jupyter_server_config.json"
    section = {
        "allowed_prefix_roots": [str(envs)],
        **demo_attestation_policy(
            f"{server.url}/channel/{built.channel_name}", demo_sigstore_root(built.keys_dir.parent)
        ),
    }
    atomic_write(config, json.dumps({"JupyterTrustApp": section}).encode(), mode=0o644)
    config_path = os.pathsep.join(p for p in (str(config_dir), environ.get("JUPYTER_CONFIG_PATH", "")) if p)
    notebooks = demo_dir / "notebooks"
    tour = write_tour(notebooks)
    return DemoSetup(
        {"CONDARC": str(condarc), "JUPYTER_TRUST_ROOT": str(built.root_path), "JUPYTER_CONFIG_PATH": config_path},
        config,
        envs,
        notebooks,
        tour,
    )


def _notebook_args(setup: DemoSetup, lab_args: Sequence[str]) -> list[str]:
    """Serve the demo's notebook folder and open the tour, unless the user chose a folder of their own."""
    if any(a.startswith(("--ServerApp.root_dir", "--notebook-dir", "--ServerApp.notebook_dir")) for a in lab_args):
        return []
    return [f"--ServerApp.root_dir={setup.notebooks}", f"--LabApp.default_url=/lab/tree/{quote(setup.tour.name)}"]


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
        print(f"Trust tour notebook: {setup.tour}", flush=True)
        if args.serve_only:
            signal.sigwait({signal.SIGINT, signal.SIGTERM}) if hasattr(signal, "sigwait") else input()
            return 0
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={args.port}",
            *_notebook_args(setup, lab_args),
            *(["--no-browser"] if args.no_browser else []),
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            *lab_args,
        ]
        env = {**child_environ(), **setup.environ}
        print("starting JupyterLab on the Trust tour; the shield icon opens the panel (Ctrl-C stops)", flush=True)
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
