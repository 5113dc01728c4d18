"""conda executables, environments, the install-target check (S9) and the child-process environment (S7)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jupyter_trust.childenv import child_environ, is_secret_variable
from jupyter_trust.conda.envs import (
    Environment,
    PrefixNotAllowed,
    conda_version,
    content_trust_importable,
    find_conda_executable,
    list_environments,
    resolve_target_prefix,
)
from jupyter_trust.core import Core
from jupyter_trust.policy import Policy


def make_prefix(path: Path) -> Path:
    (path / "conda-meta").mkdir(parents=True)
    (path / "conda-meta" / "history").touch()  # what `conda create` leaves: conda's own environment marker
    return path


def make_conda_install(root: Path, version: str = "24.11.3") -> Path:
    make_prefix(root)
    (root / "bin").mkdir()
    exe = root / "bin" / "conda"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    (root / "conda-meta" / f"conda-{version}-py311_0.json").write_text(
        json.dumps({"name": "conda", "version": version})
    )
    return exe


# -- the conda executable --------------------------------------------------------------------------
def test_conda_exe_comes_first(tmp_path):
    exe = make_conda_install(tmp_path / "base")
    other = make_conda_install(tmp_path / "other")
    environ = {"CONDA_EXE": str(exe), "PATH": str(other.parent)}
    assert find_conda_executable(environ) == exe
    assert conda_version(exe) == "24.11.3"


def test_mamba_exe_is_used_without_conda_exe(tmp_path):
    mamba = tmp_path / "mamba"
    mamba.write_text("")
    assert find_conda_executable({"MAMBA_EXE": str(mamba), "PATH": ""}) == mamba


def test_path_is_the_last_resort(tmp_path):
    exe = make_conda_install(tmp_path / "base")
    assert find_conda_executable({"CONDA_EXE": str(tmp_path / "gone"), "PATH": str(exe.parent)}) == exe
    assert find_conda_executable({"PATH": str(tmp_path / "empty")}) is None


def test_version_is_read_without_running_conda(tmp_path):
    exe = make_conda_install(tmp_path / "base", "25.5.1")
    meta = tmp_path / "base" / "conda-meta"
    (meta / "conda-build-24.1.0-py311_0.json").write_text(json.dumps({"name": "conda-build", "version": "24.1.0"}))
    (meta / "conda-content-trust-0.3.2-py_0.json").write_text(json.dumps({"name": "conda-content-trust"}))
    assert conda_version(exe) == "25.5.1"


def test_unreadable_version_metadata_gives_none(tmp_path):
    exe = make_conda_install(tmp_path / "base")
    for path in (tmp_path / "base" / "conda-meta").glob("conda-*.json"):
        path.write_text("{not json")
    assert conda_version(exe) is None
    assert conda_version(tmp_path / "nowhere" / "bin" / "conda") is None


@pytest.mark.parametrize("layout", ["lib/python3.11/site-packages", "Lib/site-packages"])
def test_content_trust_is_detected_on_disk(tmp_path, layout):
    prefix = make_prefix(tmp_path / "env")
    assert not content_trust_importable(prefix)
    package = prefix / layout / "conda_content_trust"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    assert content_trust_importable(prefix)


# -- environments ----------------------------------------------------------------------------------
def test_list_environments_kinds_and_server_flag(tmp_path):
    envs = tmp_path / "envs"
    a, b = make_prefix(envs / "a"), make_prefix(envs / "b")
    (envs / "not-an-env").mkdir()
    kernel = make_prefix(tmp_path / "kernel")
    admin_root = tmp_path / "shared"
    shared = make_prefix(admin_root / "team")
    server = make_prefix(tmp_path / "server")
    (envs / "alias").symlink_to(a)  # the same environment twice is listed once
    found = list_environments(
        envs_dirs=[envs, tmp_path / "missing"], extra_roots=[admin_root], kernel_prefix=kernel, server_prefix=server
    )
    assert [(e.name, e.prefix, e.kind, e.is_server_prefix) for e in found] == [
        ("kernel", kernel, "kernel", False),
        ("a", a, "named", False),
        ("b", b, "named", False),
        ("team", shared, "admin", False),
        ("server", server, "named", True),
    ]


# -- the install target ----------------------------------------------------------------------------
@pytest.fixture
def layout(tmp_path):
    root = tmp_path / "srv" / "envs"
    ok = make_prefix(root / "ok")
    sibling = make_prefix(tmp_path / "srv" / "envs-x" / "evil")
    outside = make_prefix(tmp_path / "outside")
    server = make_prefix(tmp_path / "server")
    allowed = list_environments(envs_dirs=[root], server_prefix=server)
    return {"root": root, "ok": ok, "sibling": sibling, "outside": outside, "server": server, "allowed": allowed}


def resolve(layout, requested: str, *, allow_server: bool = False) -> Path:
    return resolve_target_prefix(
        requested,
        allowed=layout["allowed"],
        allowed_roots=[layout["root"]],
        server_prefix=layout["server"],
        allow_server_prefix=allow_server,
    )


def test_a_listed_name_or_a_path_inside_a_root_is_accepted(layout):
    assert resolve(layout, "ok") == Path(os.path.realpath(layout["ok"]))
    assert resolve(layout, str(layout["ok"])) == Path(os.path.realpath(layout["ok"]))
    assert resolve(layout, str(layout["server"]), allow_server=True) == Path(os.path.realpath(layout["server"]))


def test_sibling_directory_with_a_common_prefix_is_not_inside(layout):
    # CVE-2026-35397: /srv/envs-x is not inside /srv/envs although the string starts the same
    assert str(layout["sibling"]).startswith(str(layout["root"]))
    with pytest.raises(PrefixNotAllowed, match="not an environment your policy allows installing into"):
        resolve(layout, str(layout["sibling"]))


@pytest.mark.parametrize(
    "make_request",
    [
        lambda lay: str(lay["root"]) + "/../../outside",
        lambda lay: str(lay["root"]) + "/ok/../../../outside",
        lambda lay: str(lay["root"]) + "/%2e%2e/%2e%2e/outside",
        lambda lay: str(lay["root"]) + "/%2E%2E%2Foutside",
        lambda lay: str(lay["root"]) + "/ok\x00/../x",
        lambda lay: str(lay["root"]) + "/ok\n",
        lambda lay: str(lay["outside"]),
        lambda lay: "../outside",
        lambda lay: "ok/../../outside",
        lambda lay: "unknown-env",
        lambda lay: "",
        lambda lay: "   ",
        lambda lay: "~",
        lambda lay: "/",
    ],
)
def test_traversal_and_unknown_targets_are_refused(layout, make_request):
    with pytest.raises(PrefixNotAllowed):
        resolve(layout, make_request(layout))


def test_symlink_escaping_the_root_is_refused(layout):
    link = layout["root"] / "escape"
    link.symlink_to(layout["outside"])
    with pytest.raises(PrefixNotAllowed):
        resolve(layout, str(link))


def test_the_servers_own_prefix_is_refused_by_default(layout):
    with pytest.raises(PrefixNotAllowed, match="runs this Jupyter server"):
        resolve(layout, "server")
    with pytest.raises(PrefixNotAllowed, match="runs this Jupyter server"):
        resolve(layout, str(layout["server"]))


def test_a_symlink_to_the_server_prefix_is_still_the_server_prefix(layout):
    link = layout["root"] / "innocent"
    link.symlink_to(layout["server"])
    allowed = [*layout["allowed"], Environment("innocent", link, "named", False)]
    with pytest.raises(PrefixNotAllowed, match="runs this Jupyter server"):
        resolve_target_prefix(
            "innocent", allowed=allowed, allowed_roots=[], server_prefix=layout["server"], allow_server_prefix=False
        )


def test_non_string_requests_are_refused(layout):
    with pytest.raises(PrefixNotAllowed):
        resolve(layout, None)  # type: ignore[arg-type]


# -- the child-process environment -----------------------------------------------------------------
def test_child_environment_strips_hub_jupyter_and_anaconda_secrets():
    base = {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "JUPYTERHUB_API_TOKEN": "s1",
        "JPY_API_TOKEN": "s2",
        "JUPYTER_TOKEN": "s3",
        "JUPYTERHUB_COOKIE_SECRET": "s4",
        "JUPYTERHUB_OAUTH_CLIENT_SECRET": "s5",
        "ANACONDA_TOKEN": "s6",
        "CONDA_TOKEN": "s7",
        "MY_REPO_TOKEN": "s8",
        "jupyterhub_api_token": "s9",
        "AWS_SECRET": "s10",
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
        "CONDA_TOKEN_REPO_URL": "http://127.0.0.1:1/repo/",
        "ADMIN_CRED": "s11",
    }
    env = child_environ(base, also_strip=["ADMIN_CRED", None])
    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
        "CONDA_TOKEN_REPO_URL": "http://127.0.0.1:1/repo/",
    }
    assert base["JUPYTERHUB_API_TOKEN"] == "s1"  # a copy: the server's own environment is untouched


def test_secret_names():
    assert is_secret_variable("JUPYTERHUB_API_TOKEN") and is_secret_variable("Jpy_Api_Token")
    assert not is_secret_variable("JUPYTERHUB_SERVICE_PREFIX") and not is_secret_variable("TOKENIZERS_PARALLELISM")


def test_the_admin_token_variable_is_stripped_whatever_its_name(monkeypatch):
    # Found under a real JupyterHub (tests/test_hub.py): the solver/installer children inherited it.
    monkeypatch.setenv("ENVS_ADMIN_CREDENTIAL", "adm-secret")
    assert "ENVS_ADMIN_CREDENTIAL" in child_environ()
    Core(policy=Policy.load({"token_env_var": "ENVS_ADMIN_CREDENTIAL"}))
    assert "ENVS_ADMIN_CREDENTIAL" not in child_environ() and is_secret_variable("envs_admin_credential")


def test_default_is_the_process_environment(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hub-secret")
    env = child_environ()
    assert "JUPYTERHUB_API_TOKEN" not in env and env["PATH"] == os.environ["PATH"]


# -- what counts as an environment, after every symlink is resolved (issue 12) -----------------------
def test_a_symlink_in_a_root_to_an_environment_elsewhere_is_neither_listed_nor_allowed(layout):
    link = layout["root"] / "elsewhere"
    link.symlink_to(layout["outside"])
    listed = list_environments(envs_dirs=[layout["root"]], extra_roots=[layout["root"]])
    assert "elsewhere" not in [e.name for e in listed]
    allowed = list_environments(envs_dirs=[layout["root"]], server_prefix=layout["server"])
    for requested in ("elsewhere", str(link)):
        with pytest.raises(PrefixNotAllowed):
            resolve_target_prefix(
                requested,
                allowed=allowed,
                allowed_roots=[layout["root"]],
                server_prefix=layout["server"],
                allow_server_prefix=False,
            )


def test_a_symlinked_root_still_contains_its_own_environments(layout, tmp_path):
    alias = tmp_path / "alias-root"
    alias.symlink_to(layout["root"])
    found = list_environments(envs_dirs=[], extra_roots=[alias])
    assert [e.name for e in found] == ["ok"]
    target = resolve_target_prefix(
        str(alias / "ok"),
        allowed=found,
        allowed_roots=[alias],
        server_prefix=layout["server"],
        allow_server_prefix=False,
    )
    assert target == Path(os.path.realpath(layout["ok"]))


@pytest.mark.parametrize(
    ("make_request", "why"),
    [
        (lambda lay: str(lay["root"]), "not a conda environment"),  # the allowed root itself
        (lambda lay: str(lay["ok"] / "conda-meta"), "inside the environment"),
        (lambda lay: str(lay["ok"] / "share" / "x"), "inside the environment"),
        (lambda lay: str(lay["ok"] / "lib"), "inside the environment"),
    ],
)
def test_the_root_and_directories_inside_an_environment_are_not_environments(layout, make_request, why):
    (layout["ok"] / "share" / "x" / "conda-meta").mkdir(parents=True)
    (layout["ok"] / "share" / "x" / "conda-meta" / "history").touch()  # looks like one, but is inside "ok"
    (layout["ok"] / "lib").mkdir()
    with pytest.raises(PrefixNotAllowed, match=why):
        resolve(layout, make_request(layout))


def test_an_empty_conda_meta_directory_is_not_an_environment(layout):
    (layout["root"] / "hollow" / "conda-meta").mkdir(parents=True)
    with pytest.raises(PrefixNotAllowed, match="not a conda environment"):
        resolve(layout, str(layout["root"] / "hollow"))
    records = layout["root"] / "rattler-made" / "conda-meta"
    records.mkdir(parents=True)
    (records / "python-3.12.0-0.json").write_text("{}")  # package records and no history: another tool's env
    assert resolve(layout, str(layout["root"] / "rattler-made")) == Path(os.path.realpath(records.parent))


def test_condas_own_nested_envs_directory_is_allowed(tmp_path):
    base = make_prefix(tmp_path / "conda")
    named = make_prefix(base / "envs" / "work")
    server = make_prefix(tmp_path / "server")
    found = list_environments(envs_dirs=[base / "envs"], server_prefix=server)
    target = resolve_target_prefix(
        "work", allowed=found, allowed_roots=[], server_prefix=server, allow_server_prefix=False
    )
    assert target == Path(os.path.realpath(named))


def test_everything_under_the_server_prefix_is_refused_without_allow_server_prefix(layout):
    inner = make_prefix(layout["server"] / "envs" / "inner")
    lib = layout["server"] / "lib"
    lib.mkdir()
    roots = [layout["server"]]
    for requested in (str(lib), str(inner), str(layout["server"])):
        with pytest.raises(PrefixNotAllowed, match="runs this Jupyter server"):
            resolve_target_prefix(
                requested, allowed=[], allowed_roots=roots, server_prefix=layout["server"], allow_server_prefix=False
            )
    assert resolve_target_prefix(
        str(inner), allowed=[], allowed_roots=roots, server_prefix=layout["server"], allow_server_prefix=True
    ) == Path(os.path.realpath(inner))
