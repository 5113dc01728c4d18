"""The settings service every surface calls: verification on/off, token set/remove, policy, privacy."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from token_fixtures import GOOD_TOKEN, assert_no_secret

from jupyter_trust.childenv import child_environ
from jupyter_trust.conda.condarc import CondarcError, CondarcLocation
from jupyter_trust.conda.tokens import TokenStore, TokenValidationError, UnsafeTokenLocation, token_path
from jupyter_trust.policy import Policy, PolicyLocked
from jupyter_trust.settings import SettingsResult, SettingsService, check_metadata_url


def load_yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text()) or {}


def rc(tmp_path: Path, name: str = "team.condarc") -> CondarcLocation:
    return CondarcLocation.resolve("file", tmp_path / name)


def user() -> CondarcLocation:
    return CondarcLocation.resolve("user")


def policy_file(tmp_path: Path, **values) -> Policy:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(values))
    return Policy.load(policy_file=path)


# -- verification ----------------------------------------------------------------------------------
def test_verification_on_writes_conda_tokens_keys(validation_server, tmp_path):
    svc = SettingsService(policy=Policy())
    result = svc.set_verification(True, location=rc(tmp_path))
    data = load_yaml(tmp_path / "team.condarc")
    assert data == {"extra_safety_checks": True, "signing_metadata_url_base": validation_server.repo_url.rstrip("/")}
    assert isinstance(result, SettingsResult) and result.condarc == str(tmp_path / "team.condarc")


def test_verification_reports_values_and_sources(isolated_home):
    svc = SettingsService(policy=Policy())
    off = svc.verification()
    assert off == {
        "enabled": False,
        "source": "default",
        "metadata_url": None,
        "metadata_url_source": None,
        "locked": False,
        "lock_reason": None,
    }
    svc.set_verification(True, location=user(), metadata_url="http://127.0.0.1:9/meta/")
    on = svc.verification()
    condarc = str(isolated_home / ".condarc")
    assert on["enabled"] and on["source"] == condarc
    assert on["metadata_url"] == "http://127.0.0.1:9/meta" and on["metadata_url_source"] == condarc


def test_verification_off_is_condas_config_set_false_and_keeps_the_url(isolated_home):
    svc = SettingsService(policy=Policy())
    svc.set_verification(True, location=user(), metadata_url="http://127.0.0.1:9/m")
    result = svc.set_verification(False, location=user())
    condarc = isolated_home / ".condarc"
    assert load_yaml(condarc) == {"extra_safety_checks": False, "signing_metadata_url_base": "http://127.0.0.1:9/m"}
    assert result.verification["enabled"] is False and result.verification["source"] == str(condarc)
    assert result.to_json()["verification"]["enabled"] is False


def test_enabling_again_keeps_a_configured_metadata_url(isolated_home):
    (isolated_home / ".condarc").write_text("signing_metadata_url_base: http://127.0.0.1:4/own\n")
    SettingsService(policy=Policy()).set_verification(True, location=user())
    assert load_yaml(isolated_home / ".condarc")["signing_metadata_url_base"] == "http://127.0.0.1:4/own"


def test_locked_verification_is_shown_with_its_reason(tmp_path):
    svc = SettingsService(policy=policy_file(tmp_path, require_verification=True))
    state = svc.verification()
    assert state["locked"] is True and str(tmp_path / "policy.json") in state["lock_reason"]
    with pytest.raises(PolicyLocked) as info:
        svc.set_verification(False, location=rc(tmp_path))
    assert "require_verification" in str(info.value) and not (tmp_path / "team.condarc").exists()
    svc.set_verification(True, location=rc(tmp_path))  # turning it on is always allowed


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://127.0.0.1/meta",
        "http://user:pw@127.0.0.1/meta",
        f"http://127.0.0.1/t/{GOOD_TOKEN}/repo",
        "http://127.0.0.1/meta?token=abc",
        "http://127.0.0.1/meta#frag",
        "http://127.0.0.1/me ta",
        "http:///nohost",
        "http://127.0.0.1/meta\nextra_safety_checks: false",
        "",
    ],
)
def test_bad_metadata_urls_are_refused_and_nothing_written(tmp_path, url):
    with pytest.raises(ValueError) as info:
        SettingsService(policy=Policy()).set_verification(True, location=rc(tmp_path), metadata_url=url)
    assert not (tmp_path / "team.condarc").exists()
    assert_no_secret(str(info.value))


def test_good_metadata_urls_are_normalised():
    assert check_metadata_url(" https://127.0.0.1:8/repo/ ") == "https://127.0.0.1:8/repo"
    assert check_metadata_url("file:///srv/meta") == "file:///srv/meta"


# -- token set/remove ------------------------------------------------------------------------------
def test_restore_free_channel_is_only_changed_when_true(validation_server, tmp_path):
    svc = SettingsService(policy=Policy())
    svc.set_token(GOOD_TOKEN, location=rc(tmp_path, "a"))
    assert "restore_free_channel" not in load_yaml(tmp_path / "a")
    (tmp_path / "b").write_text("restore_free_channel: true\n")
    svc.set_token(GOOD_TOKEN, location=rc(tmp_path, "b"))
    assert load_yaml(tmp_path / "b")["restore_free_channel"] is False


def test_set_without_verification_leaves_it_alone(validation_server, tmp_path):
    SettingsService(policy=Policy()).set_token(GOOD_TOKEN, location=rc(tmp_path), enable_signature_verification=False)
    data = load_yaml(tmp_path / "team.condarc")
    assert "extra_safety_checks" not in data and data["add_anaconda_token"] is True


def test_required_verification_is_written_even_if_not_asked(validation_server, tmp_path):
    svc = SettingsService(policy=Policy.load({"require_verification": True}))
    svc.set_token(GOOD_TOKEN, location=rc(tmp_path), enable_signature_verification=False)
    assert load_yaml(tmp_path / "team.condarc")["extra_safety_checks"] is True


def test_remove_keeps_verification_when_the_admin_requires_it(validation_server, tmp_path):
    svc = SettingsService(policy=policy_file(tmp_path, require_verification=True))
    location = rc(tmp_path)
    svc.set_token(GOOD_TOKEN, location=location)
    result = svc.remove_token(location=location)
    data = load_yaml(location.path)
    assert data["extra_safety_checks"] is True and "signing_metadata_url_base" in data
    assert "default_channels" not in data and not result.token.present
    assert any("administrator requires" in m for m in result.messages)


def test_an_admin_may_lock_user_tokens_on(validation_server, tmp_path):
    svc = SettingsService(policy=policy_file(tmp_path, allow_user_token=True))
    assert svc.set_token(GOOD_TOKEN, location=rc(tmp_path)).token.present


def test_forbidden_user_tokens_cannot_be_set_or_removed(validation_server, tmp_path):
    svc = SettingsService(policy=policy_file(tmp_path, allow_user_token=False))
    with pytest.raises(PolicyLocked) as info:
        svc.set_token(GOOD_TOKEN, location=rc(tmp_path))
    assert "allow_user_token" in str(info.value)
    assert_no_secret(str(info.value))
    with pytest.raises(PolicyLocked):
        svc.remove_token(location=rc(tmp_path))
    assert validation_server.server.request_log == [] and not (tmp_path / "team.condarc").exists()


@pytest.mark.parametrize("kind", ["token_env_var", "token_file"])
def test_an_admin_supplied_token_cannot_be_replaced_or_removed(validation_server, tmp_path, monkeypatch, kind):
    # Found under a real JupyterHub (tests/test_hub.py): the user's token was stored (200) yet never used.
    secret = tmp_path / "admin.token"
    secret.write_text("adm-SENTINEL-0a1b2c3d")
    secret.chmod(0o600)
    monkeypatch.setenv("SETTINGS_ADMIN_CRED", "adm-SENTINEL-0a1b2c3d")
    value = "SETTINGS_ADMIN_CRED" if kind == "token_env_var" else str(secret)
    svc = SettingsService(policy=policy_file(tmp_path, **{kind: value}))
    store = TokenStore(policy=svc.policy)
    for attempt in (
        lambda: svc.set_token(GOOD_TOKEN, location=rc(tmp_path)),
        lambda: svc.set_token(GOOD_TOKEN, location=rc(tmp_path), validate=False),
        lambda: svc.remove_token(location=rc(tmp_path)),
    ):
        with pytest.raises(PolicyLocked) as info:
            attempt()
        assert "supplied by your administrator" in str(info.value) and kind in str(info.value)
        assert "adm-SENTINEL" not in str(info.value)
    assert not store.path.exists() and not (tmp_path / "team.condarc").exists()
    assert validation_server.server.request_log == []
    assert store.info().source == ("env" if kind == "token_env_var" else "secret_file")


def test_an_unset_admin_token_variable_leaves_user_tokens_allowed(validation_server, tmp_path, monkeypatch):
    monkeypatch.delenv("SETTINGS_UNSET_CRED", raising=False)
    svc = SettingsService(policy=policy_file(tmp_path, token_env_var="SETTINGS_UNSET_CRED"))
    assert svc.set_token(GOOD_TOKEN, location=rc(tmp_path)).token.source == "file"


def test_validation_goes_through_the_condarc_proxy(validation_server, http_proxy, isolated_home):
    (isolated_home / ".condarc").write_text(f"proxy_servers:\n  http: {http_proxy.url}\n")
    result = SettingsService(policy=Policy()).set_token(GOOD_TOKEN, location=user())
    assert result.validated is True
    assert len(http_proxy.seen) == 1 and http_proxy.seen[0].endswith("/main/noarch/repodata.json")


def test_validation_sends_exactly_one_head_with_the_token_in_the_path(validation_server, tmp_path):
    SettingsService(policy=Policy()).set_token(GOOD_TOKEN, location=rc(tmp_path))
    assert validation_server.server.request_log == [f"/t/{GOOD_TOKEN}/repo/main/noarch/repodata.json"]


def test_broken_condarc_stores_no_token(validation_server, tmp_path):
    (tmp_path / "team.condarc").write_text("channels: [unclosed\n")
    with pytest.raises(CondarcError):
        SettingsService(policy=Policy()).set_token(GOOD_TOKEN, location=rc(tmp_path))
    assert not token_path(validation_server.repo_url).exists()


def test_world_writable_token_directory_is_refused_before_anything_happens(validation_server, tmp_path):
    directory = token_path(validation_server.repo_url).parent
    directory.mkdir(parents=True)
    os.chmod(directory, 0o777)
    with pytest.raises(UnsafeTokenLocation) as info:
        SettingsService(policy=Policy()).set_token(GOOD_TOKEN, location=rc(tmp_path))
    assert "writable by every user" in str(info.value)
    assert validation_server.server.request_log == []  # the token was not even sent
    assert not (tmp_path / "team.condarc").exists() and not list(directory.iterdir())


def test_foreign_token_directory_is_refused(validation_server, tmp_path):
    if os.getuid() != 0:
        pytest.skip("needs root to create a directory owned by another user")
    directory = token_path(validation_server.repo_url).parent
    directory.mkdir(parents=True)
    os.chown(directory, 12345, 12345)
    with pytest.raises(UnsafeTokenLocation, match="another user"):
        TokenStore().write(GOOD_TOKEN)


def test_foreign_token_file_is_refused_not_repaired(validation_server):
    if os.getuid() != 0:
        pytest.skip("needs root to create a file owned by another user")
    path = token_path(validation_server.repo_url)
    path.parent.mkdir(parents=True)
    path.write_text("tok-PLANTED-12345678")
    os.chmod(path, 0o644)
    os.chown(path, 12345, 12345)
    store = TokenStore()
    assert store.read() is None and "another user" in store.info().error
    assert path.stat().st_mode & 0o777 == 0o644  # not ours: left as it is


def test_broken_admin_secret_file_never_falls_back_to_the_users_token(validation_server, tmp_path):
    TokenStore().write(GOOD_TOKEN)
    store = TokenStore(policy=Policy.load({"token_file": str(tmp_path / "missing")}))
    assert store.read() is None
    info = store.info()
    assert not info.present and info.source == "secret_file" and "cannot be used" in info.error


def test_malformed_admin_token_is_not_used(validation_server, monkeypatch):
    monkeypatch.setenv("ADMIN_TOK", "two words\nhere")
    store = TokenStore(policy=Policy.load({"token_env_var": "ADMIN_TOK"}))
    assert store.read() is None and "malformed" in store.info().error
    assert "two words" not in json.dumps(store.info().to_json())


def test_pkgs_dirs_decide_which_index_cache_is_cleared(validation_server, isolated_home, tmp_path):
    pkgs = tmp_path / "pkgs"
    (pkgs / "cache").mkdir(parents=True)
    (pkgs / "cache" / "0a1b.json").write_text("{}")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.json").write_text("{}")
    home_pkgs = isolated_home / ".conda" / "pkgs"
    home_pkgs.mkdir(parents=True)
    (home_pkgs / "cache").symlink_to(elsewhere)  # a link out of a package cache is never followed
    (isolated_home / ".condarc").write_text(f"pkgs_dirs: [{pkgs}, {home_pkgs}]\n")
    SettingsService(policy=Policy()).set_token(GOOD_TOKEN, location=user())
    assert not (pkgs / "cache" / "0a1b.json").exists() and (elsewhere / "precious.json").exists()


# -- privacy: the sentinel token never shows up anywhere but in the token file ---------------------
def test_sentinel_token_never_leaks(validation_server, isolated_home, tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    svc = SettingsService(policy=Policy())
    seen: list[str] = []
    location = user()
    seen.append(json.dumps(svc.set_token(GOOD_TOKEN, location=location).to_json()))
    seen.append(json.dumps(svc.set_verification(False, location=location).to_json()))
    seen.append(json.dumps(svc.set_verification(True, location=location).to_json()))
    seen.append(json.dumps(svc.tokens().info().to_json()))
    seen.append(repr(svc.tokens().info()))
    seen.append(json.dumps(svc.verification()))
    secret_file = token_path(validation_server.repo_url)
    assert secret_file.read_text() == GOOD_TOKEN
    for path in isolated_home.rglob("*"):
        if path.is_file() and path != secret_file:
            seen.append(path.read_text(errors="replace"))  # condarc, locks: everything but the token file
    # failures: rejected (the sentinel stands in for a wrong token), unreachable, malformed
    validation_server.server.require_token = "tok-other-000000000"
    for attempt in (GOOD_TOKEN, GOOD_TOKEN + " extra"):
        with pytest.raises((TokenValidationError, ValueError)) as info:
            svc.set_token(attempt, location=location)
        seen += [str(info.value), repr(info.value)]
    validation_server.server.stop()
    with pytest.raises(TokenValidationError) as info:
        svc.set_token(GOOD_TOKEN, location=location)
    assert info.value.failure == "unreachable"
    seen += [str(info.value), repr(info.value)]
    # a child process started the way the core starts them: neither argv nor environment hold it
    monkeypatch.setenv("ANACONDA_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", GOOD_TOKEN)
    child = subprocess.run(
        [sys.executable, "-c", "import os, sys; print(sys.argv); print(sorted(os.environ.items()))"],
        env=child_environ(),
        capture_output=True,
        text=True,
        check=True,
    )
    seen.append(child.stdout)
    seen.append(json.dumps(svc.remove_token(location=location).to_json()))
    seen.append(caplog.text)
    for path in isolated_home.rglob("*"):
        if path.is_file():
            seen.append(path.read_text(errors="replace"))  # the token file is gone after remove
    for text in seen:
        assert_no_secret(text)
