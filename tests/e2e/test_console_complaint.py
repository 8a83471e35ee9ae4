"""The complaint page in Debian's Chromium, as an agent works a complaint: the conversation, the customer, why it is
here, its SLA clocks; take it, insert a canned response, reply, a conflict that keeps the draft, an internal note,
a correction, then resolve with a root cause; the Chinese page; axe on each state of the page."""
from __future__ import annotations

import dataclasses
import os
import time

import pytest

from chalicelib.domain.lifecycle import Actor, Command
from chalicelib.domain.model import Sender
from chalicelib.wiring import services
from tests.e2e.browser import console_site, scan, sign_in_as
from tests.fakes import make_message

pytest.importorskip("playwright")
pytestmark = pytest.mark.xdist_group("console-complaint")
SECRET = "complaint-page-secret"
PASSWORD = "Complaint-Pass-2026!"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with console_site(tmp_path_factory.mktemp("complaint"), SECRET, PASSWORD, ("agent", "manager")) as harness:
        yield harness


def as_user(site, name: str):
    return sign_in_as(site, name, PASSWORD)


def assign_to_agent(reference: str) -> None:
    """Routing may have chosen a configured agent of the team: the seeded agent gets it."""
    if services.repository.get(reference).assignee != "agent":
        services.complaint_service.perform(reference, Command("assign", assignee="agent", team="customer-care"),
                                           Actor("manager", "manager"))


def new_complaint(text: str, **fields) -> str:
    sender = Sender(name="Grace Hopper", email="grace@example.com")
    return services.pipeline.process(make_message(text, sender=sender, requested_category="general",
                                                  **fields)).reference


def test_an_agent_works_a_complaint_from_take_to_resolution(site):
    reference = new_complaint("Your store manager shouted at me when I asked about the warranty. I want an apology.")
    complaint = services.repository.get(reference)
    assert complaint.team == "customer-care"
    assign_to_agent(reference)
    page = as_user(site, "agent")
    page.goto(f"{site['origin']}/console/complaints/{reference}")
    assert page.locator("h1").inner_text().startswith(reference)
    assert "shouted at me" in page.locator(".entry.customer").first.inner_text()
    assert "Your reply goes by e-mail to grace@example.com" in page.locator("main").inner_text()
    assert page.locator("#sla-title").is_visible() and "first_response" in page.locator(".clocks").inner_text()
    scan(site, "complaint")

    page.select_option("#canned", index=0)
    page.click("button:has-text('Insert')")
    draft = page.locator("#message").input_value()
    assert "Grace Hopper" in draft and reference in draft and "{" not in draft  # placeholders filled
    status_link = next(w for w in draft.split() if "/complaints/" in w)
    assert page.context.request.get(status_link).ok  # the customer's status page, with its token
    page.fill("#message", draft + "\nWe are sorry.")

    services.complaint_service.perform(reference, Command("note", message="Called the store."),
                                       Actor("manager", "manager"))  # someone else writes meanwhile
    page.click("button[value=respond]")
    assert "changed while you were working on it" in page.locator("[role=alert]").inner_text()
    assert "Called the store." in page.locator("[role=alert]").inner_text()
    assert page.locator("#message").input_value().endswith("We are sorry.")  # the draft is kept
    scan(site, "complaint-conflict")
    page.click("button[value=respond]")  # sent, now on the version shown
    assert "Done" in page.locator("[role=status]").inner_text()
    replies = page.locator(".entry.reply")
    assert replies.count() == 1 and "We are sorry." in replies.first.inner_text()

    page.fill("#note", "Store manager informed; follow up on Friday.")
    page.click("button[value=note]")
    assert "Store manager informed" in page.locator(".entry.note").last.inner_text()

    corrected = "policy" if page.locator("#category").input_value() == "service_attitude" else "service_attitude"
    page.select_option("#category", corrected)  # whatever the model chose, the agent corrects it
    page.click("button[value=change_category]")
    assert services.repository.get(reference).category == corrected

    page.click("button[value=resolve]")  # nothing chosen: refused at the fields, nothing lost
    assert page.locator("#resolution_code-error").is_visible() or page.locator(".summary").is_visible()
    page.fill("#message", "The store manager apologises; you will receive a voucher.")
    page.select_option("#resolution_code", "compensated")
    page.select_option("#root_cause", "people")
    page.select_option("#sub_cause", "attitude")
    page.fill("#five_whys", "The manager was stressed\nThe store was understaffed")
    page.click("button[value=resolve]")
    resolved = services.repository.get(reference)
    assert (resolved.status.value, resolved.resolution_code, resolved.root_cause) == ("resolved", "compensated",
                                                                                      "people")
    scan(site, "complaint-resolved")


def test_an_unreachable_customer_is_shown_before_typing_and_the_page_in_chinese(site):
    sender = Sender(name="匿名", email=None, phone=None)
    reference = services.pipeline.process(make_message("快递三天没到，客服电话也打不通，我很生气。", sender=sender,
                                                       requested_category="general", language="zh")).reference
    agent = services.staff.store.get("agent")
    services.staff.update(dataclasses.replace(agent, languages=("zh",)), agent.version)
    try:
        page = as_user(site, "agent")
        page.goto(f"{site['origin']}/console/complaints/{reference}")
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        assert page.locator("#conversation-title").inner_text() == "对话"
        assert page.locator("p.warn").first.is_visible()  # unreachable: said before typing
        scan(site, "complaint-zh")
    finally:
        agent = services.staff.store.get("agent")
        services.staff.update(dataclasses.replace(agent, languages=("en",)), agent.version)


def test_an_unknown_complaint_is_a_404_page(site):
    page = as_user(site, "agent")
    response = page.goto(f"{site['origin']}/console/complaints/CMP-20260101-XXXXX")
    assert response.status == 404


def test_a_customer_reply_on_an_open_page_is_announced_and_keys_work(site):
    from chalicelib.domain.model import Channel

    reference = new_complaint("The refund for order 5521 never arrived.")
    assign_to_agent(reference)
    page = as_user(site, "agent")
    page.add_init_script("window.consolePollMs = 300")
    page.goto(f"{site['origin']}/console/complaints/{reference}")
    page.keyboard.press("?")
    assert page.locator("#keys").is_visible()
    page.keyboard.press("?")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "message"
    page.keyboard.type("Draft: checking with billing")

    services.pipeline.process(make_message("Here is my bank statement as proof.", channel=Channel.EMAIL,
                                           sender=Sender(name="Grace Hopper", email="grace@example.com"),
                                           thread_reference=reference))
    page.wait_for_selector("#live:not([hidden])", timeout=10_000)
    assert "changed since you opened it" in page.locator("#live").inner_text()
    assert page.locator("#message").input_value() == "Draft: checking with billing"  # the draft stays
    page.click("main a:has-text('Refresh')")
    assert "bank statement" in page.locator(".entry.customer").last.inner_text()
    assert "of yours: the customer wrote" in page.locator("header a.attention").inner_text()  # on every page
    page.goto(f"{site['origin']}/console/inbox?view=mine")
    page.keyboard.press("/")  # the inbox's search
    assert page.evaluate("document.activeElement.id") == "q"
    page.locator("#q").blur()
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url("**/console/complaints/**")


def test_attachments_download_by_short_lived_link_and_images_are_previewed(site):
    import base64

    import boto3
    import requests

    from chalicelib.domain.model import Attachment, Channel

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    s3 = boto3.client("s3")
    s3.put_object(Bucket=os.environ["MAIL_BUCKET"], Key="attachments/m1/broken-lamp.png", Body=png)
    stored = Attachment("broken-lamp.png", "image/png", len(png), f"s3://{os.environ['MAIL_BUCKET']}/"
                                                                     "attachments/m1/broken-lamp.png")
    too_big = Attachment("video.mp4", "video/mp4", 40_000_000, None)
    reference = new_complaint("The lamp arrived broken.")
    message = make_message("Photo attached.", channel=Channel.EMAIL, thread_reference=reference,
                           sender=Sender(name="Grace Hopper", email="grace@example.com"))
    services.pipeline.process(dataclasses.replace(message, attachments=(stored, too_big)))

    page = as_user(site, "agent")
    page.goto(f"{site['origin']}/console/complaints/{reference}")
    entry = page.locator(".entry.customer").last
    assert "not kept separately: see the original mail" in entry.inner_text()
    assert entry.locator("img.preview").evaluate("img => img.decode().then(() => img.naturalWidth)") == 1  # shown
    link = entry.locator("a:has-text('broken-lamp.png')").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    answer = requests.get(link, cookies=cookies, allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    assert "X-Amz-Expires=300" in answer.headers["Location"] and "broken-lamp.png" in answer.headers["Location"]
    assert requests.get(link, allow_redirects=False, timeout=10).status_code == 303  # signed out: to the sign-in
    assert "/console/sign-in" in requests.get(link, allow_redirects=False, timeout=10).headers["Location"]
    scan(site, "complaint-attachments")


def test_an_email_is_shown_without_its_quoted_tail_and_the_original_is_one_click_away(site):
    import boto3

    from chalicelib.domain.model import Channel

    raw = ("From: Grace Hopper <grace@example.com>\r\nTo: complaints@example.com\r\nSubject: Re: lamp\r\n"
           "Date: Sat, 05 Dec 2026 09:00:00 +0000\r\nMessage-ID: <m2@example.com>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nStill broken.\r\n\r\n"
           "On Fri, 4 Dec 2026, Customer Care wrote:\r\n> We are looking into it.\r\n").encode()
    boto3.client("s3").put_object(Bucket=os.environ["MAIL_BUCKET"], Key="inbound/m2", Body=raw)
    reference = new_complaint("The lamp flickers.")
    message = make_message("Still broken.", channel=Channel.EMAIL, thread_reference=reference,
                           sender=Sender(name="Grace Hopper", email="grace@example.com"))
    services.pipeline.process(dataclasses.replace(message, details={"object_key": "inbound/m2"}))

    page = as_user(site, "agent")
    page.goto(f"{site['origin']}/console/complaints/{reference}")
    entry = page.locator(".entry.customer").last
    assert "We are looking into it" not in entry.inner_text()
    entry.locator("a:has-text('Show the original e-mail')").click()
    assert "> We are looking into it." in page.locator(".original").inner_text()
    scan(site, "complaint-original")


def test_an_agent_asks_for_emails_about_their_complaints(site):
    page = as_user(site, "agent")
    page.check("#email_updates")
    page.click("main button:has-text('Save')")
    assert services.staff.store.get("agent").email_updates is True
    assert page.locator("#email_updates").is_checked()
    scan(site, "console-home-preferences")


def test_an_sms_reply_counts_its_parts_as_the_agent_types(site):
    from chalicelib.domain.model import Channel

    reference = services.pipeline.process(make_message(
        "Parcel 8812 late again. Call me.", channel=Channel.SMS, sender=Sender(phone="+447700900123"),
        requested_category="general")).reference
    page = as_user(site, "agent")
    page.goto(f"{site['origin']}/console/complaints/{reference}")
    assert "Your reply goes by SMS to +447700900123" in page.locator("main").inner_text()
    page.fill("#message", "a" * 161)
    assert page.locator("#message-hint").inner_text().startswith("2 SMS part(s): 161 characters, GSM-7")
    page.fill("#message", "您好")
    assert page.locator("#message-hint").inner_text().startswith("1 SMS part(s): 2 characters, UCS-2")


def test_the_inbox_refreshes_itself_unless_something_is_ticked(site):
    reference = new_complaint("The store refused my receipt.")
    assign_to_agent(reference)
    page = as_user(site, "agent")
    page.add_init_script("window.consolePollMs = 300")
    page.goto(f"{site['origin']}/console/inbox?view=mine")
    services.complaint_service.perform(reference, Command("change_priority", priority="P1"),
                                       Actor("manager", "manager"))
    row = page.locator(f"tr:has(#pick-{reference})")
    deadline = time.monotonic() + 10
    while "P1" not in row.inner_text():  # the page reloads itself (the policy forbids wait_for_function's eval)
        assert time.monotonic() < deadline, "the inbox did not refresh"
        page.wait_for_timeout(200)
    page.check(f"#pick-{reference}")
    services.complaint_service.perform(reference, Command("note", message="Receipt checked."),
                                       Actor("manager", "manager"))
    page.wait_for_selector("#live:not([hidden])", timeout=10_000)  # announced: the selection stays
    assert page.locator(f"#pick-{reference}").is_checked()


def test_a_signed_out_page_polls_without_following_to_the_sign_in_page(site):
    """Its session gone (signed out in another tab, expired), a console page's poll gets the redirect and stops
    there: following it would fetch the sign-in page, whose fresh CSRF cookie breaks a sign-in under way elsewhere."""
    page = as_user(site, "agent")
    page.add_init_script("window.consolePollMs = 200")
    page.goto(f"{site['origin']}/console/inbox?view=mine")
    page.wait_for_timeout(500)
    page.context.clear_cookies()
    page.wait_for_timeout(1000)  # five polls
    assert page.context.cookies() == [] and page.url.endswith("/console/inbox?view=mine")
