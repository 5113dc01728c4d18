"""The built-in signed demo channel: real packages, the four verdicts, and the launcher's set-up."""

from __future__ import annotations

import json

from jupyter_trust.cct.verify import verify_records
from jupyter_trust.cli import main
from jupyter_trust.demo.build import build_demo
from jupyter_trust.demo.launch import prepare
from jupyter_trust.demo.serve import ChannelServer


def test_demo_channel_has_the_four_kinds_of_record(tmp_path):
    built = build_demo(tmp_path)
    repodata = json.loads(built.repodata_path.read_text())
    key_mgr = json.loads((built.metadata_dir / "key_mgr.json").read_text())
    verdicts = {fn: v.verdict for fn, v in verify_records(repodata, key_mgr).items()}
    assert verdicts == {
        "trusty-app-1.0-0.conda": "trusted",
        "trusty-lib-1.0-0.conda": "trusted",
        "unsigned-extra-1.0-0.conda": "unsigned",
        "tampered-tool-1.0-0.conda": "untrusted",
        "attested-tool-1.0-0.conda": "unsigned",
        "stranger-tool-1.0-0.conda": "unsigned",
    }
    for fn in ("attested-tool-1.0-0.conda", "stranger-tool-1.0-0.conda"):
        digest = repodata["packages.conda"][fn]["attestations_sha256"]
        assert (built.repodata_path.parent / f"{fn}.sigs.{digest}").is_file()
    assert repodata["packages.conda"]["trusty-app-1.0-0.conda"]["depends"] == ["trusty-lib >=1.0"]
    assert all(p.stat().st_size > 0 for p in built.packages.values())
    assert (built.keys_dir / "pkg_mgr.pri").stat().st_mode & 0o077 == 0
    assert not any(p.suffix == ".pri" for p in built.root_dir.rglob("*"))  # nothing private is ever served


def test_demo_is_built_once_and_rebuilt_when_damaged(tmp_path):
    first = build_demo(tmp_path)
    again = build_demo(tmp_path)
    assert again.keys.pkg_mgr.public_hex == first.keys.pkg_mgr.public_hex
    first.repodata_path.unlink()
    rebuilt = build_demo(tmp_path)
    assert rebuilt.repodata_path.exists() and rebuilt.keys.pkg_mgr.public_hex != first.keys.pkg_mgr.public_hex


def test_demo_build_only_command(tmp_path, capsys):
    assert main(["demo", "--build-only", "--dir", str(tmp_path)]) == 0
    assert "demo channel:" in capsys.readouterr().out


def test_launcher_setup_trusts_the_demo_root(tmp_path):
    built = build_demo(tmp_path / "c")
    with ChannelServer(built.root_dir) as server:
        setup = prepare(tmp_path, server, built)
        condarc = (tmp_path / "condarc").read_text()
        assert f"{server.url}/channel/demo" in condarc and "extra_safety_checks: true" in condarc
        assert setup.environ["JUPYTER_TRUST_ROOT"] == str(built.root_path)
        config = json.loads(setup.config.read_text())
        assert config["JupyterTrustApp"]["allowed_prefix_roots"] == [str(setup.envs)]
        assert (setup.envs / "demo-env" / "conda-meta").is_dir()


def test_demo_shows_publishers(tmp_path):
    import os

    from jupyter_trust.core import Core
    from jupyter_trust.policy import Policy

    built = build_demo(tmp_path / "c")
    with ChannelServer(built.root_dir) as server:
        setup = prepare(tmp_path, server, built)
        section = json.loads(setup.config.read_text())["JupyterTrustApp"]
        core = Core(policy=Policy.load(section), environ={**os.environ, **setup.environ}, work_dir=tmp_path / "work")
        prefix = setup.envs / "demo-env"
        plan = core.planner().plan(["attested-tool"], prefix)
        attestation = plan.packages[0].attestation
        assert attestation["status"] == "verified" and not plan.blocked and not plan.needs_confirmation
        assert attestation["signer"]["repository"] == "https://github.com/jupyter-trust-demo/attested-tool"
        stranger = core.planner().plan(["stranger-tool"], prefix)
        assert stranger.blocked and stranger.packages[0].attestation["status"] == "untrusted-publisher"
