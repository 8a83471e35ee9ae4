"""Issue 13's acceptance through `make run`'s stack in Chromium: the seeded admin signs in, invites an agent with a
skill on a team, the agent signs in and is available, a new complaint of that category is routed to them within
60 s; a bad calendar is refused at its field; the billing team's shorter SLA target, saved in the policy form, applies
to its next complaint; the history names who changed it; a POST without the CSRF token is refused."""
from __future__ import annotations

import re
import time

import pytest
import requests

from infra.stack_process import running_stack, submit, wait_for_acknowledgement
from tests.e2e.browser import chromium_binary

pytest.importorskip("playwright")
PASSWORD = "Acceptance-Pass-2026!"


def first_sign_in(page, api: str, name: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{api}/console")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.fill("#new_password", PASSWORD)
    page.fill("#confirm_password", PASSWORD)
    page.click("main button[type=submit]")
    assert page.url.endswith("/console"), page.url


def staff_view(api: str, token: str, reference: str) -> dict:
    answer = requests.get(f"{api}/staff/complaints/{reference}", timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["complaint"]


@pytest.mark.xdist_group("local-stack")
def test_invite_an_agent_route_to_them_and_change_the_sla_from_the_console(tmp_path):
    from playwright.sync_api import sync_playwright

    with running_stack(tmp_path / "local") as stack, sync_playwright() as playwright:
        api, admin = stack.endpoints["api_url"], next(s for s in stack.endpoints["staff"] if s["role"] == "admin")
        browser = playwright.chromium.launch(executable_path=chromium_binary(), args=["--no-sandbox"])
        page = browser.new_page()
        first_sign_in(page, api, admin["sign_in"], admin["first_password"])

        page.goto(f"{api}/console/admin/staff")
        page.fill("#id", "li.wei")
        page.fill("#name", "Li Wei")
        page.fill("#email", "li.wei@example.com")
        page.fill("#teams", "billing")
        page.fill("#skills", "billing")
        page.click("main button:has-text('Invite')")
        invited = re.search(r"First password: (\S+)", page.locator("[role=status]").inner_text()).group(1)
        invited_at = time.monotonic()

        first_sign_in(page, api, "li.wei", invited)
        assert page.locator("#availability").input_value() == "available"
        accepted = submit(api, subject="Charged twice for one order", category="billing", email="pay@example.com")
        wait_for_acknowledgement(accepted["status_url"], stack.endpoints["outbox_file"], timeout=30)
        manager_token = stack.endpoints["manager_token"]
        assert staff_view(api, manager_token, accepted["reference"])["assignee"] == "li.wei"
        routed_after = time.monotonic() - invited_at
        print(f"\ninvited, signed in, complaint routed to the new agent {routed_after:.1f} s after the invitation")
        assert routed_after < 60

        page.context.clear_cookies()  # the admin again, with the password chosen at the first sign-in
        page.goto(f"{api}/console")
        page.fill("#username", admin["sign_in"])
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.goto(f"{api}/console/admin/calendars/uk-office")  # a bad calendar is refused at its field
        page.fill("#mon", "25:00-17:00")
        page.click("main button:has-text('Save')")
        assert page.locator("#hours-error").is_visible()
        assert page.locator("#mon").input_value() == "25:00-17:00"  # what was typed is kept

        page.goto(f"{api}/console/admin/policies/new")  # the billing team's own, shorter targets
        page.fill("#name", "Billing team")
        for value in ("P3", "P4"):
            page.check(f"input[name=priorities][value={value}]")
        page.check("input[name=teams][value=billing]")
        page.fill("#first_response", "2h")
        page.fill("#next_update", "4h")
        page.fill("#resolution", "1d")
        page.fill("#note", "acceptance: faster first replies for billing")
        page.click("main button:has-text('Preview')")
        assert "New policy 'Billing team'" in page.locator("section").inner_text()
        page.click("main button:has-text('Save')")
        assert "Saved as version 2" in page.locator("[role=status]").inner_text()
        page.goto(f"{api}/console/admin/configuration")
        history = page.locator("table").inner_text()
        assert "admin" in history and "acceptance: faster first replies for billing" in history

        cookies = {c["name"]: c["value"] for c in page.context.cookies()}  # the session, without its CSRF token
        forged = requests.post(f"{api}/console/admin/policies/0", data={"name": "forged", "action": "save"},
                               cookies=cookies, timeout=10, allow_redirects=False)
        assert forged.status_code == 403
        page.context.clear_cookies()  # signed out, the browser's language decides
        page.set_extra_http_headers({"Accept-Language": "zh-CN"})
        page.goto(f"{api}/console/sign-in")
        assert page.locator("html").get_attribute("lang") == "zh-Hans" and page.locator("h1").inner_text() == "登录"
        browser.close()

        later = submit(api, subject="Invoice question", category="billing", email="pay2@example.com",
                       description="The invoice for order 5521 shows a line I do not recognise. What is it for?")
        wait_for_acknowledgement(later["status_url"], stack.endpoints["outbox_file"], timeout=30)
        sla = requests.get(f"{api}/complaints/{later['reference']}/sla", timeout=10,
                           headers={"Authorization": f"Bearer {manager_token}"}).json()
        targets = {c["name"]: c["target"] for c in sla["clocks"]}
        assert (sla["policy"], targets["first_response"]) == ("Billing team", "2h"), sla
