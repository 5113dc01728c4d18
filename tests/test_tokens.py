"""Token configuration compatible with conda-token, on every location, and private (issue 3)."""

from __future__ import annotations

import base64
import json
import logging
import multiprocessing
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from token_fixtures import GOOD_TOKEN

from jupyter_trust.childenv import child_environ
from jupyter_trust.conda.condarc import CondaConfig, CondarcLocation, edit_condarc
from jupyter_trust.conda.tokens import (
    DEFAULT_REPO_URL,
    TokenStore,
    TokenValidationError,
    authenticated_url,
    repo_url,
    token_dir,
    token_path,
)
from jupyter_trust.policy import Policy, PolicyLocked
from jupyter_trust.settings import SettingsService

GOLDEN = Path(__file__).parent / "golden" / "condarc-token-set.yml"


def forms(secret: str) -> list[str]:
    return [secret, urllib.parse.quote(secret, safe=""), base64.b64encode(secret.encode()).decode()]


def assert_private(text: str, secret: str = GOOD_TOKEN) -> None:
    for form in forms(secret):
        assert form not in text


def service(**policy) -> SettingsService:
    return SettingsService(policy=Policy.load(policy))


def user() -> CondarcLocation:
    return CondarcLocation.resolve("user")


def load_yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


# -- set, as conda-token does ----------------------------------------------------------------------
def test_set_token_matches_conda_token_golden_file(validation_server, isolated_home):
    result = service().set_token(GOOD_TOKEN, location=user(), enable_signature_verification=True)
    assert result.validated is True
    repo = validation_server.repo_url.rstrip("/")
    expected = YAML(typ="safe").load(GOLDEN.read_text().replace("{REPO}", repo))
    written = load_yaml(isolated_home / ".condarc")
    assert written == expected
    assert list(written) == list(expected)  # key order as written (conda-token's order of `conda config` calls)
    assert written["signing_metadata_url_base"] == repo  # no trailing slash, as conda-token writes it
    path = token_path(validation_server.repo_url)
    assert path.name == urllib.parse.quote_plus(validation_server.repo_url) + ".token"
    assert path.read_text() == GOOD_TOKEN  # raw token, no newline: what conda reads
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent == isolated_home / ".config" / "binstar"
    assert_private(json.dumps(result.to_json()))
    assert result.token.masked == "****" + GOOD_TOKEN[-4:]


def test_binstar_config_dir_is_honoured(validation_server, tmp_path, monkeypatch):
    monkeypatch.setenv("BINSTAR_CONFIG_DIR", str(tmp_path / "binstar"))
    service().set_token(GOOD_TOKEN, location=user())
    assert (tmp_path / "binstar" / "data" / (urllib.parse.quote_plus(repo_url()) + ".token")).read_text() == GOOD_TOKEN


def test_set_token_keeps_comments_and_unrelated_keys(validation_server, isolated_home):
    condarc = isolated_home / ".condarc"
    condarc.write_text("# mine\nchannels:  # keep me\n  - conda-forge\nrestore_free_channel: true\nalways_yes: false\n")
    service().set_token(GOOD_TOKEN, location=user())
    text = condarc.read_text()
    assert "# mine" in text and "# keep me" in text and "always_yes: false" in text
    data = load_yaml(condarc)
    assert data["channels"] == ["conda-forge"] and data["restore_free_channel"] is False


def test_rejected_token_writes_nothing(validation_server, isolated_home, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TokenValidationError) as info:
        service().set_token("tok-WRONG-0000000000", location=user())
    assert info.value.failure == "rejected" and "could not be validated" in str(info.value)
    assert "tok-WRONG-0000000000" not in str(info.value) + caplog.text
    assert not token_path(validation_server.repo_url).exists() and not (isolated_home / ".condarc").exists()


def test_unreachable_repository_is_distinct_and_writes_nothing(validation_server, isolated_home):
    validation_server.server.stop()
    with pytest.raises(TokenValidationError) as info:
        service().set_token(GOOD_TOKEN, location=user())
    assert info.value.failure == "unreachable" and "could not be reached" in str(info.value)
    assert_private(str(info.value))
    assert not token_path(validation_server.repo_url).exists()


def test_no_validate_skips_the_request(validation_server, isolated_home):
    validation_server.server.stop()
    result = service().set_token(GOOD_TOKEN, location=user(), validate=False)
    assert result.validated is None and token_path(validation_server.repo_url).exists()


@pytest.mark.parametrize("bad", ["has space", "line\nbreak", "a/b", "", "x" * 5000, "tok\x00en"])
def test_malformed_tokens_are_refused_without_echo(validation_server, bad):
    with pytest.raises(ValueError) as info:
        service().set_token(bad, location=user(), validate=False)
    if len(bad) > 3:
        assert bad not in str(info.value)


# -- remove, honouring the location ----------------------------------------------------------------
def test_remove_undoes_set_in_the_chosen_file(validation_server, tmp_path):
    chosen = CondarcLocation.resolve("file", tmp_path / "team.condarc")
    svc = service()
    svc.set_token(GOOD_TOKEN, location=chosen)
    assert load_yaml(chosen.path)["extra_safety_checks"] is True
    result = svc.remove_token(location=chosen)
    data = load_yaml(chosen.path)
    assert "default_channels" not in data and "signing_metadata_url_base" not in data
    assert data["extra_safety_checks"] is False
    assert not token_path(validation_server.repo_url).exists()
    assert not result.token.present


@pytest.mark.parametrize("scope", ["user", "env", "system", "file"])
def test_every_location_scope(validation_server, tmp_path, monkeypatch, isolated_home, scope):
    env_prefix, root = tmp_path / "env", tmp_path / "root"
    env_prefix.mkdir()
    root.mkdir()
    monkeypatch.setenv("CONDA_PREFIX", str(env_prefix))
    expected = {
        "user": isolated_home / ".condarc",
        "env": env_prefix / ".condarc",
        "system": root / ".condarc",
        "file": tmp_path / "x.condarc",
    }[scope]
    location = CondarcLocation.resolve(scope, tmp_path / "x.condarc" if scope == "file" else None, sys_prefix=root)
    assert location.path == expected
    svc = SettingsService(policy=Policy(), root_prefix=root, active_prefix=env_prefix)
    svc.set_verification(True, location=location, metadata_url="http://127.0.0.1:9/m")
    assert load_yaml(expected)["extra_safety_checks"] is True
    # conda reads it from there: the merged configuration says where the value came from.
    if scope == "file":
        monkeypatch.setenv("CONDARC", str(expected))
    config = CondaConfig.load(root_prefix=root, active_prefix=env_prefix)
    assert config.extra_safety_checks.value is True and config.extra_safety_checks.source == str(expected)


def test_condarc_env_var_and_condarc_d_are_read(tmp_path, monkeypatch, isolated_home):
    (isolated_home / ".condarc").write_text("extra_safety_checks: false\nchannels: [a]\n")
    drop = isolated_home / ".conda" / "condarc.d"
    drop.mkdir(parents=True)
    (drop / "10-trust.yml").write_text("signing_metadata_url_base: http://127.0.0.1:1/meta\n")
    (tmp_path / "rc").write_text("extra_safety_checks: true\n")
    monkeypatch.setenv("CONDARC", str(tmp_path / "rc"))
    config = CondaConfig.load()
    assert config.extra_safety_checks.value is True and config.extra_safety_checks.source == str(tmp_path / "rc")
    assert config.signing_metadata_url_base.source == str(drop / "10-trust.yml")


def _writer(path: str, index: int, count: int) -> None:
    location = CondarcLocation("file", Path(path))
    for i in range(count):
        edit_condarc(location, lambda data, i=i: data.__setitem__(f"key_{index}_{i}", i))


def test_concurrent_writers_never_lose_edits(tmp_path):
    path = tmp_path / "shared.condarc"
    path.write_text("# shared\nalways_yes: false\n")
    procs = [multiprocessing.get_context("fork").Process(target=_writer, args=(str(path), n, 25)) for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    data = load_yaml(path)
    assert {f"key_{n}_{i}" for n in range(2) for i in range(25)} <= set(data)
    assert path.read_text().startswith("# shared")


def test_broken_condarc_is_not_overwritten(tmp_path):
    path = tmp_path / "bad.condarc"
    path.write_text("channels: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        edit_condarc(CondarcLocation("file", path), lambda data: data.__setitem__("x", 1))
    assert path.read_text() == "channels: [unclosed\n"


# -- the token file: symlinks, permissions -----------------------------------------------------------
def test_symlinked_token_file_is_refused(validation_server, tmp_path):
    target = tmp_path / "elsewhere.token"
    target.write_text("tok-ATTACKER-000000")
    os.chmod(target, 0o600)
    path = token_path(validation_server.repo_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    store = TokenStore()
    assert store.read() is None
    info = store.info()
    assert not info.present and "symbolic link" in info.error
    store.write(GOOD_TOKEN)  # replaces the link itself, never writes through it
    assert not path.is_symlink() and target.read_text() == "tok-ATTACKER-000000"


def test_loose_permissions_are_repaired_with_a_warning(validation_server, caplog):
    path = token_path(validation_server.repo_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GOOD_TOKEN)
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        assert TokenStore().read() == GOOD_TOKEN
    assert path.stat().st_mode & 0o777 == 0o600
    assert "readable by other users" in caplog.text
    assert_private(caplog.text)


def test_slow_repository_is_reported_unreachable(validation_server):
    from jupyter_trust.fetch import Fetcher

    validation_server.server.delay = 2.0
    svc = SettingsService(policy=Policy(), fetcher_factory=lambda: Fetcher(timeout=0.5))
    with pytest.raises(TokenValidationError) as info:
        svc.set_token(GOOD_TOKEN, location=user())
    assert info.value.failure == "unreachable"
    assert not token_path(validation_server.repo_url).exists()


def test_set_token_clears_condas_index_cache(validation_server, isolated_home):
    cache = isolated_home / ".conda" / "pkgs" / "cache"
    cache.mkdir(parents=True)
    for name in ("abc123.json", "abc123.info.json", "keep.txt"):
        (cache / name).write_text("{}")
    service().set_token(GOOD_TOKEN, location=user())
    assert sorted(p.name for p in cache.iterdir()) == ["keep.txt"]  # what `conda clean -i` removes


# -- policy ----------------------------------------------------------------------------------------
def test_user_tokens_can_be_forbidden(validation_server):
    with pytest.raises(PolicyLocked):
        service(allow_user_token=False).set_token(GOOD_TOKEN, location=user())


def test_admin_token_from_environment_wins_and_is_masked(validation_server, monkeypatch):
    monkeypatch.setenv("ADMIN_ANACONDA_TOKEN", GOOD_TOKEN)
    store = TokenStore(policy=Policy.load({"token_env_var": "ADMIN_ANACONDA_TOKEN"}))
    assert store.read() == GOOD_TOKEN
    info = store.info()
    assert info.source == "env" and info.location == "$ADMIN_ANACONDA_TOKEN"
    assert_private(json.dumps(info.to_json()))
    assert "ADMIN_ANACONDA_TOKEN" not in child_environ(also_strip=["ADMIN_ANACONDA_TOKEN"])


def test_admin_token_file_must_be_private(validation_server, tmp_path):
    secret = tmp_path / "token"
    secret.write_text(GOOD_TOKEN)
    os.chmod(secret, 0o644)
    store = TokenStore(policy=Policy.load({"token_file": str(secret)}))
    assert store.read() is None and "readable by other users" in store.info().error
    os.chmod(secret, 0o600)
    assert store.read() == GOOD_TOKEN and store.info().source == "secret_file"


def test_locked_verification_cannot_be_turned_off(tmp_path):
    svc = service(require_verification=True)
    with pytest.raises(PolicyLocked):
        svc.set_verification(False, location=CondarcLocation("file", tmp_path / "rc"))


def test_child_environment_has_no_hub_or_jupyter_tokens(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hub-secret")
    monkeypatch.setenv("JPY_API_TOKEN", "jpy-secret")
    env = child_environ()
    assert "JUPYTERHUB_API_TOKEN" not in env and "JPY_API_TOKEN" not in env


# -- the command line reads the token from stdin, never argv ---------------------------------------
def test_cli_token_set_from_stdin(validation_server, isolated_home):
    env = {**os.environ}
    out = subprocess.run(
        [sys.executable, "-m", "jupyter_trust.cli", "token", "set", "--enable-signature-verification", "--json"],
        input=GOOD_TOKEN + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert_private(out.stdout + out.stderr)
    doc = json.loads(out.stdout)
    assert doc["token"]["present"] and doc["verification"]["enabled"] and doc["validated"] is True
    bad = subprocess.run(
        [sys.executable, "-m", "jupyter_trust.cli", "token", "set"],
        input="tok-WRONG-1111111111\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2 and "could not be validated" in bad.stderr and "tok-WRONG" not in bad.stderr


# -- compatibility details -------------------------------------------------------------------------
def test_repo_url_and_token_location_as_conda_token(tmp_path):
    assert repo_url({}) == DEFAULT_REPO_URL and DEFAULT_REPO_URL.endswith("/")
    assert repo_url({"CONDA_TOKEN_REPO_URL": "http://127.0.0.1:1/mirror"}) == "http://127.0.0.1:1/mirror/"
    assert token_dir({"HOME": str(tmp_path)}) == tmp_path / ".config" / "binstar"
    assert token_dir({"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "x")}) == tmp_path / "x" / "binstar"
    assert token_dir({"BINSTAR_CONFIG_DIR": str(tmp_path / "b")}) == tmp_path / "b" / "data"
    name = token_path("https://h.example/repo/", {"HOME": str(tmp_path)}).name
    assert name == "https%3A%2F%2Fh.example%2Frepo%2F.token"


def test_authenticated_url_inserts_the_token_only_under_the_repository():
    repo = "http://127.0.0.1:8/repo/"
    tok = "tok-abcdef123456"
    assert authenticated_url("http://127.0.0.1:8/repo/main/noarch/repodata.json", tok, repo_url=repo) == (
        f"http://127.0.0.1:8/t/{tok}/repo/main/noarch/repodata.json"
    )
    assert authenticated_url("http://127.0.0.1:8/repo/main", None, repo_url=repo) == "http://127.0.0.1:8/repo/main"
    for other in (
        "http://127.0.0.1:9/repo/main",  # another port
        "https://127.0.0.1:8/repo/main",  # another scheme
        "http://127.0.0.1:8/repository/main",  # a path that only starts with the same letters
        "http://127.0.0.1:8/other/main",
        "http://127.0.0.1:8/t/already/repo/main",  # never a second token
        "http://127.0.0.1:8.evil/repo/main",
    ):
        assert authenticated_url(other, tok, repo_url=repo) == other


def test_symlink_at_the_token_path_is_replaced_with_a_warning(validation_server, tmp_path, caplog):
    target = tmp_path / "attacker-readable"
    target.write_text("")
    path = token_path(validation_server.repo_url)
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    with caplog.at_level(logging.WARNING):
        TokenStore().write(GOOD_TOKEN)
    assert "symbolic link" in caplog.text and target.read_text() == ""
    assert path.read_text() == GOOD_TOKEN and not path.is_symlink() and path.stat().st_mode & 0o777 == 0o600
    assert_private(caplog.text)


def test_token_directory_is_created_private(validation_server):
    TokenStore().write(GOOD_TOKEN)
    assert token_path(validation_server.repo_url).parent.stat().st_mode & 0o777 == 0o700


def test_remove_is_idempotent_and_removes_a_dangling_link(validation_server, tmp_path):
    store = TokenStore()
    assert store.remove() is False
    path = token_path(validation_server.repo_url)
    path.parent.mkdir(parents=True)
    path.symlink_to(tmp_path / "nothing")
    assert store.remove() is True and not path.is_symlink()
