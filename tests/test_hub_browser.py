"""The trust panel in headless Debian chromium under a real JupyterHub (``hub_fixtures``, ``ui-tests/run.mjs``).

The browser logs in through the Hub's login page and the OAuth redirects to ``/user/<name>/lab``, so every request
of the panel goes through the proxy with the Hub's base URL, the server's OAuth cookie and its XSRF rules.
Screenshots: ``ui-tests/artifacts/hub-*.png``.
"""

from __future__ import annotations

import json
import shutil

import pytest
from browser_fixtures import quiet_lab_settings, require_chromium, run_scenario
from hub_fixtures import Hub

pytestmark = [pytest.mark.browser, pytest.mark.hub]


def browse(hub: Hub, user: str, scenario: str) -> None:
    """``scenario`` of ``run.mjs`` in ``user``'s JupyterLab, after logging in at the Hub (fresh browser profile)."""
    require_chromium()
    quiet_lab_settings(hub.home(user) / ".jupyter")
    # The server keeps the lab layout of the last visit (the panel open); start from the default one, where
    # clicking the shield opens the panel rather than closing it.
    shutil.rmtree(hub.home(user) / ".jupyter" / "lab" / "workspaces", ignore_errors=True)
    run_scenario(
        scenario,
        f"http://127.0.0.1:{hub.port}/user/{user}/lab",
        hub.root / "chromium-profile",
        env={"JUPYTER_TRUST_HUB_USER": user},
        name=f"hub-{scenario}",
    )


def test_panel_shows_trust_status_under_the_hub(hub: Hub, alice: str) -> None:
    hub.channel.prefix("alice")  # an environment for the panel to list and plan into
    browse(hub, "alice", "status")


def test_panel_plans_blocks_untrusted_and_installs_trusted_under_the_hub(hub: Hub, alice: str) -> None:
    prefix = hub.channel.prefix("alice")
    browse(hub, "alice", "plan")
    records = [json.loads(p.read_text()) for p in (prefix / "conda-meta").glob("*.json")]
    assert sorted(r["name"] for r in records) == ["trusty-app", "trusty-lib"], records


def test_admin_locked_verification_is_shown_locked_under_the_hub(hub: Hub, carol: str) -> None:
    browse(hub, "carol", "locked")
