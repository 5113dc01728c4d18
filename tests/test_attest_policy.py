"""The attestation policy values: validation, the admin policy file's lock, and the CLI/magic reading them from
the same Jupyter config files as the server."""

from __future__ import annotations

import json

import pytest

from jupyter_trust.attest.config import mode_for, publishers_for, v0_sigs_enabled
from jupyter_trust.attest.sigroot import ROOT_ENV, SHIPPED_ROOT, sigstore_root
from jupyter_trust.commands.config import load_policy
from jupyter_trust.policy import Policy, PolicyError
from jupyter_trust.server.app import JupyterTrustApp

GH = "https://token.actions.githubusercontent.com"
PUBLISHERS = {"conda-forge-like": [{"issuer": GH, "repository": "https://github.com/org/repo"}]}


def test_defaults():
    policy = Policy.load({})
    assert policy.attestations == "report"
    assert policy.trusted_publishers == {} and policy.attestations_v0_sigs_channels == []
    assert policy.sigstore_trust_root is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("attestations", "sometimes"),
        ("attestations", {"chan": "maybe"}),
        ("attestations", ["report"]),
        ("trusted_publishers", ["not", "a", "mapping"]),
        ("trusted_publishers", {"chan": {"issuer": GH}}),
        ("trusted_publishers", {"chan": [{"issuer": GH}]}),
        ("trusted_publishers", {"chan": [{"issuer": GH, "repository": ""}]}),
        ("trusted_publishers", {"chan": [{"issuer": GH, "repository": "r", "identity": "i"}]}),
        ("trusted_publishers", {"chan": [{"issuer": GH, "workflow": "x"}]}),
        ("trusted_publishers", {"chan": ["https://github.com/org/repo"]}),
        ("sigstore_trust_root", 42),
        ("attestations_v0_sigs_channels", "chan"),
    ],
)
def test_malformed_values_are_refused(name, value):
    with pytest.raises(PolicyError, match=name):
        Policy.load({name: value})


def test_policy_file_locks_and_config_may_only_tighten(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"attestations": "report", "trusted_publishers": PUBLISHERS}))
    policy = Policy.load({"attestations": "require"}, policy_file=path)
    assert policy.get("attestations").value == "require" and policy.get("attestations").locked
    loose = Policy.load({"attestations": "off", "trusted_publishers": {}}, policy_file=path)
    assert loose.attestations == "report" and loose.trusted_publishers == PUBLISHERS
    assert loose.get("trusted_publishers").locked


def test_per_channel_mapping_from_the_policy_file_is_not_replaced_by_config(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"attestations": {"*": "require"}}))
    assert Policy.load({"attestations": "off"}, policy_file=path).attestations == {"*": "require"}


def test_lookup_by_url_or_name():
    url = "http://127.0.0.1:1/chan"
    assert mode_for("require", url) == "require"
    assert mode_for({url + "/": "off"}, url) == "off"
    assert mode_for({"chan": "require"}, url, "chan") == "require"
    assert mode_for({"other": "off"}, url) == "report"
    assert mode_for({"*": "off", url: "require"}, url) == "require"
    assert publishers_for({"chan": []}, url, "chan") == []
    assert publishers_for({"other": []}, url) is None
    assert v0_sigs_enabled([url + "/"], url) and not v0_sigs_enabled([], url)


def test_cli_and_magic_read_the_same_config_files(tmp_path, monkeypatch):
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(tmp_path / "none"))
    section = {
        "trusted_publishers": PUBLISHERS,
        "attestations": {"conda-forge-like": "require"},
        "sigstore_trust_root": "/etc/jupyter/sigstore.json",
        "attestations_v0_sigs_channels": ["conda-forge-like"],
    }
    (user / "jupyter_server_config.json").write_text(json.dumps({"JupyterTrustApp": section}))
    policy = load_policy(environ={})
    for name, value in section.items():
        assert getattr(policy, name) == value


def test_server_traits_feed_the_same_policy():
    app = JupyterTrustApp()
    app.trusted_publishers = PUBLISHERS
    app.attestations = "require"
    app.attestations_v0_sigs_channels = ["x"]
    policy = Policy.load(app.configured_policy_values())
    assert (policy.trusted_publishers, policy.attestations, policy.attestations_v0_sigs_channels) == (
        PUBLISHERS,
        "require",
        ["x"],
    )


def test_sigstore_root_order(tmp_path):
    configured = tmp_path / "configured.json"
    env = tmp_path / "env.json"
    assert sigstore_root(str(configured), {ROOT_ENV: str(env)}).path == configured
    assert sigstore_root(None, {ROOT_ENV: str(env)}).path == env
    shipped = sigstore_root(None, {})
    assert shipped.path == SHIPPED_ROOT and shipped.source.startswith("shipped")


def test_missing_configured_root_is_reported_not_hidden(tmp_path):
    info = sigstore_root(str(tmp_path / "absent.json"), {}).info()
    assert info["error"] and "cannot be read" in info["error"] and info["date"] is None


def test_replaced_root_file_is_read_again(tmp_path):
    path = tmp_path / "root.json"
    path.write_text("{}")
    first = sigstore_root(str(path), {})
    path.write_text('{"tlogs": []}  ')
    assert sigstore_root(str(path), {}) is not first
    assert sigstore_root(str(path), {}) is sigstore_root(str(path), {})
