"""Every page in Debian's Chromium through Playwright, as a person uses it: the form filled in and submitted (with
and without mistakes), the status page, the survey and the dashboard, each scanned by axe-core; the form and the
status page also in Chinese.

The browser talks to the app through Playwright's request routing: each request the page makes is answered by
Chalice's test client on moto, so forms really post and links really navigate, with no server to start.
Screenshots go to build/test-artifacts/pages/."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from chalicelib.web.auth import mint_local_token
from tests.e2e.browser import ORIGIN, browser_site, scan
from tests.integration.conftest import drain_intake

pytest.importorskip("playwright")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with browser_site(tmp_path_factory.mktemp("pages")) as harness:
        yield harness


def submit_form(page, path: str = "/", **fields: str) -> None:
    page.goto(f"{ORIGIN}{path}")
    for name, value in fields.items():
        page.fill(f"[name={name}]", value)
    if fields:
        page.check("[name=consent]")
    page.click("button[type=submit], input[type=submit]")


def test_the_form_and_its_errors_in_the_browser(site):
    page = site["page"]
    page.goto(f"{ORIGIN}/")
    assert page.locator("form").count() == 1
    scan(site, "form")

    submit_form(page, name="Ada", email="not-an-address", subject="Parcel", description="It never came.")
    assert "e-mail address" in page.inner_text(".summary")  # the mistake is named on the first submit
    assert page.locator(".summary a[href='#email']").count() == 1
    scan(site, "form-errors")


def test_a_complaint_from_the_form_to_its_status_page_and_survey(site):
    page, client, aws = site["page"], site["client"], site["aws"]
    submit_form(page, name="Ada Lovelace", email="ada@example.com", subject="Parcel never arrived",
                description="Order 4411 was marked delivered but it never came to my door.")
    thanks = page.inner_text("body")
    reference = re.search(r"CMP-\d{8}-[A-Z0-9]+", thanks).group(0)
    scan(site, "submitted")

    drain_intake(client, aws["queue_url"])
    status_link = page.locator(f"a[href*='/complaints/{reference}']")
    assert status_link.count() >= 1, thanks
    status_link.first.click()
    assert reference in page.inner_text("body")
    assert "token=" not in page.evaluate("document.referrer")  # the previous page's URL leaks nothing
    scan(site, "status")


def test_the_form_and_the_status_page_in_chinese(site):
    page, client, aws = site["page"], site["client"], site["aws"]
    page.goto(f"{ORIGIN}/?lang=zh")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.inner_text("h1") == "我要投诉"
    scan(site, "form-zh")

    submit_form(page, "/?lang=zh", name="李伟", email="not-an-address", subject="包裹没有送到",
                description="订单 4411 显示已签收，但我没有收到。")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"  # the chosen language outlives the mistake
    assert "请按正确格式填写电子邮件地址" in page.inner_text(".summary")
    scan(site, "form-zh-errors")

    page.fill("[name=email]", "li.wei@example.com")
    page.check("[name=consent]")
    page.click("button[type=submit]")
    reference = re.search(r"CMP-\d{8}-[A-Z0-9]+", page.inner_text("main")).group(0)
    assert "谢谢" in page.inner_text("h1")
    drain_intake(client, aws["queue_url"])
    page.locator(f"a[href*='/complaints/{reference}']").first.click()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "状态：" in page.inner_text("main") and reference in page.inner_text("h1")
    scan(site, "status-zh")


def test_the_survey_page_and_answer(site):
    from chalicelib.domain.lifecycle import Actor, Command
    from chalicelib.wiring import services
    from tests.fakes import make_message

    page, aws = site["page"], site["aws"]
    reference = services.pipeline.process(make_message()).reference
    services.complaint_service.perform(reference, Command(
        "resolve", message="We refunded the parcel.", resolution_code="refunded", root_cause="process"),
        Actor("agent-1", "agent"))
    complaint = services.repository.get(reference)
    assert services.surveys.send(reference, complaint.resolved_at + timedelta(minutes=61)).outcome == "sent"
    lines = [json.loads(line) for line in aws["outbox"].read_text().splitlines()]
    (survey,) = [m for m in lines if m["kind"] == "survey" and m["reference"] == reference]
    link = re.search(r"https?://[^/\s]+(/survey/\S+?)[\s)]", survey["text"]).group(1)

    page.goto(f"{ORIGIN}{link}")
    scan(site, "survey")
    page.check("input[name=score][value='5']")
    page.click("button[type=submit], input[type=submit]")
    assert page.locator("form").count() == 0  # answered once: no form to answer again
    scan(site, "survey-answered")


def test_the_dashboard(site):
    token = mint_local_token("test-jwt-signing-key-0123456789abcdef", "manager-1", "manager")
    site["context"].set_extra_http_headers({"Authorization": f"Bearer {token}"})
    try:
        site["page"].goto(f"{ORIGIN}/dashboard")
        assert site["page"].locator("h1").count() == 1
        scan(site, "dashboard")
    finally:
        site["context"].set_extra_http_headers({})
