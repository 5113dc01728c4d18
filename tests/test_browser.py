"""JupyterLab in headless Debian chromium: the trust panel as a person sees it, at the default sidebar width.

Screenshots are saved under ``ui-tests/artifacts/`` (kept by CI)."""

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


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_plans_are_readable_at_the_default_sidebar_width(lab, theme):  # noqa: F811
    """Trusted, blocked and unsigned plans, a publisher-verified and an untrusted-publisher one, and the publisher
    filter: every badge inside the panel, the summary right, no label cut off."""
    lab.run("verdicts", theme, name=f"verdicts-{theme}")


def test_plan_opens_in_the_main_area_sortable_and_filterable(lab):  # noqa: F811
    lab.run("mainarea")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_audit_of_the_demo_environment_at_the_default_sidebar_width(lab, theme):  # noqa: F811
    """After installing trusty-app, then attested-tool: the audit's summary, its rows inside the panel, the publisher
    line and filter, from the button and the palette; the full table in the main area."""
    lab.run("audit", theme, name=f"audit-{theme}")
    assert (lab.envs / "demo-env" / "conda-meta" / "attested-tool-1.0-0.json").exists()
