"""The built-in signed demo channel: real packages, the four verdicts, and the launcher's set-up."""

from __future__ import annotations

import json
import os

import pytest

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


def test_launcher_opens_the_tour_with_the_policy_where_kernels_read_it(tmp_path):
    from jupyter_trust.commands.config import load_jupyter_section
    from jupyter_trust.demo.launch import _notebook_args

    built = build_demo(tmp_path / "c")
    with ChannelServer(built.root_dir) as server:
        setup = prepare(tmp_path, server, built, environ={"JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert setup.environ["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(setup.config.parent), "/elsewhere"]
    assert setup.tour.parent == setup.notebooks and setup.tour.is_file()
    args = _notebook_args(setup, [])
    assert (
        f"--ServerApp.root_dir={setup.notebooks}" in args and "--LabApp.default_url=/lab/tree/trust-tour.ipynb" in args
    )
    assert _notebook_args(setup, ["--ServerApp.root_dir=/mine"]) == []  # the user's own folder wins
    # What a kernel of the demo reads (commands/config.py): the same policy the server got.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_CONFIG_PATH", setup.environ["JUPYTER_CONFIG_PATH"])
        assert load_jupyter_section()["allowed_prefix_roots"] == [str(setup.envs)]


def test_tour_is_not_overwritten(tmp_path):
    from jupyter_trust.demo.tour import write_tour

    tour = write_tour(tmp_path)
    tour.write_text('{"edited": true}')
    assert write_tour(tmp_path).read_text() == '{"edited": true}'


def _outputs(cell: dict) -> str:
    text = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            text.append(out["text"])
        elif out["output_type"] in ("display_data", "execute_result"):
            text.append(out["data"].get("text/plain", ""))
        elif out["output_type"] == "error":
            text.append(f"ERROR {out['ename']}: {out['evalue']}")
    return "".join(text)


@pytest.mark.timeout(600)
def test_trust_tour_notebook_runs_as_written_in_the_demo(tmp_path, isolated_home, monkeypatch):
    """The tour, executed headless in a real kernel with the environment the demo's JupyterLab gives kernels."""
    import nbformat
    from nbclient import NotebookClient

    built = build_demo(tmp_path / "c")
    with ChannelServer(built.root_dir) as server:
        setup = prepare(tmp_path / "demo", server, built)
        for name, value in setup.environ.items():
            monkeypatch.setenv(name, value)
        nb = nbformat.read(setup.tour, as_version=4)
        client = NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(setup.notebooks)}}
        )
        client.execute()
    code = {c["source"]: _outputs(c) for c in nb.cells if c["cell_type"] == "code"}
    assert all("ERROR" not in out and "Traceback" not in out for out in code.values()), code
    assert code["%load_ext jupyter_trust"] == ""
    status = {line.split("  ")[0]: line for line in code["%conda_trust status --refresh"].splitlines()}
    assert status["Signature verification"].split()[2] == "ON", status
    assert "root v1 from env" in status["Trust anchor"] and "verified" in status["key_mgr"], status
    trusted = code["%conda_trust plan trusty-app --prefix demo-env"]
    assert trusted.count("TRUSTED") == 2 and "Every package to be linked verified." in trusted, trusted
    tampered = code["%conda_trust plan tampered-tool --prefix demo-env"]
    assert "UNTRUSTED" in tampered and "BLOCKED" in tampered, tampered
    refused = code["%conda_trust install tampered-tool --prefix demo-env"]
    assert "%conda_trust: Not installed: the plan is blocked: tampered-tool" in refused, refused
    unsigned = code["%conda_trust plan unsigned-extra --prefix demo-env"]
    assert "UNSIGNED" in unsigned and "CONFIRMATION NEEDED" in unsigned, unsigned
    attested = code["%conda_trust plan attested-tool --prefix demo-env"]
    assert "published by github.com/jupyter-trust-demo/attested-tool" in attested, attested
    assert "Every package to be linked verified." in attested, attested
    stranger = code["%conda_trust plan stranger-tool --prefix demo-env"]
    assert "UNTRUSTED PUBLISHER" in stranger and "BLOCKED" in stranger, stranger
    installed = code["%conda_trust install trusty-app --prefix demo-env"]
    assert "Installed 2 verified package" in installed, installed
    meta = setup.envs / "demo-env" / "conda-meta"
    assert (meta / "trusty-app-1.0-0.json").exists() and not (meta / "tampered-tool-1.0-0.json").exists()
    assert all("this server" not in out for out in code.values())


def test_demo_shows_publishers(tmp_path):
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
