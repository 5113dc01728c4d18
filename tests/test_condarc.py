"""conda's configuration: search path, merging with sources, locations, round-trip edits under a lock."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from jupyter_trust.conda.condarc import (
    CondaConfig,
    CondarcError,
    CondarcLocation,
    discover_root_prefix,
    edit_condarc,
    search_path,
)
from jupyter_trust.conda.defaults import DEFAULT_CHANNEL_ALIAS


def load_yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "miniconda"
    (root / "conda-meta").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "bin" / "conda").write_text("#!/bin/sh\n")
    return root


# -- the search path -------------------------------------------------------------------------------
def test_search_path_is_condas_order(tmp_path, isolated_home):
    root, env = tmp_path / "root", tmp_path / "env"
    environ = {
        "HOME": str(isolated_home),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "CONDA_PREFIX": str(env),
        "CONDARC": str(tmp_path / "explicit.yml"),
    }
    paths = search_path(environ=environ, root_prefix=root)

    def trio(base: Path) -> list[Path]:
        return [base / ".condarc", base / "condarc", base / "condarc.d"]

    home = isolated_home
    assert paths == [
        *trio(Path("/etc/conda")),
        *trio(Path("/var/lib/conda")),
        *trio(root),
        *trio(tmp_path / "xdg" / "conda"),
        *trio(home / ".config" / "conda"),
        *trio(home / ".conda"),
        home / ".condarc",
        *trio(env),
        tmp_path / "explicit.yml",
    ]


def test_root_prefix_is_discovered_from_conda_exe(tmp_path):
    root = fake_root(tmp_path)
    environ = {"HOME": str(tmp_path), "CONDA_EXE": str(root / "bin" / "conda")}
    assert discover_root_prefix(environ) == root
    assert root / ".condarc" in search_path(environ=environ)
    assert CondarcLocation.resolve("system", environ=environ).path == root / ".condarc"
    assert discover_root_prefix({"CONDA_ROOT": str(tmp_path / "r")}) == tmp_path / "r"


def test_later_files_win_and_report_their_source(tmp_path, isolated_home, monkeypatch):
    root, env = tmp_path / "root", tmp_path / "env"
    root.mkdir()
    env.mkdir()
    (root / ".condarc").write_text("extra_safety_checks: true\nssl_verify: false\nchannels: [r1]\n")
    (isolated_home / ".condarc").write_text("extra_safety_checks: false\nchannels: [u1, r1]\n")
    (env / ".condarc").write_text("extra_safety_checks: true\nchannels: [e1]\n")
    config = CondaConfig.load(root_prefix=root, active_prefix=env)
    assert config.extra_safety_checks.value is True and config.extra_safety_checks.source == str(env / ".condarc")
    assert config.ssl_verify.value is False and config.ssl_verify.source == str(root / ".condarc")
    # lists: the higher-priority file's entries first, then the rest, without duplicates (conda's merge)
    assert config.channels.value == ["e1", "u1", "r1"]
    assert config.add_anaconda_token.value is True and config.add_anaconda_token.source == "default"
    assert config.files == [root / ".condarc", isolated_home / ".condarc", env / ".condarc"]


def test_maps_merge_key_by_key(tmp_path, isolated_home):
    (isolated_home / ".conda").mkdir()
    (isolated_home / ".conda" / ".condarc").write_text("proxy_servers: {http: 'http://a:1', https: 'http://a:2'}\n")
    (isolated_home / ".condarc").write_text("proxy_servers: {https: 'http://b:2'}\n")
    config = CondaConfig.load()
    assert config.proxy_servers.value == {"http": "http://a:1", "https": "http://b:2"}


def test_condarc_d_files_are_read_in_name_order(isolated_home):
    drop = isolated_home / ".config" / "conda" / "condarc.d"
    drop.mkdir(parents=True)
    (drop / "20-b.yml").write_text("channel_alias: http://127.0.0.1:2\n")
    (drop / "10-a.yaml").write_text("channel_alias: http://127.0.0.1:1\nsigning_metadata_url_base: http://m\n")
    (drop / "30-ignored.txt").write_text("channel_alias: http://127.0.0.1:3\n")
    config = CondaConfig.load()
    assert config.channel_alias.value == "http://127.0.0.1:2" and config.channel_alias.source == str(drop / "20-b.yml")
    assert config.signing_metadata_url_base.source == str(drop / "10-a.yaml")


def test_condarc_variable_may_name_a_directory(tmp_path, monkeypatch):
    (tmp_path / "rcdir").mkdir()
    (tmp_path / "rcdir" / "x.yml").write_text("extra_safety_checks: true\n")
    monkeypatch.setenv("CONDARC", str(tmp_path / "rcdir"))
    assert CondaConfig.load().extra_safety_checks.source == str(tmp_path / "rcdir" / "x.yml")


def test_conda_environment_variables_override_files(isolated_home, monkeypatch):
    (isolated_home / ".condarc").write_text("extra_safety_checks: true\nchannels: [a]\n")
    monkeypatch.setenv("CONDA_EXTRA_SAFETY_CHECKS", "false")
    monkeypatch.setenv("CONDA_CHANNELS", "x, y")
    config = CondaConfig.load()
    assert config.extra_safety_checks.value is False
    assert config.extra_safety_checks.source == "$CONDA_EXTRA_SAFETY_CHECKS"
    assert config.channels.value == ["x", "y"]


def test_channel_urls_expand_defaults_alias_and_custom_channels(isolated_home):
    (isolated_home / ".condarc").write_text(
        "channels: [defaults, conda-forge, mine, 'file:///srv/chan', 'http://127.0.0.1:9/c/', conda-forge]\n"
        "default_channels: ['http://127.0.0.1:8/repo/main', 'http://127.0.0.1:8/repo/r']\n"
        "custom_channels: {mine: 'http://127.0.0.1:7'}\n"
    )
    assert CondaConfig.load().channel_urls() == [
        ("main", "http://127.0.0.1:8/repo/main"),
        ("r", "http://127.0.0.1:8/repo/r"),
        ("conda-forge", f"{DEFAULT_CHANNEL_ALIAS}/conda-forge"),
        ("mine", "http://127.0.0.1:7/mine"),
        ("chan", "file:///srv/chan"),
        ("c", "http://127.0.0.1:9/c"),
    ]


def test_channel_alias_is_used_for_bare_names(isolated_home):
    (isolated_home / ".condarc").write_text("channel_alias: http://127.0.0.1:5/\nchannels: [bioconda]\n")
    assert CondaConfig.load().channel_urls() == [("bioconda", "http://127.0.0.1:5/bioconda")]


def test_fetcher_follows_proxy_servers_and_ssl_verify(isolated_home):
    (isolated_home / ".condarc").write_text("proxy_servers: {http: 'http://127.0.0.1:3128'}\nssl_verify: 'False'\n")
    fetcher = CondaConfig.load().fetcher()
    assert fetcher.proxies == {"http": "http://127.0.0.1:3128"} and fetcher.ssl_verify is False
    (isolated_home / ".condarc").write_text("ssl_verify: /etc/ssl/corp.pem\n")
    assert CondaConfig.load().fetcher().ssl_verify == "/etc/ssl/corp.pem"


# -- locations -------------------------------------------------------------------------------------
def test_every_scope_resolves(tmp_path, isolated_home):
    environ = {"HOME": str(isolated_home), "CONDA_PREFIX": str(tmp_path / "env"), "CONDA_ROOT": str(tmp_path / "b")}
    assert CondarcLocation.resolve(environ=environ) == CondarcLocation("user", isolated_home / ".condarc")
    assert CondarcLocation.resolve("env", environ=environ).path == tmp_path / "env" / ".condarc"
    assert (
        CondarcLocation.resolve("env", environ=environ, active_prefix=tmp_path / "k").path
        == tmp_path / "k" / ".condarc"
    )
    assert CondarcLocation.resolve("system", environ=environ).path == tmp_path / "b" / ".condarc"
    assert (
        CondarcLocation.resolve("system", environ=environ, sys_prefix=tmp_path / "s").path
        == tmp_path / "s" / ".condarc"
    )
    assert CondarcLocation.resolve("file", tmp_path / "f.yml", environ=environ).path == tmp_path / "f.yml"


# -- round-trip edits ------------------------------------------------------------------------------
def test_edit_keeps_comments_order_unrelated_keys_and_mode(tmp_path):
    path = tmp_path / ".condarc"
    original = (
        "# team settings\nalways_yes: false  # trailing\nchannels:\n  - conda-forge  # cf\nauto_update_conda: false\n"
    )
    path.write_text(original)
    os.chmod(path, 0o640)
    edit_condarc(CondarcLocation("file", path), lambda data: data.__setitem__("extra_safety_checks", True))
    text = path.read_text()
    assert text.startswith(original)  # untouched text, the new key appended
    assert text.endswith("extra_safety_checks: true\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_new_condarc_is_created_readable_but_not_secret(tmp_path):
    path = tmp_path / "sub" / ".condarc"
    edit_condarc(CondarcLocation("file", path), lambda data: data.__setitem__("add_anaconda_token", True))
    assert load_yaml(path) == {"add_anaconda_token": True}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def _writer(path: str, index: int, count: int) -> None:
    location = CondarcLocation("file", Path(path))
    for i in range(count):
        edit_condarc(location, lambda data, i=i: data.__setitem__(f"key_{index}_{i}", i))


def test_two_processes_fifty_edits_each_all_land(tmp_path):
    path = tmp_path / "shared.condarc"
    path.write_text("# shared\nalways_yes: false\n")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(path), n, 50)) for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    data = load_yaml(path)
    assert {f"key_{n}_{i}" for n in range(2) for i in range(50)} <= set(data)
    assert data["always_yes"] is False and path.read_text().startswith("# shared")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary files left behind


def test_symlinked_condarc_is_edited_at_its_target(tmp_path):
    target = tmp_path / "dotfiles" / "condarc"
    target.parent.mkdir()
    target.write_text("# mine\nchannels: [a]\n")
    link = tmp_path / ".condarc"
    link.symlink_to(target)
    edit_condarc(CondarcLocation("user", link), lambda data: data.__setitem__("extra_safety_checks", True))
    assert link.is_symlink() and load_yaml(target) == {"channels": ["a"], "extra_safety_checks": True}


# -- bad input -------------------------------------------------------------------------------------
def test_env_scope_without_active_environment_is_refused():
    with pytest.raises(CondarcError, match="no active conda environment"):
        CondarcLocation.resolve("env", environ={"HOME": "/nonexistent"})


@pytest.mark.parametrize("path", [None, "", "bad\x00path"])
def test_file_scope_needs_a_usable_path(path):
    with pytest.raises(CondarcError, match="needs a file path"):
        CondarcLocation.resolve("file", path)


def test_file_scope_refuses_a_directory(tmp_path):
    with pytest.raises(CondarcError, match="is a directory"):
        CondarcLocation.resolve("file", tmp_path)


def test_unknown_scope_is_refused():
    with pytest.raises(CondarcError, match="unknown condarc location"):
        CondarcLocation.resolve("global")  # type: ignore[arg-type]


def test_broken_files_are_reported_and_skipped(isolated_home, tmp_path, monkeypatch):
    (isolated_home / ".condarc").write_text("extra_safety_checks: true\n")
    (isolated_home / ".conda").mkdir()
    (isolated_home / ".conda" / ".condarc").write_text("channels: [unclosed\n")
    (tmp_path / "list.yml").write_text("- just\n- a list\n")
    monkeypatch.setenv("CONDARC", str(tmp_path / "list.yml"))
    config = CondaConfig.load()
    assert config.extra_safety_checks.value is True
    assert len(config.errors) == 2 and any("does not hold a mapping" in e for e in config.errors)


def test_python_object_tags_are_never_constructed(isolated_home, tmp_path):
    marker = tmp_path / "pwned"
    (isolated_home / ".condarc").write_text(
        f"x: !!python/object/apply:os.system ['touch {marker}']\nextra_safety_checks: true\n"
    )
    config = CondaConfig.load()
    assert not marker.exists() and config.errors and config.extra_safety_checks.value is False
    # the round-trip writer keeps the tag as inert text, never calling anything
    edit_condarc(CondarcLocation("user", isolated_home / ".condarc"), lambda data: data.__setitem__("y", 1))
    assert not marker.exists() and "!!python/object/apply:os.system" in (isolated_home / ".condarc").read_text()


def test_oversized_condarc_is_refused(isolated_home):
    path = isolated_home / ".condarc"
    path.write_text("a: " + "x" * (1 << 20) + "\n")
    assert CondaConfig.load().errors
    with pytest.raises(CondarcError, match="larger than"):
        edit_condarc(CondarcLocation("user", path), lambda data: data.__setitem__("b", 1))


def test_broken_condarc_is_left_untouched(tmp_path):
    path = tmp_path / "bad.condarc"
    for text in ("channels: [unclosed\n", "- a\n- list\n"):
        path.write_text(text)
        with pytest.raises(CondarcError):
            edit_condarc(CondarcLocation("file", path), lambda data: data.__setitem__("x", 1))
        assert path.read_text() == text


def test_edit_refuses_a_directory(tmp_path):
    (tmp_path / ".condarc").mkdir()
    with pytest.raises(CondarcError, match="directory"):
        edit_condarc(CondarcLocation("user", tmp_path / ".condarc"), lambda data: data.__setitem__("x", 1))


def test_a_failing_edit_changes_nothing(tmp_path):
    path = tmp_path / ".condarc"
    path.write_text("# keep\nchannels: [a]\n")

    def boom(data) -> None:
        data["half"] = True
        raise RuntimeError("edit failed")

    with pytest.raises(RuntimeError):
        edit_condarc(CondarcLocation("file", path), boom)
    assert path.read_text() == "# keep\nchannels: [a]\n"


def test_odd_channel_entries_are_skipped(isolated_home):
    (isolated_home / ".condarc").write_text(
        "channels: ['javascript:alert(1)', 'ftp://127.0.0.1/x', 'has space', '', 7, '../up', defaults]\n"
        "default_channels: ['http://127.0.0.1:8/ok', 'gopher://x/y', 5]\n"
        "custom_channels: {ok: 'ftp://127.0.0.1'}\n"
    )
    assert CondaConfig.load().channel_urls() == [("ok", "http://127.0.0.1:8/ok")]


def test_wrong_types_fall_back_safely(isolated_home):
    (isolated_home / ".condarc").write_text("channels: conda-forge\nproxy_servers: [a]\n1: x\n")
    config = CondaConfig.load()
    assert config.channel_urls()  # "defaults" when channels is not a list, as conda would refuse it
    assert config.fetcher().proxies == {}
