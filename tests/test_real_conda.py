"""The real-conda tier: jupyter_trust against real conda 25.1.1 and 26.7.1 (with conda-content-trust).

Runs only when ``JUPYTER_TRUST_TEST_CONDA_25`` / ``_26`` name a build (``tests/real_conda_fixtures.py``;
``.ci/run`` builds both); otherwise every test here skips and says which variable to set. conda talks only to the
loopback channel server of each test.

- the ``engine: conda`` planner on real ``--dry-run --json`` output: installs, "already installed", updates,
  removals, conda-content-trust's text printed on stdout before the JSON, and solve errors through the planner,
  the CLI and the REST API;
- conda reads what jupyter_trust writes: the token (conda's requests carry ``/t/<token>/``) and the
  verification settings (``conda config --show``), and no longer after ``token remove`` / ``verification off``;
- conda's own TRUSTED / UNTRUSTED / "no signatures found" labels equal jupyter_trust's verdicts, record by
  record, on one channel with every case (trusted, unsigned, tampered, unauthorized key, rotated root).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from channel_fixtures import SignedChannel, make_signed_channel
from engine_fixtures import serve_with_conda
from real_conda_fixtures import CondaInstall

from jupyter_trust.cct.canonical import canonical
from jupyter_trust.cct.crypto import sign_raw_bytes
from jupyter_trust.cct.signing import build_key_mgr, generate_keypair, rotate_root, sign_openpgp, sign_raw
from jupyter_trust.demo.build import DEMO_PACKAGES, DEMO_TAMPERED, DEMO_UNSIGNED, PackageSpec
from jupyter_trust.engine.base import EngineError

APP, LIB = "trusty-app-1.0-0.conda", "trusty-lib-1.0-0.conda"
UNSIGNED, TAMPERED = DEMO_UNSIGNED[0], DEMO_TAMPERED[0]
ROGUE = "rogue-tool-1.0-0.conda"  # signed, but by a key the key_mgr never delegated to
LEGACY = "legacy-lib-1.0-0.tar.bz2"  # a trusted record in repodata's "packages" section
TOKEN = "tok-REALCONDA-SENTINEL-5b2e9d"
#: no current_repodata.json round trip (our channels have none) and no look for a newer conda
CONDARC_EXTRA = "repodata_fns:\n  - repodata.json\nnotify_outdated_conda: false\n"
IGNORING = "Ignoring signature from a key"


def _attach(channel: SignedChannel, install: CondaInstall) -> SignedChannel:
    """Make ``channel``'s environment conda's: its condarc, its trust root in conda's av_data_dir, CONDA_EXE."""
    with channel.condarc.open("a") as fh:
        fh.write(CONDARC_EXTRA)
    install.trust(channel.built.root_path)
    env = install.environ(channel.environ, channel.condarc)
    env["CONDA_EXE"] = str(install.exe)
    channel.environ.clear()
    channel.environ.update(env)
    return channel


@pytest.fixture
def conda_world(conda_install: CondaInstall, tmp_path: Path) -> Iterator[SignedChannel]:
    """The demo channel (trusty-app → trusty-lib, unsigned-extra, tampered-tool) with a real conda attached."""
    channel = _attach(make_signed_channel(tmp_path / "channel"), conda_install)
    yield channel
    channel.server.stop()


def summary(plan) -> set[tuple[object, ...]]:
    return {(p.filename, p.verdict, p.action, p.sha256, p.size, p.url, p.previous_version) for p in plan.packages}


def verdicts(plan) -> dict[str, str]:
    return {p.filename: p.verdict for p in plan.packages}


def dry_run(install: CondaInstall, channel: SignedChannel, prefix: Path, *specs: str, json_out: bool = True):
    argv = ["create", "--dry-run", "--yes", "--override-channels", "-c", channel.channel_url, "--prefix", str(prefix)]
    return install.run([*argv, *(["--json"] if json_out else []), "--", *specs], channel.environ)


# -- the conda engine on real conda's answers ------------------------------------------------------
def test_install_then_already_installed(conda_world, real_conda):
    prefix = conda_world.prefix()
    core = conda_world.core(engine="conda")
    plan = core.planner().plan(["trusty-app"], prefix)
    assert verdicts(plan) == {APP: "trusted", LIB: "trusted"} and not plan.blocked
    assert summary(plan) == summary(conda_world.core().planner().plan(["trusty-app"], prefix))
    result = core.installer().apply(plan)
    assert sorted(result.linked) == [APP, LIB]
    assert {p.name for p in (prefix / "conda-meta").glob("*.json")} == {
        "trusty-app-1.0-0.json",
        "trusty-lib-1.0-0.json",
    }
    # conda reads the environment rattler linked and answers "All requested packages already installed."
    again = core.planner().plan(["trusty-app"], prefix)
    assert again.packages == () and not again.blocked


#: trusty-lib 1.0 and 2.0; app 1.0 needs old-dep, which needs trusty-lib <2; app 2.0 needs trusty-lib >=2
VERSIONED = [
    PackageSpec("trusty-lib", "1.0"),
    PackageSpec("trusty-lib", "2.0"),
    PackageSpec("old-dep", "1.0", depends=("trusty-lib <2",)),
    PackageSpec("app", "1.0", depends=("old-dep",)),
    PackageSpec("app", "2.0", depends=("trusty-lib >=2",)),
]


@pytest.fixture
def versioned(conda_install, tmp_path) -> Iterator[SignedChannel]:
    channel = _attach(make_signed_channel(tmp_path / "channel", packages=VERSIONED, tamper=()), conda_install)
    yield channel
    channel.server.stop()


def test_update_and_removal(versioned, real_conda):
    core, prefix = versioned.core(engine="conda"), versioned.prefix()
    core.installer().apply(core.planner().plan(["app ==1.0"], prefix))
    # As conda would have recorded it: only ``app`` was asked for, so old-dep may go when it is in the way
    # (without a history conda treats every installed package as requested and never removes one).
    history = (
        "==> 2026-01-01 00:00:00 <==\n# cmd: conda create --prefix target app==1.0\n# update specs: ['app==1.0']\n"
    )
    (prefix / "conda-meta" / "history").write_text(history)
    plan = core.planner().plan(["app >=2"], prefix)
    assert {(p.filename, p.action, p.verdict, p.previous_version) for p in plan.packages} == {
        ("app-2.0-0.conda", "update", "trusted", "1.0"),
        ("trusty-lib-2.0-0.conda", "update", "trusted", "1.0"),
        ("old-dep-1.0-0.conda", "remove", "n/a", None),
    }
    assert not plan.blocked
    result = core.installer().apply(plan)
    assert result.removed and {p.name for p in (prefix / "conda-meta").glob("*.json")} == {
        "app-2.0-0.json",
        "trusty-lib-2.0-0.json",
    }


@pytest.mark.parametrize(
    ("specs", "exception"),
    # conda 26 says PackagesNotFoundInChannelsError
    [(["no-such-package"], "PackagesNotFound"), (["old-dep", "trusty-lib >=2"], "UnsatisfiableError")],
)
def test_solve_errors_are_clear_engine_errors(versioned, real_conda, specs, exception):
    core = versioned.core(engine="conda")
    with pytest.raises(EngineError) as info:
        core.planner().plan(specs, versioned.prefix())
    message = str(info.value)
    assert f"conda could not plan this install ({exception}" in message and "Traceback" not in message


def test_cli_plan_solve_error_exits_2_without_traceback(conda_world, real_conda, monkeypatch, tmp_path, capsys):
    from jupyter_trust.cli import main

    policy = tmp_path / "admin-policy.json"
    policy.write_text(json.dumps({"allowed_prefix_roots": [str(conda_world.envs)], "engine": "conda"}))
    for name in [n for n in os.environ if n.upper().startswith("CONDA_")]:
        monkeypatch.delenv(name)
    for name, value in conda_world.environ.items():
        if name.startswith(("CONDA", "JUPYTER_TRUST_ROOT")):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("JUPYTER_TRUST_POLICY_FILE", str(policy))
    code = main(["plan", "no-such-package", "--prefix", str(conda_world.prefix()), "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and "PackagesNotFound" in out + err and "Traceback" not in out + err


@pytest.fixture
def conda_server(conda_world, jp_serverapp):
    return serve_with_conda(jp_serverapp, conda_world)


async def test_rest_plan_solve_error_is_a_json_4xx(conda_server, real_conda, jp_fetch):
    from tornado.httpclient import HTTPClientError

    body = json.dumps({"specs": ["no-such-package"], "prefix": str(conda_server.prefix())})
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "plans", method="POST", body=body)
    assert 400 <= info.value.code < 500
    text = info.value.response.body.decode()
    assert "PackagesNotFound" in json.dumps(json.loads(text)) and "Traceback" not in text


# -- one channel with every trust case ------------------------------------------------------------
TRUST_PACKAGES = [*DEMO_PACKAGES, PackageSpec("rogue-tool", "1.0"), PackageSpec("legacy-lib", "1.0", fmt="tar.bz2")]
ALL_SPECS = ("trusty-app", "unsigned-extra", "tampered-tool", "rogue-tool", "legacy-lib")


def _trust_cases_channel(base: Path, install: CondaInstall) -> SignedChannel:
    """Trusted, unsigned, tampered and unauthorized-key records; root 2 served (new root and key_mgr keys).

    Both conda and jupyter_trust start from root 1, fetch 2.root.json (signed by the old and the new root key,
    so root 1 sees one signature from a key it does not authorize) and then a key_mgr only root 2 delegates to.
    """
    channel = make_signed_channel(
        base, packages=TRUST_PACKAGES, sign=lambda fn: fn not in (*DEMO_UNSIGNED, ROGUE), tamper=DEMO_TAMPERED
    )
    repodata = channel.repodata()
    rogue = generate_keypair()
    record = repodata["packages.conda"][ROGUE]
    repodata["signatures"][ROGUE] = {
        rogue.public_hex: {"signature": sign_raw_bytes(rogue.private_hex, canonical(record))}
    }
    channel.built.repodata_path.write_text(json.dumps(repodata, indent=1, sort_keys=True))

    keys = channel.built.keys
    new_root, new_key_mgr = generate_keypair(), generate_keypair()
    root2 = rotate_root(
        json.loads(channel.built.root_path.read_text()),
        root_pubkeys=[new_root.public_hex],
        key_mgr_pubkeys=[new_key_mgr.public_hex],
    )
    sign_openpgp(sign_openpgp(root2, keys.root), new_root)
    key_mgr = sign_raw(build_key_mgr([keys.pkg_mgr.public_hex], 1), new_key_mgr)
    (channel.built.metadata_dir / "2.root.json").write_bytes(canonical(root2))
    (channel.built.metadata_dir / "key_mgr.json").write_bytes(canonical(key_mgr))
    return _attach(channel, install)


@pytest.fixture
def trust_cases(conda_install, tmp_path) -> Iterator[SignedChannel]:
    channel = _trust_cases_channel(tmp_path / "channel", conda_install)
    yield channel
    channel.server.stop()


_PLAN_LINE = re.compile(r"^\s+\S+\s+\S+::(?P<dist>\S+)\s*(?P<labels>.*)$")


def conda_labels(text: str) -> dict[str, str]:
    """conda's text plan → {dist name: trusted|untrusted|unsigned|none} from each record's label."""
    labels: dict[str, str] = {}
    for line in text.splitlines():
        match = _PLAN_LINE.match(line)
        if not match:
            continue
        label = match["labels"]
        labels[match["dist"]] = (
            "untrusted"
            if "(package metadata is UNTRUSTED)" in label
            else "trusted"
            if "(package metadata is TRUSTED)" in label
            else "unsigned"
            if "(no signatures found for" in label
            else "none"
        )
    return labels


def _dist(filename: str) -> str:
    return filename.removesuffix(".conda").removesuffix(".tar.bz2")


def test_conda_labels_equal_our_verdicts(trust_cases, conda_install, real_conda):
    out = dry_run(conda_install, trust_cases, trust_cases.envs / "new", *ALL_SPECS, json_out=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert (conda_install.trust_dir / "2.root.json").is_file(), "conda did not take root 2"
    theirs = conda_labels(out.stdout)
    plan = trust_cases.core(unsigned="allow").planner().plan(list(ALL_SPECS), trust_cases.envs / "new")
    ours = {_dist(fn): verdict for fn, verdict in verdicts(plan).items()}
    assert ours == {
        _dist(APP): "trusted",
        _dist(LIB): "trusted",
        _dist(LEGACY): "trusted",
        _dist(UNSIGNED): "unsigned",
        _dist(TAMPERED): "untrusted",
        _dist(ROGUE): "untrusted",
    }
    assert theirs == ours, out.stdout
    assert plan.trust["root"]["version"] == 2 and plan.blocked


def test_a_channel_without_signatures_is_unsigned_for_both(conda_world, conda_install, real_conda):
    """No ``signatures`` key at all (most public channels): conda says "no signatures found for <channel>"."""
    repodata = conda_world.repodata()
    del repodata["signatures"]
    conda_world.built.repodata_path.write_text(json.dumps(repodata, indent=1, sort_keys=True))
    out = dry_run(conda_install, conda_world, conda_world.envs / "new", "trusty-app", "tampered-tool", json_out=False)
    assert out.returncode == 0, out.stderr[-2000:]
    theirs = conda_labels(out.stdout)
    assert "(no signatures found for" in out.stdout and _dist(APP) + ".conda" not in out.stdout
    plan = conda_world.core(unsigned="allow").planner().plan(["trusty-app", "tampered-tool"], conda_world.envs / "new")
    ours = {_dist(fn): verdict for fn, verdict in verdicts(plan).items()}
    assert theirs == ours == {_dist(fn): "unsigned" for fn in (APP, LIB, TAMPERED)}, out.stdout
    assert not plan.blocked


def test_text_conda_prints_before_its_json_is_tolerated(trust_cases, conda_install, real_conda):
    raw = dry_run(conda_install, trust_cases, trust_cases.envs / "raw", "trusty-app", "rogue-tool")
    first = raw.stdout.lstrip().splitlines()[0]
    assert first.startswith(IGNORING), raw.stdout[:500]  # root rotation and the rogue key, before the JSON
    # The planner sees the same output (conda starts from root 1 again) and still reads conda's answer.
    for path in conda_install.trust_dir.glob("*.json"):
        path.unlink()
    conda_install.trust(trust_cases.built.root_path)
    plan = trust_cases.core(engine="conda").planner().plan(["trusty-app", "rogue-tool"], trust_cases.prefix())
    assert verdicts(plan) == {APP: "trusted", LIB: "trusted", ROGUE: "untrusted"} and plan.blocked


# -- conda reads what jupyter_trust writes ---------------------------------------------------------
def _cli(env: dict[str, str], *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_trust.cli", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _conda_config(install: CondaInstall, env: dict[str, str]) -> dict:
    out = install.run(["config", "--json", "--show", "extra_safety_checks", "signing_metadata_url_base"], env)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_conda_uses_the_token_and_settings_jupyter_trust_writes(conda_install, real_conda, tmp_path):
    channel = make_signed_channel(tmp_path / "channel", channel_name="main", require_token=TOKEN)
    try:
        condarc = tmp_path / "condarc"
        condarc.write_text(CONDARC_EXTRA)
        conda_env = conda_install.environ(channel.environ, condarc)
        repo = f"{channel.url}/channel/"
        cli_env = {**conda_env, "CONDA_TOKEN_REPO_URL": repo}
        search = ["search", "--json", "--override-channels", "-c", f"{repo}main", "trusty-lib"]
        metadata_url = channel.metadata_url

        done = _cli(cli_env, "token", "set", "--file", str(condarc), "--json", stdin=TOKEN + "\n")
        assert done.returncode == 0, done.stderr
        assert TOKEN not in done.stdout + done.stderr
        before = len(channel.server.request_log)
        found = conda_install.run(search, conda_env)
        assert found.returncode == 0, found.stdout[-1500:] + found.stderr[-1500:]
        asked = channel.server.request_log[before:]
        assert f"/t/{TOKEN}/channel/main/noarch/repodata.json" in asked, asked

        done = _cli(cli_env, "verification", "on", "--metadata-url", metadata_url, "--file", str(condarc), "--json")
        assert done.returncode == 0, done.stderr
        assert _conda_config(conda_install, conda_env) == {
            "extra_safety_checks": True,
            "signing_metadata_url_base": metadata_url,
        }

        for argv in (["token", "remove"], ["verification", "off"]):
            done = _cli(cli_env, *argv, "--file", str(condarc), "--json")
            assert done.returncode == 0, done.stderr
        shown = _conda_config(conda_install, conda_env)
        assert shown["extra_safety_checks"] is False and not shown.get("signing_metadata_url_base"), shown
        before = len(channel.server.request_log)
        refused = conda_install.run(search, conda_env)
        asked = channel.server.request_log[before:]
        assert asked and not any("/t/" in path for path in asked), asked
        assert refused.returncode != 0  # the channel wants a token conda no longer has
    finally:
        channel.server.stop()
