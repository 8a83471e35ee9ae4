"""Issue 14's acceptance through `make run`'s stack in Chromium: an agent works a day and a manager follows.

Complaints arrive by e-mail (SES inbound) and SMS (the Twilio webhook). The agent finds them in the inbox views and
by search, replies with a canned response, sees the customer's e-mail reply arrive on the open page without losing
a draft, gets an SMS reply, re-categorises, meets a conflict that keeps the draft, and resolves with a root cause.
The manager reviews all open complaints and bulk-marks two advertisements as spam, which the review view then lists. axe scans each page; Chinese is checked."""
from __future__ import annotations

import json
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
import requests

from infra.mint_token import local_keys
from infra.stack_process import (deliver_inbound_email, post_twilio_sms, running_stack, wait_for,
                                 wait_for_complaints)
from tests.e2e.browser import chromium_binary

pytest.importorskip("playwright")
PASSWORD = "Agent-Day-Pass-2026!"


def outbox(stack) -> list[dict]:
    return [json.loads(line) for line in open(stack.endpoints["outbox_file"], encoding="utf-8")]


def sign_in(page, api: str, name: str, password: str, first: bool = False) -> None:
    page.context.clear_cookies()
    page.goto(f"{api}/console")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    if first:
        page.fill("#new_password", PASSWORD)
        page.fill("#confirm_password", PASSWORD)
        page.click("main button[type=submit]")
    page.get_by_role("button", name="Sign out").wait_for()  # signed in: the session cookie is set


def axe_clean(page, axe) -> None:
    violations = [v for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not violations, [(v["id"], v["impact"]) for v in violations]


def mail(sender: str, subject: str, body: str, message_id: str, in_reply_to: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "complaints@example.com", subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    return message.as_bytes()


@pytest.mark.xdist_group("local-stack")
def test_an_agent_works_a_day_and_a_manager_follows(tmp_path):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    with running_stack(tmp_path / "local") as stack, sync_playwright() as playwright:
        api, staff = stack.endpoints["api_url"], {s["role"]: s for s in stack.endpoints["staff"]}
        token = stack.endpoints["manager_token"]
        browser = playwright.chromium.launch(executable_path=chromium_binary(), args=["--no-sandbox"])
        page, axe = browser.new_page(), Axe()
        page.add_init_script("window.consolePollMs = 500")
        for role in ("manager", "agent"):
            sign_in(page, api, staff[role]["sign_in"], staff[role]["first_password"], first=True)

        # the morning's complaints: one by e-mail, one by SMS, both for the agent's team (customer-care)
        deliver_inbound_email(stack.endpoints, mail(
            "Grace <grace@example.org>", "Rude staff at the Leeds store",
            "The manager at your Leeds store shouted at me when I asked about my warranty. I expect an apology.",
            "<leeds-1@mail.example.org>"), "day-ses-1")
        twilio = post_twilio_sms(stack.endpoints, local_keys(stack.state_dir)["twilio_auth_token"], {
            "MessageSid": "SM00000000000000000000000000000001", "From": "+447700900777", "To": "+447700900000",
            "Body": "Your staff at the counter were very rude to me today. Not acceptable."})
        assert twilio.status_code == 200, twilio.text
        (by_mail,) = wait_for_complaints(api, token, channel="email")
        (by_sms,) = wait_for_complaints(api, token, channel="sms")

        # the inbox: the agent's views, then search by e-mail
        page.goto(f"{api}/console/inbox")
        axe_clean(page, axe)
        page.fill("#q", "grace@example.org")
        page.press("#q", "Enter")
        assert by_mail["reference"] in page.locator("main table").inner_text()
        page.click(f"main a:has-text('{by_mail['reference']}')")
        axe_clean(page, axe)
        if page.locator("button[value=take]").count():
            page.click("button[value=take]")

        # reply with a canned response, edited
        page.select_option("#canned", index=0)
        page.click("button:has-text('Insert')")
        page.fill("#message", page.locator("#message").input_value() + "\nWe have spoken to the store manager.")
        page.click("button[value=respond]")
        sent = wait_for(lambda: [m for m in outbox(stack) if m["recipient"] == "grace@example.org"
                                 and m["kind"] == "respond"])
        assert "spoken to the store manager" in sent[0]["text"] and "Grace" in sent[0]["text"]

        # the customer answers by e-mail while the agent drafts: announced, the draft stays
        page.fill("#message", "Draft: a voucher is on its way")
        ours = BytesParser(policy=policy.default).parsebytes(sent[0]["raw"].encode())
        deliver_inbound_email(stack.endpoints, mail(
            "grace@example.org", f"Re: {ours['Subject']}", "Thank you. I would like a voucher too.",
            "<leeds-2@mail.example.org>", ours["Message-ID"]), "day-ses-2")
        page.wait_for_selector("#live:not([hidden])", timeout=30_000)
        assert page.locator("#message").input_value() == "Draft: a voucher is on its way"

        # a colleague notes meanwhile: sending meets a conflict that keeps the draft, then goes through
        requests.post(f"{api}/staff/complaints/{by_mail['reference']}/notes", timeout=10,
                      headers={"Authorization": f"Bearer {token}"}, json={"message": "Store visited."})
        page.click("button[value=respond]")
        assert "changed while you were working on it" in page.locator("[role=alert]").inner_text()
        assert page.locator("#message").input_value() == "Draft: a voucher is on its way"
        page.click("button[value=respond]")
        assert "voucher too" in page.locator(".entry.customer").last.inner_text()

        # resolve with a root cause
        page.fill("#message", "The manager apologises; your voucher is attached.")
        page.select_option("#resolution_code", "compensated")
        page.select_option("#root_cause", "people")
        page.select_option("#sub_cause", "attitude")
        page.click("button[value=resolve]")
        resolved = requests.get(f"{api}/staff/complaints/{by_mail['reference']}", timeout=10,
                                headers={"Authorization": f"Bearer {token}"}).json()["complaint"]
        assert (resolved["status"], resolved["root_cause"]) == ("resolved", "people")

        # the SMS complaint: the customer writes again by SMS, the agent re-categorises and replies by SMS
        post_twilio_sms(stack.endpoints, local_keys(stack.state_dir)["twilio_auth_token"], {
            "MessageSid": "SM00000000000000000000000000000002", "From": "+447700900777", "To": "+447700900000",
            "Body": "Also they refused my return."})
        page.goto(f"{api}/console/complaints/{by_sms['reference']}")
        # the page's own poll reloads it when the message lands (a reload of ours could race with it)
        expect(page.locator("main")).to_contain_text("refused my return", timeout=30_000)
        corrected = "general" if page.locator("#category").input_value() == "policy" else "policy"
        page.select_option("#category", corrected)  # whatever the model chose, the agent corrects it
        page.click("button[value=change_category]")
        assert "Done" in page.locator("[role=status]").inner_text()
        assert requests.get(f"{api}/staff/complaints/{by_sms['reference']}", timeout=10, headers={
            "Authorization": f"Bearer {token}"}).json()["complaint"]["category"] == corrected
        page.fill("#message", "We are checking the return with the store.")
        assert "SMS part(s)" in page.locator("#message-hint").inner_text()
        page.click("button[value=respond]")
        wait_for(lambda: [m for m in outbox(stack) if m["recipient"] == "+447700900777" and m["kind"] == "respond"])

        # the manager: all open complaints, and a bulk spam decision on two that passed screening
        promos = []
        for n in (1, 2):
            deliver_inbound_email(stack.endpoints, mail(
                f"sales{n}@agency.example", f"Partnership proposal {n}",
                "We are a marketing agency and would like to offer your company our services for next year.",
                f"<promo-{n}@agency.example>"), f"day-promo-{n}")
            promos.append(wait_for(lambda: [c for c in wait_for_complaints(api, token, channel="email")
                                            if c["customer"]["email"] == f"sales{n}@agency.example"])[0])
        sign_in(page, api, staff["manager"]["sign_in"], PASSWORD)
        page.goto(f"{api}/console/inbox?view=all")
        axe_clean(page, axe)
        assert by_sms["reference"] in page.locator("main table").inner_text()
        assert all(p["status"] not in ("spam", "invalid") for p in promos), promos  # screening let them through
        for promo in promos:
            page.check(f"#pick-{promo['reference']}")
        page.select_option("#action", "mark_spam")
        page.fill("#reason", "advertising")
        page.click("button:has-text('Apply to the selected')")
        for promo in promos:
            status = requests.get(f"{api}/staff/complaints/{promo['reference']}", timeout=10,
                                  headers={"Authorization": f"Bearer {token}"}).json()["complaint"]["status"]
            assert status == "spam", (promo["reference"], status)
        page.goto(f"{api}/console/inbox?view=review")
        assert all(p["reference"] in page.locator("main").inner_text() for p in promos)
        page.set_extra_http_headers({"Accept-Language": "zh-CN"})
        page.context.clear_cookies()
        page.goto(f"{api}/console/sign-in")
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        browser.close()
