"""``jupyter conda-trust``: exit codes, JSON shapes, signing round trips, tokens never in argv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_trust.cli import main

VECTORS = Path(__file__).resolve().parent / "data"  # see data/PROVENANCE.md
CCT = VECTORS / "conda-content-trust" / "testdata"
CONDA = VECTORS / "conda"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code, out, err = run(capsys, *argv, "--json")
    return code, json.loads(out)


# -- verify: the documented shape and exit codes ---------------------------------------------------
def test_verify_conda_chain_with_records(capsys):
    code, doc = run_json(
        capsys,
        "verify",
        "--root",
        str(CONDA / "1.root.json"),
        "--root",
        str(CONDA / "2.root.json"),
        "--root",
        str(CONDA / "3.root.json"),
        "--key-mgr",
        str(CONDA / "key_mgr.json"),
        "--repodata",
        str(CONDA / "repodata.json"),
    )
    assert doc["root"] == {**doc["root"], "version": 3, "verified": True, "error": None, "expired": True}
    assert doc["key_mgr"]["verified"] is True and doc["key_mgr"]["expired"] is True
    verdicts = {fn: v["verdict"] for fn, v in doc["packages"].items()}
    assert verdicts == {
        "first.tar.bz2": "trusted",
        "second.conda": "trusted",
        "third.conda": "trusted",
        "broken-0.0.1-broken.tar.bz2": "untrusted",
        "broken-0.0.1-broken.conda": "unsigned",
    }
    assert all(isinstance(v["reason"], str) and v["reason"] for v in doc["packages"].values())
    assert code == 1  # one record is untrusted


def test_verify_trusted_chain_exits_zero(capsys):
    code, doc = run_json(
        capsys,
        "verify",
        "--root",
        str(CCT / "1.root.json"),
        "--root",
        str(CCT / "2.root.json"),
        "--key-mgr",
        str(CCT / "key_mgr.json"),
    )
    assert code == 0
    assert doc["root"]["version"] == 2 and doc["root"]["verified"]
    assert doc["packages"] == {}


def test_verify_expiry_judged_at_a_given_time(capsys):
    code, doc = run_json(capsys, "verify", "--root", str(CCT / "1.root.json"), "--at", "2021-01-01T00:00:00Z")
    assert code == 0 and doc["root"]["expired"] is False


@pytest.mark.parametrize(
    ("roots", "fragment"),
    [
        (["1.root.json", "3.root.json"], "MetadataVerificationError"),  # version skip
        (["1.root.json", "2.root_invalid.json"], "SignatureError"),
        (["2.root_invalid.json"], "SignatureError"),  # an anchor that does not self-verify
    ],
)
def test_verify_bad_chains_exit_one(capsys, roots, fragment):
    argv = ["verify"]
    for r in roots:
        argv += ["--root", str(CCT / r)]
    code, doc = run_json(capsys, *argv)
    assert code == 1
    assert doc["root"]["verified"] is False and fragment in doc["root"]["error"]


def test_verify_invalid_key_mgr_exits_one(capsys):
    code, doc = run_json(
        capsys, "verify", "--root", str(CCT / "1.root.json"), "--key-mgr", str(CCT / "key_mgr_invalid.json")
    )
    assert code == 1 and doc["key_mgr"]["verified"] is False and "SignatureError" in doc["key_mgr"]["error"]


def test_verify_duplicate_keys_are_refused(capsys, tmp_path):
    text = (CCT / "1.root.json").read_text()
    dup = tmp_path / "1.root.json"
    dup.write_text(text.replace('"type": "root"', '"type": "root", "type": "root"', 1))
    code, doc = run_json(capsys, "verify", "--root", str(dup))
    assert code == 1 and "duplicate" in doc["root"]["error"].lower()


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "--repodata", "x.json"],  # repodata without key_mgr
        ["verify", "--at", "yesterday", "--root", "r.json"],
        ["nonsense"],
        ["plan"],
        ["keygen"],
    ],
)
def test_usage_errors_exit_two_with_one_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.strip().count("\n") == 0 and err.startswith("jupyter conda-trust")


# -- signing tools round trip ----------------------------------------------------------------------
def test_signing_tools_round_trip(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("root", "root2", "key_mgr", "pkg_mgr"):
        assert run(capsys, "keygen", name)[0] == 0
        assert (tmp_path / f"{name}.pri").stat().st_mode & 0o077 == 0
    assert (
        run(capsys, "root", "create", "--root-key", "root.pub", "--key-mgr-key", "key_mgr.pub", "-o", "1.root.json")[0]
        == 0
    )
    assert run(capsys, "root", "sign", "1.root.json", "--key", "root.pri")[0] == 0
    assert run(capsys, "root", "rotate", "1.root.json", "--root-key", "root2.pub", "-o", "2.root.json")[0] == 0
    assert run(capsys, "root", "sign", "2.root.json", "--key", "root.pri", "--key", "root2.pri")[0] == 0
    assert run(capsys, "key-mgr", "create", "--pkg-mgr-key", "pkg_mgr.pub", "-o", "key_mgr.json")[0] == 0
    assert run(capsys, "key-mgr", "sign", "key_mgr.json", "--key", "key_mgr.pri")[0] == 0
    repodata = json.loads((CONDA / "repodata.json").read_text())
    repodata.pop("signatures")
    (tmp_path / "repodata.json").write_text(json.dumps(repodata))
    assert run(capsys, "sign-repodata", "repodata.json", "--key", "pkg_mgr.pri")[0] == 0
    code, doc = run_json(
        capsys,
        "verify",
        "--root",
        "1.root.json",
        "--root",
        "2.root.json",
        "--key-mgr",
        "key_mgr.json",
        "--repodata",
        "repodata.json",
    )
    assert code == 0, doc
    assert doc["root"]["version"] == 2 and doc["root"]["expired"] is False
    assert {v["verdict"] for v in doc["packages"].values()} == {"trusted"}
    # Rotation signed only by the new key does not chain (V1).
    assert run(capsys, "root", "rotate", "1.root.json", "--root-key", "root2.pub", "-o", "2b.root.json")[0] == 0
    assert run(capsys, "root", "sign", "2b.root.json", "--key", "root2.pri")[0] == 0
    code, doc = run_json(capsys, "verify", "--root", "1.root.json", "--root", "2b.root.json")
    assert code == 1 and "SignatureError" in doc["root"]["error"]


def test_refuses_world_readable_private_key(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run(capsys, "keygen", "k")
    run(capsys, "root", "create", "--root-key", "k.pub", "--key-mgr-key", "k.pub", "-o", "1.root.json")
    os.chmod(tmp_path / "k.pri", 0o644)
    code, _, err = run(capsys, "root", "sign", "1.root.json", "--key", "k.pri")
    assert code == 2 and "readable" in err


# -- the installed console script ------------------------------------------------------------------
def test_console_script_status_json_and_exit_code(tmp_path):
    exe = shutil.which("jupyter-conda-trust")
    assert exe, "the console script is installed by `pip install -e .` (scripts/setup.sh)"
    out = subprocess.run([exe, "status", "--json"], capture_output=True, text=True, env=os.environ, timeout=120)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["verification"]["enabled"] is False
    assert doc["trust"]["anchor"]["source"] == "builtin" and doc["trust"]["anchor"]["expired"] is True
    assert doc["token"]["present"] is False


def test_status_json_matches_rest_shape(capsys):
    code, doc = run_json(capsys, "status")
    assert code == 0
    assert set(doc) >= {
        "version",
        "verification",
        "conda",
        "trust",
        "channels",
        "token",
        "policy",
        "engine",
        "warnings",
    }
    assert doc["warnings"][0].startswith("Signature verification is OFF")


def test_token_is_never_read_from_argv(capsys):
    # There is no option that takes the token: a token-looking argument is a usage error.
    code, _, err = run(capsys, "token", "set", "tok-SENTINEL-123456")
    assert code == 2 and "tok-SENTINEL-123456" not in err


def test_python_m_entry_point_exit_code_is_reliable():
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-m", "jupyter_trust.cli", "verify", "--root", str(CCT / "2.root_invalid.json"), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 1, out.stderr
