"""The customer's side end to end in one process (moto): the status link in every acknowledgement (e-mail and SMS,
in the customer's language), replies and files from the complaint's page through the same pipeline, "solved",
"my complaints" through a single-use sign-in link, the form's errors on the first submit, and a duplicate's page."""
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3

from chalicelib.domain.model import Status
from tests.integration.conftest import drain_intake, post_json

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = {"Accept": "text/html"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
ZH_COMPLAINT = {"name": "李雷", "email": "li@example.cn", "subject": "洗衣机漏水",
                "description": "新买的洗衣机第一次用就漏水，地板都泡坏了，请尽快处理。", "consent": True}


def outbox(aws) -> list[dict]:
    return [json.loads(line) for line in aws["outbox"].read_text().splitlines()] if aws["outbox"].exists() else []


def submit(client, aws, body=ZH_COMPLAINT) -> dict:
    response = post_json(client, "/complaints", body)
    assert response.status_code == 202, response.body
    drain_intake(client, aws["queue_url"])
    return json.loads(response.body)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page(client, url: str) -> str:
    response = client.http.get(path_of(url), headers=HTML)
    assert response.status_code == 200, response.body
    return response.body.decode()


def test_a_chinese_web_complaint_is_acknowledged_in_chinese_with_a_working_link(client, aws):
    accepted = submit(client, aws)
    (ack,) = outbox(aws)
    assert ack["subject"] == "我们已收到您的投诉" and "谢谢，我们已收到您的投诉“洗衣机漏水”" in ack["text"]
    link = re.search(r"http://testserver/complaints/\S+", ack["text"]).group(0)
    shown = page(client, link)
    assert accepted["reference"] in shown and "新买的洗衣机第一次用就漏水" in shown


def test_an_sms_complaint_gets_its_acknowledgement_in_its_language_with_a_short_link_in_one_segment(client, aws):
    from chalicelib.domain.sms import InboundSms
    from chalicelib.web.complaint_view import sms_segments
    from chalicelib.wiring import services

    for text, phone in (("My broadband has been down for three days and nobody called back", "+14155550101"),
                        ("宽带断了三天，没有人回电话，请尽快修好", "+14155550102")):
        services.sms_intake.receive(InboundSms("aws", f"m-{phone}", phone, text, services.clock.now()))
    drain_intake(client, aws["queue_url"])
    english, chinese = outbox(aws)
    assert english["channel"] == chinese["channel"] == "sms"
    assert english["text"].startswith("We received your complaint CMP-") and chinese["text"].startswith("已收到您的投诉")
    segments = {m["text"]: sms_segments(m["text"]).count for m in (english, chinese)}
    print(f"\nacknowledgement SMS: {segments}")
    assert sms_segments(english["text"]).count == 1 and sms_segments(chinese["text"]).count <= 2
    short = re.search(r"http://testserver(/s/\S+)", chinese["text"]).group(1)
    redirect = client.http.get(short)
    assert redirect.status_code == 303 and "/complaints/CMP-" in redirect.headers["Location"]
    assert "宽带断了三天" in page(client, redirect.headers["Location"])
    assert client.http.get(short[:-1] + ("A" if short[-1] != "A" else "B")).status_code == 404


def upload(aws, reference: str, body: bytes, name: str) -> str:
    """What the browser's POST to S3 does: the file under the pending prefix (moto runs no policy)."""
    key = f"uploads/pending/{reference}/{name}-id/{name}"
    boto3.client("s3").put_object(Bucket=aws["bucket"], Key=key, Body=body)
    return key


def test_a_web_reply_with_a_photo_continues_the_complaint_like_an_email_reply(client, aws):
    from chalicelib.wiring import services

    accepted = submit(client, aws)
    reference, token = accepted["reference"], accepted["access_token"]
    shown = page(client, accepted["status_url"])
    assert 'enctype="multipart/form-data"' in shown and 'name="success_action_redirect"' in shown

    good = upload(aws, reference, PNG, "floor.png")
    answer = client.http.get(f"/complaints/{reference}/files?{urlencode({'token': token, 'key': good})}", headers=HTML)
    assert answer.status_code == 303 and "notice=upload_ok" in answer.headers["Location"]
    bad = upload(aws, reference, b"MZ\x90\x00 not a photo", "photo.jpg")  # a program named like a photo
    answer = client.http.get(f"/complaints/{reference}/files?{urlencode({'token': token, 'key': bad})}", headers=HTML)
    assert "notice=upload_wrong_type" in answer.headers["Location"]
    shown = page(client, path_of(answer.headers["Location"]))
    assert "文件必须是照片" in shown or "The file must be a photo" in shown
    assert "floor.png" in shown and "photo.jpg" not in shown  # the refused file is gone

    form = {"token": token, "text": "地板的照片在附件里。", "message_id": "form-1234abcd"}
    sent = client.http.post(f"/complaints/{reference}/messages", headers=FORM, body=urlencode(form))
    assert sent.status_code == 303 and "notice=sent" in sent.headers["Location"]
    client.http.post(f"/complaints/{reference}/messages", headers=FORM, body=urlencode(form))  # sent twice
    drain_intake(client, aws["queue_url"])
    appended = [e for e in services.repository.history(reference) if e.type == "customer_message"]
    assert len(appended) == 1 and appended[0].message == "地板的照片在附件里。"
    (photo,) = appended[0].data["attachments"]
    assert (photo["filename"], photo["content_type"]) == ("floor.png", "image/png")
    assert boto3.client("s3").list_objects_v2(Bucket=aws["bucket"], Prefix=f"uploads/pending/{reference}/")[
        "KeyCount"] == 0
    assert services.repository.get(reference).customer_wrote_at is not None  # the same effect as an e-mail reply

    empty = client.http.post(f"/complaints/{reference}/messages", headers=FORM,
                             body=urlencode({"token": token, "text": "  "}))
    assert "notice=empty" in empty.headers["Location"]
    wrong = client.http.post(f"/complaints/{reference}/messages", headers=FORM,
                             body=urlencode({"token": "0" * 32, "text": "hello"}))
    assert wrong.status_code == 404


def test_the_customer_says_solved_or_not_solved_after_a_resolution(client, aws):
    from chalicelib.domain.lifecycle import SYSTEM, Command
    from chalicelib.wiring import services

    resolved = []
    for body in (ZH_COMPLAINT, {**ZH_COMPLAINT, "email": "han@example.cn", "subject": "冰箱不制冷",
                                "description": "冰箱买了两周就不制冷了，里面的食物都坏了。"}):
        accepted = submit(client, aws, body)
        services.complaint_service.perform(accepted["reference"], Command(
            "resolve", message="已为您更换新机。", resolution_code="replaced", root_cause="product"), SYSTEM)
        shown = page(client, accepted["status_url"])
        assert "已为您更换新机。" in shown and "是的，已经解决" in shown
        resolved.append(accepted)
    solved, not_solved = resolved

    answer = client.http.post(f"/complaints/{solved['reference']}/solved", headers=FORM,
                              body=urlencode({"token": solved["access_token"]}))
    assert answer.status_code == 303 and "notice=solved" in answer.headers["Location"]
    assert services.repository.get(solved["reference"]).status == Status.CLOSED
    again = client.http.post(f"/complaints/{solved['reference']}/solved", headers=FORM,
                             body=urlencode({"token": solved["access_token"]}))
    assert "notice=not_resolved" in again.headers["Location"]

    client.http.post(f"/complaints/{not_solved['reference']}/messages", headers=FORM,
                     body=urlencode({"token": not_solved["access_token"], "text": "新机还是不制冷。"}))
    drain_intake(client, aws["queue_url"])
    assert services.repository.get(not_solved["reference"]).status == Status.IN_PROGRESS  # reopened


def test_my_complaints_through_a_single_use_sign_in_link(client, aws):
    first = submit(client, aws)
    second = submit(client, aws, {**ZH_COMPLAINT, "subject": "售后电话打不通", "description": "客服电话一直占线，打了十几次。",
                                  "phone": "+14155550177"})
    asked = client.http.post("/my/link", headers=FORM, body=urlencode({"contact": "LI@example.cn", "lang": "zh"}))
    assert asked.status_code == 200 and "请查看您的消息" in asked.body.decode()
    (mail,) = [m for m in outbox(aws) if m["kind"] == "sign_in"]
    assert mail["recipient"] == "li@example.cn" and mail["subject"] == "查看您投诉的登录链接"
    link = re.search(r"http://testserver(/my/sign-in\?code=\S+)", mail["text"]).group(1)
    assert 'name="code"' in page(client, link)  # opening the link uses nothing up (mail scanners open links)
    code = parse_qs(urlsplit(link).query)["code"][0]
    signed_in = client.http.post("/my/sign-in", headers=FORM, body=urlencode({"code": code}))
    assert signed_in.status_code == 303 and signed_in.headers["Location"].endswith("/my/complaints")
    cookie = signed_in.headers["Set-Cookie"].split(";")[0]
    assert "HttpOnly" in signed_in.headers["Set-Cookie"] and code not in cookie
    listed = client.http.get("/my/complaints", headers={**HTML, "Cookie": cookie}).body.decode()
    assert first["reference"] in listed and second["reference"] in listed and "售后电话打不通" in listed
    reused = client.http.post("/my/sign-in", headers=FORM, body=urlencode({"code": code}))
    assert reused.status_code == 400 and "Set-Cookie" not in reused.headers
    assert client.http.get("/my/complaints", headers=HTML).status_code == 303  # no cookie, no list

    unknown = client.http.post("/my/link", headers=FORM, body=urlencode({"contact": "nobody@example.org"}))
    assert unknown.status_code == 200 and "If we have complaints from nobody@example.org" in unknown.body.decode()
    assert len([m for m in outbox(aws) if m["kind"] == "sign_in"]) == 1  # nothing sent, and the page says the same
    typo = client.http.post("/my/link", headers=FORM, body=urlencode({"contact": "li at example"}))
    assert typo.status_code == 400 and 'href="#contact"' in typo.body.decode()


def test_the_empty_form_names_every_missing_field_on_the_first_submit(client, aws):
    response = client.http.post("/complaints", headers={**FORM, "Accept-Language": "en"}, body=urlencode({}))
    shown = response.body.decode()
    assert response.status_code == 400
    summary = re.findall(r'<li><a href="#(\w+)">([^<]+)</a></li>', shown)
    assert [field for field, _ in summary] == ["name", "email", "subject", "description", "consent"]
    assert "Enter an e-mail address or a phone number so we can reply" in shown
    assert "Field required" not in shown and "body:" not in shown
    garbage = client.http.post("/complaints", headers=FORM, body=urlencode(
        {"name": "Ada", "email": "ada@example.com", "subject": "test", "description": "test", "consent": "on"}))
    assert garbage.status_code == 400 and "Describe the problem in a few words." in garbage.body.decode()
    assert outbox(aws) == []


def test_a_duplicates_page_names_the_complaint_it_joined_and_links_to_it(client, aws):
    body = {"name": "Ada", "email": "ada@example.com", "subject": "Parcel never arrived", "consent": True,
            "description": "My order 4411 was marked delivered on 3 Nov but nothing came."}
    first = submit(client, aws, body)
    second = submit(client, aws, body)
    shown = page(client, second["status_url"] + "&lang=en")
    assert f"We already have your complaint {first['reference']} about this" in shown
    linked = re.search(rf'href="([^"]+/complaints/{first["reference"]}\?token=[^"]+)"', shown).group(1)
    assert first["reference"] in page(client, linked.replace("&amp;", "&"))
    message = [m for m in outbox(aws) if m["reference"] == second["reference"]][0]
    assert f"We already have your complaint {first['reference']} about this" in message["text"]
    assert f"/complaints/{first['reference']}?token=" in message["text"]
