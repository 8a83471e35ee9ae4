"""The e-mail channel in one process: SES notification (raw mail in S3) -> gateway Lambda -> intake queue -> worker
-> DynamoDB, the acknowledgement in its thread, and the customer's reply threaded back. Real SES payloads come from
../shared/data/events (skipped when absent)."""
import base64
import json
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import boto3
import pytest

from chalicelib.adapters.dynamo_tables import InboundMailModel
from tests.conftest import SHARED_DATA
from tests.integration.conftest import drain_intake, post_json, staff_headers

EVENTS = SHARED_DATA / "events" / "awsdocs"


def event_sample(name):
    path = EVENTS / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return json.loads(path.read_text())


def store_mail(aws, key, raw: bytes):
    boto3.client("s3").put_object(Bucket=aws["bucket"], Key=key, Body=raw)


def s3_notification(aws, key, ses_id, spam="PASS"):
    return {"notificationType": "Received",
            "mail": {"messageId": ses_id, "timestamp": "2026-11-22T10:00:00.000Z", "source": "ada@example.com"},
            "receipt": {"timestamp": "2026-11-22T10:00:00.000Z", "recipients": ["complaints@example.com"],
                        "spamVerdict": {"status": spam}, "virusVerdict": {"status": "PASS"},
                        "spfVerdict": {"status": "PASS"}, "dkimVerdict": {"status": "PASS"},
                        "dmarcVerdict": {"status": "PASS"},
                        "action": {"type": "S3", "bucketName": aws["bucket"], "objectKey": key,
                                   "topicArn": "arn:aws:sns:us-east-1:123456789012:email-inbound"}}}


def publish(client, message: dict, sns_message_id="11111111-2222-3333-4444-555555555555"):
    event = client.events.generate_sns_event(message=json.dumps(message))
    event["Records"][0]["Sns"]["MessageId"] = sns_message_id
    return client.lambda_.invoke("email_inbound", event)


def complaint_mail(body="The heater I bought on 2 Nov stopped heating. I want a replacement.",
                   subject="Broken heater", message_id="<c1@mail.example.org>", **headers) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"] = "Ada Lovelace <ada@example.org>", "complaints@example.com"
    mail["Subject"], mail["Message-ID"] = subject, message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes()


def log_entry(ses_id):
    return InboundMailModel.get(ses_id)


def outbox(aws):
    return [json.loads(line) for line in aws["outbox"].read_text().splitlines()] if aws["outbox"].exists() else []


def mail_complaints(email):
    from chalicelib.wiring import services

    return services.repository.for_customer(email, None)


def history(reference):
    from chalicelib.wiring import services

    return services.repository.history(reference)


def test_mail_in_s3_becomes_a_complaint_acknowledged_in_its_thread(client, aws):
    store_mail(aws, "inbound/ses-1", complaint_mail())
    publish(client, s3_notification(aws, "inbound/ses-1", "ses-1"))
    drain_intake(client, aws["queue_url"])

    (complaint,) = mail_complaints("ada@example.org")
    assert (complaint.channel.value, complaint.subject, complaint.sender.name) == ("email", "Broken heater", "Ada Lovelace")
    received = history(complaint.reference)[0]
    assert received.data["details"]["verdicts"]["dmarc"] == "PASS"
    assert log_entry("ses-1").outcome == "queued"

    (ack,) = outbox(aws)
    mime = BytesParser(policy=policy.default).parsebytes(ack["raw"].encode())
    assert mime["In-Reply-To"] == "<c1@mail.example.org>" and f"[{complaint.reference}]" in mime["Subject"]


def test_threading_round_trip_the_customers_reply_is_appended_without_the_quote(client, aws):
    store_mail(aws, "inbound/ses-1", complaint_mail())
    publish(client, s3_notification(aws, "inbound/ses-1", "ses-1"))
    drain_intake(client, aws["queue_url"])
    (complaint,) = mail_complaints("ada@example.org")
    response = post_json(client, f"/staff/complaints/{complaint.reference}/responses",
                         {"message": "Sorry! Could you send the order number?"}, staff_headers())
    assert response.status_code == 200, response.body
    reply_to_us = BytesParser(policy=policy.default).parsebytes(outbox(aws)[-1]["raw"].encode())

    answer = EmailMessage()
    answer["From"], answer["To"] = "Ada Lovelace <ada@example.org>", "complaints@example.com"
    answer["Subject"] = "Re: Broken heater"  # this client dropped our subject tag
    answer["Message-ID"], answer["In-Reply-To"] = "<c2@mail.example.org>", reply_to_us["Message-ID"]
    answer["References"] = f"{reply_to_us['References']} {reply_to_us['Message-ID']}"
    quoted = "\n".join(f"> {line}" for line in reply_to_us.get_content().splitlines())
    answer.set_content(f"The order number is 55012.\n\nOn Mon, 23 Nov 2026 at 10:00, Customer Care wrote:\n{quoted}\n")
    store_mail(aws, "inbound/ses-2", answer.as_bytes())
    publish(client, s3_notification(aws, "inbound/ses-2", "ses-2"))
    drain_intake(client, aws["queue_url"])

    assert len(mail_complaints("ada@example.org")) == 1
    events = history(complaint.reference)
    assert [e.type for e in events if e.type in ("respond", "customer_message")] == ["respond", "customer_message"]
    appended = events[-1]
    assert appended.type == "customer_message" and appended.message == "The order number is 55012."
    assert log_entry("ses-2").reference == complaint.reference


def test_a_duplicate_sns_delivery_stores_the_mail_once(client, aws):
    store_mail(aws, "inbound/ses-1", complaint_mail())
    for _ in range(2):
        publish(client, s3_notification(aws, "inbound/ses-1", "ses-1"))
        drain_intake(client, aws["queue_url"])
    assert len(mail_complaints("ada@example.org")) == 1
    assert len(outbox(aws)) == 1


def test_a_missing_s3_object_leaves_a_rejection_record(client, aws):
    publish(client, s3_notification(aws, "inbound/never-written", "ses-missing"))
    entry = log_entry("ses-missing")
    assert (entry.outcome, entry.disposition) == ("rejected", "missing")
    assert "inbound/never-written" in entry.reason
    assert drain_intake(client, aws["queue_url"]) == []


def test_a_10_mb_attachment_is_described_not_stored_and_the_complaint_is_kept(client, aws):
    mail = EmailMessage()
    mail["From"], mail["Subject"], mail["Message-ID"] = "ada@example.org", "Video of the fault", "<big@x>"
    mail.set_content("The video shows the heater sparking.")
    mail.add_attachment(b"\x00" * (10 * 1024 * 1024), maintype="video", subtype="mp4", filename="fault.mp4")
    mail.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf")
    store_mail(aws, "inbound/ses-big", mail.as_bytes())
    publish(client, s3_notification(aws, "inbound/ses-big", "ses-big"))
    drain_intake(client, aws["queue_url"])

    (complaint,) = mail_complaints("ada@example.org")
    by_name = {a.filename: a for a in complaint.attachments}
    assert by_name["fault.mp4"].size == 10 * 1024 * 1024 and by_name["fault.mp4"].location is None
    assert by_name["receipt.pdf"].location == "s3://test-mail/attachments/ses-big/receipt.pdf"
    stored = boto3.client("s3").get_object(Bucket="test-mail", Key="attachments/ses-big/receipt.pdf")
    assert stored["Body"].read() == b"%PDF-1.4 receipt"


def test_truncated_mime_is_kept_as_what_could_be_read(client, aws):
    raw = complaint_mail(body="My order 7781 arrived broken, the glass is shattered.")
    mail = EmailMessage()
    mail["From"], mail["Subject"], mail["Message-ID"] = "ada@example.org", "Broken glass", "<cut@x>"
    mail.set_content("My order 7781 arrived broken, the glass is shattered.")
    mail.add_attachment(b"photo" * 2000, maintype="image", subtype="jpeg", filename="photo.jpg")
    raw = mail.as_bytes()
    store_mail(aws, "inbound/ses-cut", raw[: len(raw) // 2])  # cut in the middle of the attachment
    publish(client, s3_notification(aws, "inbound/ses-cut", "ses-cut"))
    drain_intake(client, aws["queue_url"])
    (complaint,) = mail_complaints("ada@example.org")
    assert "glass is shattered" in complaint.description
    assert log_entry("ses-cut").outcome == "queued"


def test_spam_verdict_fail_is_quarantined(client, aws):
    store_mail(aws, "inbound/ses-spam", complaint_mail())
    publish(client, s3_notification(aws, "inbound/ses-spam", "ses-spam", spam="FAIL"))
    assert log_entry("ses-spam").outcome == "quarantined"
    assert drain_intake(client, aws["queue_url"]) == []


def test_the_real_ses_test_mail_with_inline_content_is_logged_as_bulk(client, aws):
    """The SES guide's sample event carries its "Amazon SES Test" mail: SES's own, not a customer's."""
    event = event_sample("ses-sns-lambda-event.ASSEMBLED.json")
    client.lambda_.invoke("email_inbound", event)
    assert drain_intake(client, aws["queue_url"]) == []
    note = json.loads(event["Records"][0]["Sns"]["Message"])
    entry = log_entry(note["mail"]["messageId"])
    assert (entry.outcome, entry.disposition) == ("ignored", "bulk") and "Amazon SES" in entry.reason
    raw = base64.b64decode(note["content"])
    assert entry.message_id and entry.message_id in raw.decode("utf-8", "replace")


@pytest.mark.parametrize("name", [f"ses-notification-examples__{n}.json" for n in range(1, 6)])
def test_real_ses_feedback_about_unknown_mail_is_ignored(client, aws, name):
    publish(client, event_sample(name))
    assert drain_intake(client, aws["queue_url"]) == []


@pytest.mark.parametrize("name", ["ses-receiving-email-action-lambda-event__1.json"])
def test_real_lambda_action_events_without_content_leave_a_rejection_record(client, aws, name):
    """Our receipt rule notifies through SNS; a Lambda-action record has the same mail and receipt, and the
    gateway function reads it too (Chalice's SNS wrapper would not, so it is called directly)."""
    from chalicelib.workers.email_inbound import handle_email_notifications

    event = event_sample(name)
    handle_email_notifications(event, None)
    entry = log_entry(event["Records"][0]["ses"]["mail"]["messageId"])
    assert (entry.outcome, entry.disposition) == ("rejected", "missing")


@pytest.mark.parametrize("name, outcome", [
    ("ses-receiving-email-notifications-examples__1.json", "queued"),  # carries its content (an SNS action)
    ("ses-receiving-email-notifications-examples__2.json", "rejected"),  # points to an S3 object we do not have
    ("ses-receiving-email-action-lambda-event__2.json", "ignored"),  # carries the "Amazon SES Test" mail: bulk
])
def test_real_receipt_notifications_go_through_the_handler(client, aws, name, outcome):
    message = event_sample(name)
    publish(client, message)
    assert log_entry(message["mail"]["messageId"]).outcome == outcome
