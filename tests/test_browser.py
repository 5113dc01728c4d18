"""JupyterLab in headless Debian chromium: the trust panel as a person sees it (screenshots saved)."""

from __future__ import annotations

import pytest
from browser_fixtures import lab  # noqa: F401
from token_fixtures import GOOD_TOKEN

pytestmark = pytest.mark.browser


def test_panel_shows_trust_status(lab):  # noqa: F811
    lab.run("status")


def test_panel_sets_and_removes_a_token(lab):  # noqa: F811
    lab.run("token", GOOD_TOKEN)


def test_panel_plans_blocks_untrusted_and_installs_trusted(lab):  # noqa: F811
    lab.run("plan")
    assert (lab.envs / "demo-env" / "conda-meta" / "trusty-app-1.0-0.json").exists()
