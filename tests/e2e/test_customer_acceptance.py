"""Issue 16's acceptance through `make run`'s stack in Chromium, as customers meet it:

- a Chinese complaint by web, by e-mail and by SMS is acknowledged in Chinese with a link that opens its page;
- the empty form names each missing field in plain words, and the form is then fixed and sent;
- a web customer uploads a photo (a presigned POST to the stack's S3) and replies; the agent sees both;
- a duplicate's page names the complaint it joined;
- a customer lists their complaints from every channel through a single-use sign-in link;
- a bulk mail and SES's test mail never become complaints.
axe scans every customer page (no serious or critical violation); screenshots go to build/test-artifacts/pages."""
from __future__ import annotations

import json
import re
from email.message import EmailMessage

import pytest
import requests

from infra.mint_token import local_keys
from infra.stack_process import (deliver_inbound_email, post_twilio_sms, running_stack, wait_for,
                                 wait_for_complaints)
from tests.e2e.browser import ARTIFACTS, chromium_binary

pytest.importorskip("playwright")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" \
      b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"


def sent(stack, **match) -> list[dict]:
    try:
        lines = open(stack.endpoints["outbox_file"], encoding="utf-8").read().splitlines()
    except FileNotFoundError:
        return []
    messages = [json.loads(line) for line in lines if line.strip()]
    return [m for m in messages if all(m.get(k) == v for k, v in match.items())]


def acknowledgement(stack, recipient: str) -> dict:
    return wait_for(lambda: sent(stack, kind="acknowledgement", recipient=recipient))[-1]


def looked_at(page, axe, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"customer-{name}.png", full_page=True)
    violations = [v for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not violations, (name, [(v["id"], v["impact"]) for v in violations])


def mail(sender: str, subject: str, body: str, message_id: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "complaints@example.com", subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


@pytest.mark.xdist_group("local-stack")
def test_customers_on_every_channel_in_chinese_and_english(tmp_path):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    with running_stack(tmp_path / "local") as stack, sync_playwright() as playwright:
        api, endpoints = stack.endpoints["api_url"], stack.endpoints
        token = endpoints["manager_token"]
        browser = playwright.chromium.launch(executable_path=chromium_binary(), args=["--no-sandbox"])
        page, axe = browser.new_page(), Axe()

        # the empty form: every missing field named at once, in words a customer understands
        page.goto(f"{api}/?lang=zh")
        page.click("main button[type=submit]")
        summary = page.locator(".summary a")
        assert [summary.nth(i).get_attribute("href") for i in range(summary.count())] == [
            "#name", "#email", "#subject", "#description", "#consent"]
        assert "请填写您的姓名" in page.inner_text(".summary") and "Field required" not in page.content()
        looked_at(page, axe, "form-errors-zh")

        # fixed on the first try: a Chinese complaint from the web
        page.fill("#name", "李雷")
        page.fill("#email", "li.lei@example.cn")
        page.fill("#subject", "洗衣机漏水")
        page.fill("#description", "新买的洗衣机第一次用就漏水，厨房地板都泡坏了，请尽快派人处理。")
        page.check("#consent")
        page.click("main button[type=submit]")
        reference = re.search(r"CMP-\d{8}-[0-9A-Z]{5}", page.inner_text("main")).group(0)
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        looked_at(page, axe, "submitted-zh")
        web_ack = acknowledgement(stack, "li.lei@example.cn")
        assert web_ack["subject"] == "我们已收到您的投诉" and "谢谢，我们已收到您的投诉" in web_ack["text"]

        # ... by e-mail and by SMS, both acknowledged in Chinese with a working link
        deliver_inbound_email(endpoints, mail("王芳 <wang.fang@example.cn>", "快递丢了",
                                              "我的包裹显示已签收，但我根本没有收到，快递员也联系不上。", "<w1@example.cn>"),
                              "ses-w1")
        twilio = post_twilio_sms(endpoints, local_keys(stack.state_dir)["twilio_auth_token"], {
            "MessageSid": "SMzh0001", "From": "+14155550142", "To": "+14155550000",
            "Body": "宽带断了三天了，打客服电话也没人接，请尽快修好。"})
        assert twilio.status_code == 200
        mail_ack, sms_ack = acknowledgement(stack, "wang.fang@example.cn"), acknowledgement(stack, "+14155550142")
        assert "谢谢，我们已收到您的投诉" in mail_ack["text"] and sms_ack["text"].startswith("已收到您的投诉")
        for message in (web_ack, mail_ack, sms_ack):
            link = re.search(r"https?://\S+/(complaints|s)/\S+", message["text"]).group(0)
            page.goto(link)
            assert message["reference"] in page.inner_text("h1")
            assert page.locator("html").get_attribute("lang") == "zh-Hans"  # the complaint's language
        looked_at(page, axe, "status-sms-zh")

        # the web customer adds a photo (straight to S3) and replies from their page
        page.goto(re.search(r"https?://\S+/complaints/\S+", web_ack["text"]).group(0))
        photo = tmp_path / "漏水.png"
        photo.write_bytes(PNG)
        page.set_input_files("input[type=file]", str(photo))
        page.click("form.upload button[type=submit]")
        page.wait_for_selector("#notice")
        assert "文件已上传" in page.inner_text("#notice") and "漏水.png" in page.inner_text("main")
        looked_at(page, axe, "status-upload-zh")
        page.fill("#text", "这是地板被泡坏的照片。")
        page.get_by_role("button", name="发送", exact=True).click()
        assert "您的消息已发送" in page.inner_text("#notice")

        def replied():
            staff = requests.get(f"{api}/staff/complaints/{reference}", headers={
                "Authorization": f"Bearer {token}"}, timeout=5).json()
            return [e for e in staff["history"] if e["type"] == "customer_message"]
        (reply,) = wait_for(replied)
        assert reply["message"] == "这是地板被泡坏的照片。"
        assert [a["filename"] for a in reply["data"]["attachments"]] == ["漏水.png"]
        page.reload()
        assert "这是地板被泡坏的照片。" in page.inner_text("main") and "漏水.png" in page.inner_text("main")
        looked_at(page, axe, "status-replied-zh")
        agent = page.context.browser.new_context().new_page()  # the agent sees the reply and the photo
        manager = {s["role"]: s for s in endpoints["staff"]}["manager"]
        agent.goto(f"{api}/console")
        agent.fill("#username", manager["sign_in"])
        agent.fill("#password", manager["first_password"])
        agent.click("main button[type=submit]")
        agent.fill("#new_password", "Customer-Side-2026!")
        agent.fill("#confirm_password", "Customer-Side-2026!")
        agent.click("main button[type=submit]")
        agent.get_by_role("button", name="Sign out").wait_for()
        agent.goto(f"{api}/console/complaints/{reference}")
        conversation = agent.inner_text(".conversation")
        assert "这是地板被泡坏的照片。" in conversation and "漏水.png" in conversation
        agent.screenshot(path=ARTIFACTS / "customer-reply-in-console.png", full_page=True)
        agent.context.close()

        # a duplicate's page names the complaint it joined, in English for an English complaint
        english = {"name": "Ada", "email": "li.lei@example.cn", "subject": "Parcel never arrived",
                   "description": "Order 4411 was marked delivered on 3 Nov but it never came to my door.",
                   "consent": True}
        first = requests.post(f"{api}/complaints", json=english, timeout=5).json()
        acknowledgement(stack, "li.lei@example.cn")
        wait_for(lambda: len(sent(stack, kind="acknowledgement", recipient="li.lei@example.cn")) == 2)
        second = requests.post(f"{api}/complaints", json=english, timeout=5).json()
        wait_for(lambda: len(sent(stack, kind="acknowledgement", recipient="li.lei@example.cn")) == 3)
        page.goto(second["status_url"])
        assert f"We already have your complaint {first['reference']} about this" in page.inner_text("main")
        page.click(f"text=See complaint {first['reference']}")
        assert first["reference"] in page.inner_text("h1")
        looked_at(page, axe, "status-duplicate")

        # "my complaints" through a sign-in link: the web and e-mail complaints of one address
        deliver_inbound_email(endpoints, mail("li.lei@example.cn", "Invoice charged twice",
                                              "My card was charged twice for invoice 7781 on 2 December.",
                                              "<l2@example.cn>"), "ses-l2")
        wait_for(lambda: len(sent(stack, kind="acknowledgement", recipient="li.lei@example.cn")) == 4)
        page.context.clear_cookies()
        page.goto(f"{api}/my?lang=en")
        looked_at(page, axe, "my-ask")
        page.fill("#contact", "Li.Lei@example.cn")
        page.click("main button[type=submit]")
        assert "If we have complaints from Li.Lei@example.cn" in page.inner_text("main")
        (link_mail,) = wait_for(lambda: sent(stack, kind="sign_in"))
        page.goto(re.search(r"https?://\S+/my/sign-in\?code=\S+", link_mail["text"]).group(0))
        looked_at(page, axe, "my-continue")
        page.click("main button[type=submit]")
        listed = page.inner_text("main")
        for expected in (reference, first["reference"], second["reference"], "Invoice charged twice"):
            assert expected in listed
        looked_at(page, axe, "my-list")
        page.goto(re.search(r"https?://\S+/my/sign-in\?code=\S+", link_mail["text"]).group(0))
        page.click("main button[type=submit]")
        assert "expired or was already used" in page.inner_text("main")  # the link works once

        # mail that is not from a person never becomes a complaint
        deliver_inbound_email(endpoints, mail("Shop News <news@shop.example>", "Our winter sale starts today",
                                              "Up to 50% off everything this weekend only.", "<n1@shop.example>",
                                              List_Id="<offers.shop.example>", List_Unsubscribe="<https://x/u>",
                                              Precedence="bulk"), "ses-n1")
        deliver_inbound_email(endpoints, mail("no-reply-aws@amazon.com", "Amazon SES Test (SDK for Python)",
                                              "This is a test message sent with Amazon SES.", "<t1@amazonses.com>"),
                              "ses-t1")
        deliver_inbound_email(endpoints, mail("grace@example.org", "Heater stopped working",
                                              "My new heater stopped working after two days.", "<g1@example.org>"),
                              "ses-g1")
        acknowledgement(stack, "grace@example.org")  # the mail after them was handled, so they were too
        by_mail = wait_for_complaints(api, token, channel="email")
        senders = {c["customer"]["email"] for c in by_mail}
        assert "grace@example.org" in senders and not senders & {"news@shop.example", "no-reply-aws@amazon.com"}
        assert not sent(stack, recipient="news@shop.example") and not sent(stack, recipient="no-reply-aws@amazon.com")
        browser.close()
