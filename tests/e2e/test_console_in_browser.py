"""The staff console in Debian's Chromium, as staff use it: the first sign-in with a temporary password, sign-out,
session expiry, a forged POST, roles refused, the admin pages (staff, configuration: a bad calendar refused at its
field, a change previewed, saved, in force and rolled back), and the same pages in Chinese; axe-core on each page."""
from __future__ import annotations

import os
import pathlib
from datetime import timedelta

import pytest

from chalicelib.wiring import services
from infra.staff_seed import first_password, seed_staff
from tests.e2e.browser import scan, served_site

pytest.importorskip("playwright")
pytestmark = pytest.mark.xdist_group("console-browser")  # one site, in order: the first test sets the passwords
SECRET = "browser-test-secret"
NEW_PASSWORD = "Console-Pass-2026!"
ORIGIN = ""  # the served app's origin, set by the fixture


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with served_site(tmp_path_factory.mktemp("console")) as harness:
        seed_staff(os.environ["COGNITO_USER_POOL_ID"], SECRET)
        global ORIGIN
        ORIGIN = harness["origin"]
        yield harness


def sign_in(page, name: str, password: str) -> None:
    """A fresh browser session (cookies cleared), then the sign-in form."""
    page.context.clear_cookies()
    page.goto(f"{ORIGIN}/console")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def first_sign_in(site, name: str) -> None:
    page = site["page"]
    sign_in(page, name, first_password(SECRET, name))
    assert page.locator("h1").inner_text() == "Choose your password"
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD)
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text().startswith("Welcome")


def sign_out(page) -> None:
    page.click("form[action$='/console/sign-out'] button")
    assert page.url.startswith(f"{ORIGIN}/console/sign-in")


def test_sign_in_with_a_first_password_then_sign_out_ends_the_session(site):
    page = site["page"]
    page.goto(f"{ORIGIN}/console")
    assert page.url.startswith(f"{ORIGIN}/console/sign-in")
    scan(site, "console-sign-in")
    sign_in(page, "admin", "not-the-password")
    assert page.locator("#password-error").inner_text() == "The sign-in name or password is wrong."
    assert page.locator("#username").input_value() == "admin"
    scan(site, "console-sign-in-error")

    sign_in(page, "admin", first_password(SECRET, "admin"))
    page.fill("#new_password", "short")
    page.fill("#confirm_password", "short")
    page.click("main button[type=submit]")
    assert "at least 12 characters" in page.locator("#new_password-error").inner_text()
    scan(site, "console-new-password")
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD)
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text() == "Welcome, Ada Admin"
    scan(site, "console-home")
    cookie = next(c for c in site["context"].cookies() if c["name"] == "console_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    sign_out(page)
    page.goto(f"{ORIGIN}/console/admin/staff")
    assert page.url.startswith(f"{ORIGIN}/console/sign-in")
    site["context"].add_cookies([cookie])  # the old cookie, replayed
    page.goto(f"{ORIGIN}/console/admin/staff")
    assert page.url.startswith(f"{ORIGIN}/console/sign-in")  # ended on the server, not only in the browser


def test_an_idle_session_expires(site):
    page = site["page"]
    sign_in(page, "admin", NEW_PASSWORD)
    assert page.locator("h1").inner_text().startswith("Welcome")
    real = services.clock
    later = type("Later", (), {"now": lambda self: real.now() + timedelta(minutes=31)})()
    services.override(clock=later)
    services._built.pop("sessions", None)
    try:
        page.goto(f"{ORIGIN}/console")
        assert page.url.startswith(f"{ORIGIN}/console/sign-in")
    finally:
        services.override(clock=real)
        services._built.pop("sessions", None)


def test_a_forged_post_is_refused_and_changes_nothing(site):
    page = site["page"]
    sign_in(page, "admin", NEW_PASSWORD)
    before = services.live_config.version().version
    response = page.request.post(f"{ORIGIN}/console/admin/configuration/rollback",
                                 form={"expected_version": str(before)})
    assert response.status == 403 and "This form has expired" in response.text()
    forged = page.request.post(f"{ORIGIN}/console/availability", form={"status": "away", "csrf_token": "guess"})
    assert forged.status == 403
    assert services.live_config.version().version == before
    assert services.staff.store.get("admin").away is False


def test_an_admin_invites_an_agent_who_signs_in_and_sets_away(site):
    page = site["page"]
    sign_in(page, "admin", NEW_PASSWORD)
    page.goto(f"{ORIGIN}/console/admin/staff")
    scan(site, "console-staff")
    page.fill("#id", "Bad Name!")
    page.fill("#name", "Li Wei")
    page.fill("#email", "li.wei@example.com")
    page.fill("#teams", "billing nowhere")
    page.click("main button:has-text('Invite')")
    assert "unknown team: nowhere" in page.locator("#teams-error").inner_text()
    assert page.locator("#name").input_value() == "Li Wei"  # what was typed is kept
    page.fill("#id", "li.wei")
    page.fill("#teams", "billing")
    page.fill("#skills", "billing")
    page.fill("#languages", "zh en")
    page.fill("#timezone", "Asia/Shanghai")
    page.click("main button:has-text('Invite')")
    status = page.locator("[role=status]").inner_text()
    assert "li.wei" in status
    password = status.split("First password: ")[1].split()[0]
    member = services.staff.store.get("li.wei")
    assert (member.teams, member.skills, member.languages) == (("billing",), ("billing",), ("zh", "en"))
    sign_out(page)

    sign_in(page, "li.wei", password)
    assert page.locator("h1").inner_text() == "Choose your password"  # before sign-in: the browser's language
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm_password", NEW_PASSWORD)
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text() == "欢迎，Li Wei"  # signed in: her profile's language
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    scan(site, "console-home-zh")
    page.select_option("#availability", "away")
    page.click("header button:has-text('设置')")
    assert services.staff.store.get("li.wei").away is True
    page.select_option("#availability", "available")
    page.click("header button:has-text('设置')")
    assert services.staff.store.get("li.wei").away is False
    for admin_page in ("configuration", "staff", "staff/admin", "configuration/export"):  # refused to an agent
        page.goto(f"{ORIGIN}/console/admin/{admin_page}")
        assert page.locator("h1").inner_text() == "无权访问", admin_page
    scan(site, "console-forbidden-zh")
    sign_out(page)

    sign_in(page, "admin", NEW_PASSWORD)  # an admin marks her away and changes her skills
    page.goto(f"{ORIGIN}/console/admin/staff/li.wei")
    scan(site, "console-staff-member")
    page.fill("#skills", "billing vip")
    page.check("[name=away]")
    page.click("main button:has-text('Save')")
    assert page.locator("[role=status]").inner_text() == "Saved."
    member = services.staff.store.get("li.wei")
    assert member.skills == ("billing", "vip") and member.away and member.version == 4


def test_a_configuration_change_is_previewed_refused_at_the_field_saved_and_rolled_back(site):
    page = site["page"]
    sign_in(page, "admin", NEW_PASSWORD)
    page.goto(f"{ORIGIN}/console/admin/configuration")
    scan(site, "console-configuration")
    text = page.locator("#text").input_value()
    start = services.live_config.version().version
    with page.expect_download() as download:
        page.click(f"text=Export version {start} (TOML)")
    assert download.value.suggested_filename == f"sla-v{start}.toml"
    assert pathlib.Path(download.value.path()).read_text(encoding="utf-8") == text.replace("\r\n", "\n")

    page.fill("#text", text.replace('mon = "09:00-17:00"', 'mon = "17:00-09:00"'))
    page.click("main button:has-text('Save')")
    summary = page.locator(".summary").inner_text()
    assert "calendars.uk-office.hours" in summary
    assert '"17:00-09:00"' in page.locator("#text").input_value()  # what was typed is kept
    assert services.live_config.version().version == start  # nothing saved
    scan(site, "console-configuration-error")

    shorter = text.replace('first_response = "8h", next_update = "1d"', 'first_response = "4h", next_update = "1d"')
    page.fill("#text", shorter)
    page.fill("#note", "faster first replies")
    page.click("main button:has-text('Preview')")
    assert "8h -> 4h (shorter)" in page.locator("section").inner_text()
    scan(site, "console-configuration-preview")
    page.click("main button:has-text('Save')")
    assert f"Saved as version {start + 1}" in page.locator("[role=status]").inner_text()
    p3 = next(p for p in services.live_config.current().policies if p.name == "P3 normal")
    assert str(p3.targets.first_response) == "4h"
    assert "faster first replies" in page.locator("table").inner_text()

    page.click(f"main button:has-text('Roll back to version {start}')")
    p3 = next(p for p in services.live_config.current().policies if p.name == "P3 normal")
    assert str(p3.targets.first_response) == "8h"
    assert services.live_config.version().action == "rolled_back"


def test_a_calendar_is_edited_in_its_form_refused_at_the_field_then_saved(site):
    page = site["page"]
    sign_in(page, "admin", NEW_PASSWORD)
    page.goto(f"{ORIGIN}/console/admin/calendars")
    scan(site, "console-calendars")
    page.click("text=uk-office")
    assert page.locator("#mon").input_value() == "09:00-17:00"
    scan(site, "console-calendar")
    start = services.live_config.version().version

    page.fill("#timezone", "Europe/Londn")
    page.fill("#fri", "09:00-12:30, 13:30-16:00")
    page.click("main button:has-text('Save')")
    assert "unknown timezone 'Europe/Londn'" in page.locator("#timezone-error").inner_text()
    assert page.locator("#fri").input_value() == "09:00-12:30, 13:30-16:00"  # what was typed is kept
    assert services.live_config.version().version == start
    scan(site, "console-calendar-error")

    page.fill("#timezone", "Europe/London")
    page.fill("#holidays", page.locator("#holidays").input_value() + "\n2027-12-31")
    page.click("main button:has-text('Preview')")
    assert "Calendar 'uk-office' changed" in page.locator("section").inner_text()
    page.click("main button:has-text('Save')")
    assert f"Saved as version {start + 1}" in page.locator("[role=status]").inner_text()
    calendar = services.live_config.current().calendars["uk-office"]
    assert calendar.hours["fri"] == ["09:00-12:30", "13:30-16:00"] and calendar.holidays[-1].isoformat() == "2027-12-31"
    assert "# Teams: calendar, escalation contacts" in services.live_config.version().text  # comments kept
