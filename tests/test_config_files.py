"""The CLI and the magic read ``c.JupyterTrustApp`` from the same Jupyter config files as the server."""

from __future__ import annotations

import json

import pytest

from jupyter_trust.commands.config import load_jupyter_section, load_policy
from jupyter_trust.policy import PolicyError


@pytest.fixture
def config_dirs(tmp_path, monkeypatch):
    user, env_path = tmp_path / "user", tmp_path / "env-path"
    for d in (user, env_path):
        (d / "jupyter_server_config.d").mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(env_path))
    return user, env_path


def write(path, section):
    path.write_text(json.dumps({"JupyterTrustApp": section, "ServerApp": {"port": 1}}))


def test_priority_follows_traitlets(config_dirs):
    user, env_path = config_dirs  # jupyter_core puts $JUPYTER_CONFIG_PATH above the user directory
    write(user / "jupyter_server_config.d" / "a.json", {"unsigned": "block", "expiry": "block", "engine": "rattler"})
    write(user / "jupyter_server_config.json", {"expiry": "warn"})
    (user / "jupyter_server_config.py").write_text("c.JupyterTrustApp.unsigned = 'warn'\n")
    write(env_path / "jupyter_server_config.d" / "z.json", {"allowed_channels": ["demo"]})
    (env_path / "jupyter_server_config.py").write_text("c.JupyterTrustApp.unsigned = 'allow'\n")
    section = load_jupyter_section()
    assert section == {"unsigned": "allow", "expiry": "warn", "allowed_channels": ["demo"], "engine": "rattler"}
    policy = load_policy(environ={})
    assert (policy.unsigned, policy.expiry, policy.allowed_channels) == ("allow", "warn", ["demo"])


def test_broken_or_foreign_config_files_are_ignored(config_dirs):
    user, env_path = config_dirs
    (env_path / "jupyter_server_config.json").write_text("{not json")
    (user / "jupyter_server_config.d" / "other.json").write_text(json.dumps({"JupyterTrustApp": "not a section"}))
    (user / "jupyter_config.json").write_text(json.dumps(["a", "list"]))
    (user / "jupyter_server_config.py").write_text("raise RuntimeError('broken')\n")
    assert load_jupyter_section() == {}


def test_invalid_values_are_refused_not_ignored(config_dirs):
    user, _ = config_dirs
    write(user / "jupyter_server_config.json", {"unsigned": "sometimes"})
    with pytest.raises(PolicyError, match="unsigned"):
        load_policy(environ={})


def test_server_prefix_is_off_limits_under_jupyterhub_unless_configured(config_dirs):
    user, _ = config_dirs
    assert load_policy(environ={"JUPYTERHUB_USER": "alice"}).allow_server_prefix is False
    write(user / "jupyter_server_config.json", {"allow_server_prefix": True})
    assert load_policy(environ={"JUPYTERHUB_USER": "alice"}).allow_server_prefix is True
