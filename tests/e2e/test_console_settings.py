"""The settings pages in Debian's Chromium, as an admin uses them: teams, SLA policies, routing, escalation,
categories, root causes and canned responses, each a form whose bad values are refused at the field (what was typed
is kept), previewed, saved as a new configuration version and in force at once; agents are refused; axe on each."""
from __future__ import annotations

import dataclasses

import pytest

from chalicelib.wiring import services
from tests.e2e.browser import console_site, scan, sign_in_as

pytest.importorskip("playwright")
pytestmark = pytest.mark.xdist_group("console-settings")  # one site, one admin session, in order
SECRET = "settings-test-secret"
PASSWORD = "Settings-Pass-2026!"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with console_site(tmp_path_factory.mktemp("settings"), SECRET, PASSWORD, ("admin", "agent")) as harness:
        yield harness


def as_user(site, name: str):
    return sign_in_as(site, name, PASSWORD)


def version() -> int:
    return services.live_config.version().version


def test_an_sla_policy_is_refused_at_the_field_previewed_saved_and_moved(site):
    page = as_user(site, "admin")
    page.click("header a:has-text('Settings')")
    scan(site, "settings")
    page.click("main a:has-text('SLA policies')")
    scan(site, "settings-policies")
    page.click("text=P3 normal")
    assert page.locator("#first_response").input_value() == "8h"
    assert page.locator("input[name=priorities][value=P3]").is_checked()
    start = version()

    page.fill("#first_response", "4 hours")
    page.fill("#resolution", "2d")
    page.click("main button:has-text('Save')")
    assert "invalid duration '4 hours'" in page.locator("#first_response-error").inner_text()
    assert page.locator("#resolution").input_value() == "2d"  # what was typed is kept
    assert version() == start
    scan(site, "settings-policy-error")

    page.fill("#first_response", "6h")
    page.click("main button:has-text('Preview')")
    assert "8h -> 6h (shorter)" in page.locator("section").inner_text()
    page.click("main button:has-text('Save')")
    assert f"Saved as version {start + 1}" in page.locator("[role=status]").inner_text()
    p3 = next(p for p in services.live_config.current().policies if p.name == "P3 normal")
    assert (str(p3.targets.first_response), str(p3.targets.resolution)) == ("6h", "2d")
    assert "# Policies: the FIRST one" in services.live_config.version().text  # the document's comments are kept

    page.goto(f"{site['origin']}/console/admin/policies/new")  # a specific policy goes on top
    page.fill("#name", "Billing by SMS")
    page.check("input[name=categories][value=billing]")
    page.check("input[name=channels][value=sms]")
    page.fill("#first_response", "2h")
    page.fill("#next_update", "4h")
    page.fill("#resolution", "1d")
    page.click("main button:has-text('Save')")
    names = [p.name for p in services.live_config.current().policies]
    assert names[0] == "Billing by SMS"
    page.goto(f"{site['origin']}/console/admin/policies")
    page.click("button[aria-label='Move P1 critical up']")
    assert [p.name for p in services.live_config.current().policies][:2] == ["P1 critical", "Billing by SMS"]


def test_a_new_category_is_routed_and_a_sub_cause_added(site):
    page = as_user(site, "admin")
    page.goto(f"{site['origin']}/console/admin/categories")
    scan(site, "settings-categories")
    page.click("text=Add a category")
    page.fill("#name", "Fraud!")
    page.fill("#label", "Fraud")
    page.click("main button:has-text('Save')")
    assert "lowercase letters" in page.locator("#name-error").inner_text()
    assert page.locator("#label").input_value() == "Fraud"
    page.fill("#name", "fraud")
    page.fill("#label_zh", "欺诈")
    page.fill("#description", "Payments the customer did not make.")
    page.uncheck("#on_form")
    page.click("main button:has-text('Save')")
    fraud = services.live_config.current().categories["fraud"]
    assert (fraud.label, fraud.label_zh, fraud.on_form) == ("Fraud", "欺诈", False)
    assert "fraud" in services.live_config.current().taxonomy().categories

    page.goto(f"{site['origin']}/console/admin/routing")
    scan(site, "settings-routing")
    page.select_option("#team-fraud", "billing")
    page.fill("#skill-fraud", "fraud")
    page.click("main button:has-text('Save')")
    routing = services.live_config.current().routing
    assert (routing.team_for("fraud"), routing.skill_for("fraud")) == ("billing", "fraud")

    page.goto(f"{site['origin']}/console/admin/categories/billing")
    page.fill("#label", "")
    page.click("main button:has-text('Save')")
    assert page.locator("#label-error").is_visible()  # a name is required; nothing saved

    page.goto(f"{site['origin']}/console/admin/root-causes")
    scan(site, "settings-root-causes")
    page.click("text=people")
    page.fill("#sub_causes", page.locator("#sub_causes").input_value() + "\nBad Name")
    page.click("main button:has-text('Save')")
    assert "not a sub-cause name" in page.locator("#sub_causes-error").inner_text()
    page.fill("#sub_causes", "training\nattitude\nstaffing\nlanguage")
    page.click("main button:has-text('Save')")
    assert services.live_config.current().taxonomy().fishbone["people"][-1] == "language"


def test_teams_escalation_and_canned_responses_then_chinese_and_an_agent_refused(site):
    page = as_user(site, "admin")
    page.goto(f"{site['origin']}/console/admin/teams")
    scan(site, "settings-teams")
    page.click("main a:has-text('logistics')")
    page.select_option("#calendar", "24x7")
    page.fill("#lead", "ops-lead")
    page.click("main button:has-text('Save')")
    team = services.live_config.current().teams["logistics"]
    assert (team.calendar, team.lead) == ("24x7", "ops-lead")

    page.goto(f"{site['origin']}/console/admin/escalation")
    scan(site, "settings-escalation")
    page.fill("#max_per_team", "0")
    page.click("main button:has-text('Save')")
    assert page.locator("#max_per_team-error").is_visible()
    page.fill("#max_per_team", "25")
    page.click("main button:has-text('Save')")
    assert services.live_config.current().alerts.max_per_team == 25

    page.goto(f"{site['origin']}/console/admin/canned-responses")
    scan(site, "settings-canned-responses")
    count = len(services.live_config.current().canned_responses)
    page.click("text=Add a canned response")
    page.fill("#title", "Parcel found")
    page.fill("#text", "Dear {customer_name}, we found your parcel ({reference}). {signature}")
    page.check("input[name=teams][value=logistics]")
    page.click("main button:has-text('Save')")
    assert "unknown placeholder {signature}" in page.locator("#text-error").inner_text()
    page.fill("#text", "Dear {customer_name},\nwe found your parcel ({reference}).\n{agent_name}")
    page.click("main button:has-text('Save')")
    added = services.live_config.current().canned_responses[-1]
    assert (added.title, added.teams, len(services.live_config.current().canned_responses)) == (
        "Parcel found", ["logistics"], count + 1)
    page.goto(f"{site['origin']}/console/admin/canned-responses")
    page.click("button[aria-label='Delete Parcel found']")
    assert len(services.live_config.current().canned_responses) == count

    admin = services.staff.store.get("admin")  # the profile's language decides
    services.staff.update(dataclasses.replace(admin, languages=("zh",)), admin.version)
    page.goto(f"{site['origin']}/console/admin/policies")
    assert page.locator("h1").inner_text() == "SLA 策略"
    scan(site, "settings-policies-zh")
    page.goto(f"{site['origin']}/console/admin/policies/0")
    assert page.locator("label[for=first_response]").inner_text() == "首次回复时限"
    scan(site, "settings-policy-zh")

    page = as_user(site, "agent")
    for admin_page in ("settings", "teams", "policies/0", "routing", "escalation", "categories", "root-causes",
                       "canned-responses"):
        page.goto(f"{site['origin']}/console/admin/{admin_page}")
        assert page.locator("h1").inner_text() == "Not allowed", admin_page
