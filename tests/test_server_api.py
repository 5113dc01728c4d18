"""REST behaviour of the server extension: status, verification settings, policy locks, environments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_trust.cli import main as cli_main


async def get_json(jp_fetch, *path: str, **kwargs) -> dict:
    response = await jp_fetch("jupyter-trust", *path, **kwargs)
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def test_status_document(jp_fetch):
    doc = await get_json(jp_fetch, "status")
    assert doc["verification"]["enabled"] is False
    assert doc["warnings"][0].startswith("Signature verification is OFF")
    anchor = doc["trust"]["anchor"]
    assert anchor["source"] == "builtin" and anchor["version"] == 1 and anchor["expired"] is True
    assert doc["trust"]["key_mgr"]["state"] == "missing"
    assert doc["token"] == {**doc["token"], "present": False, "masked": None}
    assert doc["policy"]["unsigned"] == {"value": "warn", "locked": False, "source": "default"}
    assert doc["engine"]["name"] == "rattler" and "rattler" in doc["engine"]["available"]
    assert set(doc["conda"]) == {"executable", "version", "content_trust_importable"}


async def test_status_is_the_document_the_cli_prints(jp_fetch, capsys):
    rest = await get_json(jp_fetch, "status")
    assert cli_main(["status", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    for key in ("verification", "trust", "channels", "token", "policy", "engine"):
        assert rest[key] == cli[key], key


async def test_verification_put_writes_condarc_and_status_follows(jp_fetch, isolated_home):
    body = json.dumps({"enabled": True, "metadata_url": "http://127.0.0.1:9/metadata"})
    result = await get_json(jp_fetch, "verification", method="PUT", body=body)
    assert result["verification"]["enabled"] is True
    condarc = isolated_home / ".condarc"
    assert result["condarc"] == str(condarc)
    text = condarc.read_text()
    assert "extra_safety_checks: true" in text and "signing_metadata_url_base: http://127.0.0.1:9/metadata" in text
    status = await get_json(jp_fetch, "status")
    assert status["verification"]["enabled"] is True
    assert status["verification"]["source"] == str(condarc)
    assert status["warnings"] == [] or not status["warnings"][0].startswith("Signature verification is OFF")
    off = await get_json(jp_fetch, "verification", method="PUT", body=json.dumps({"enabled": False}))
    assert off["verification"]["enabled"] is False


async def test_verification_put_keeps_condarc_comments(jp_fetch, isolated_home):
    condarc = isolated_home / ".condarc"
    condarc.write_text("# my settings\nchannels:\n  - conda-forge  # the one I use\nalways_yes: false\n")
    await get_json(jp_fetch, "verification", method="PUT", body=json.dumps({"enabled": True}))
    text = condarc.read_text()
    assert "# my settings" in text and "# the one I use" in text and "always_yes: false" in text


@pytest.fixture
def locked_policy(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"require_verification": True, "allow_user_token": False, "unsigned": "block"}))
    monkeypatch.setenv("JUPYTER_TRUST_POLICY_FILE", str(path))
    return path


async def test_locked_policy_refuses_changes_with_403(locked_policy, jp_fetch):
    status = await get_json(jp_fetch, "status")
    assert status["policy"]["require_verification"] == {"value": True, "locked": True, "source": str(locked_policy)}
    assert status["policy"]["unsigned"]["locked"] is True
    for path, method, body in (
        ("verification", "PUT", json.dumps({"enabled": False})),
        ("token", "PUT", json.dumps({"token": "abcdefgh12345678", "validate": False})),
    ):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("jupyter-trust", path, method=method, body=body)
        assert info.value.code == 403
        assert "locked" in json.loads(info.value.response.body)["message"]


async def test_page_config_carries_policy(locked_policy, jp_serverapp, jp_fetch):
    await jp_fetch("jupyter-trust", "status")
    policy = jp_serverapp.web_app.settings["page_config_data"]["jupyterTrust"]["policy"]
    assert policy["allow_user_token"] == {"value": False, "locked": True, "source": str(locked_policy)}


@pytest.mark.server_config({"JupyterTrustApp": {"unsigned": "block", "expiry": "block"}})
async def test_config_traits_set_policy(jp_fetch):
    policy = (await get_json(jp_fetch, "status"))["policy"]
    assert policy["unsigned"] == {"value": "block", "locked": False, "source": "config"}
    assert policy["expiry"]["value"] == "block"


@pytest.fixture
def admin_envs(tmp_path_factory) -> Path:
    root = tmp_path_factory.getbasetemp() / "admin-envs"
    for env in (root / "envs" / "work", root / "envs-x"):
        (env / "conda-meta").mkdir(parents=True, exist_ok=True)
        (env / "conda-meta" / "history").touch()
    return root


ADMIN_ROOT = "admin-envs"


async def test_environments_lists_admin_roots_and_refuses_traversal(admin_envs, jp_serverapp, jp_fetch):
    from jupyter_trust.policy import Policy

    core = jp_serverapp.web_app.settings["jupyter_trust_core"]
    core.policy = Policy.load({"allowed_prefix_roots": [str(admin_envs / "envs")]})
    prefixes = [e["prefix"] for e in (await get_json(jp_fetch, "environments"))["environments"]]
    assert str(admin_envs / "envs" / "work") in prefixes
    assert str(admin_envs / "envs-x") not in prefixes
    bad_prefixes = (
        str(admin_envs / "envs-x"),  # a sibling of the allowed root (never a string-prefix check)
        str(admin_envs / "envs" / ".." / "envs-x"),
        "/etc",
        "work\x00",
        "../../etc",
        str(admin_envs / "envs" / "%2e%2e" / "envs-x"),
    )
    for bad in bad_prefixes:
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("jupyter-trust", "plans", method="POST", body=json.dumps({"specs": ["x"], "prefix": bad}))
        assert info.value.code == 400, bad
        assert "Traceback" not in json.loads(info.value.response.body)["message"]


async def test_symlink_escaping_an_allowed_root_is_refused(admin_envs, jp_serverapp, jp_fetch, tmp_path):
    from jupyter_trust.policy import Policy

    outside = tmp_path / "outside"
    (outside / "conda-meta").mkdir(parents=True)
    (outside / "conda-meta" / "history").touch()
    link = admin_envs / "envs" / "sneaky"
    if not link.exists():
        link.symlink_to(outside)
    core = jp_serverapp.web_app.settings["jupyter_trust_core"]
    core.policy = Policy.load({"allowed_prefix_roots": [str(admin_envs / "envs")]})
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "plans", method="POST", body=json.dumps({"specs": ["x"], "prefix": str(link)}))
    assert info.value.code == 400


async def test_server_prefix_refused_under_jupyterhub(monkeypatch, jp_fetch):
    import sys

    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-trust", "plans", method="POST", body=json.dumps({"specs": ["x"], "prefix": sys.prefix}))
    assert info.value.code in (400, 403)
