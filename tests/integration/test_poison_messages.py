"""Every intake message ends in exactly one stored outcome (moto, the real intake worker): content is never a reason
to retry, so none of these may fail a record (which would send it to the DLQ after five tries)."""
from __future__ import annotations

import dataclasses
import json

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError

from chalicelib.adapters.intake_codec import MAX_BODY_BYTES, encode
from chalicelib.domain.model import Attachment, Channel, Sender
from tests.fakes import make_message
from tests.integration.conftest import drain_intake
from tests.integration.test_sms_channel import TOKEN, post_twilio, twilio_sms, twilio_token  # noqa: F401

PHONE = "+14155550100"


def services():
    from chalicelib.wiring import services as wired

    return wired


def run(client, aws, *messages) -> list:
    """Puts the messages on the intake queue and runs the worker; returns the failed records (must be none)."""
    for message in messages:
        services().intake_queue.send(message)
    responses = drain_intake(client, aws["queue_url"])
    return [f for r in responses for f in r["batchItemFailures"]]


def history(reference):
    return services().repository.history(reference)


def test_an_mms_with_only_a_photo_is_appended_to_the_open_complaint(client, aws, twilio_token):  # noqa: F811
    assert post_twilio(client, twilio_sms("My parcel 4411 never came, the tracking is wrong", "SM1")).status_code == 200
    drain_intake(client, aws["queue_url"])
    mms = {**twilio_sms("", "SM2"), "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME1.jpg",
           "MediaContentType0": "image/jpeg"}
    assert post_twilio(client, mms).status_code == 200
    failures = [f for r in drain_intake(client, aws["queue_url"]) for f in r["batchItemFailures"]]
    assert failures == []
    (complaint,) = services().repository.for_customer(None, PHONE)
    appended = [e for e in history(complaint.reference) if e.type == "customer_message"]
    assert len(appended) == 1 and appended[0].data["attachments"][0]["content_type"] == "image/jpeg"


def test_an_email_reply_that_is_only_an_attachment_is_appended(client, aws):
    original = services().pipeline.process(make_message()).reference
    reply = dataclasses.replace(
        make_message("", subject="Re: Parcel never arrived", channel=Channel.EMAIL), thread_reference=original,
        attachments=(Attachment("label.pdf", "application/pdf", 1234, "attachments/x/label.pdf"),))
    assert run(client, aws, reply) == []
    (appended,) = [e for e in history(original) if e.type == "customer_message"]
    assert appended.data["attachments"][0]["filename"] == "label.pdf"


def test_an_empty_second_complaint_from_a_customer_with_an_open_one_is_stored(client, aws):
    first = services().pipeline.process(make_message("Parcel never arrived")).reference  # short: subject compared
    empty = make_message("", subject="Parcel never arrived")
    assert run(client, aws, empty) == []
    stored = services().repository.for_customer("ada@example.com", None)
    assert len(stored) == 2 and first in [c.reference for c in stored]
    second = next(c for c in stored if c.reference != first)
    assert [e.type for e in history(second.reference)].count("received") == 1


def test_a_message_too_large_for_the_queue_is_cut_and_says_what_was_cut(client, aws):
    huge = dataclasses.replace(
        make_message(channel=Channel.EMAIL),
        references=tuple(f"<m{i}@example.com>" for i in range(200_000)),
        attachments=tuple(Attachment(f"f{i}.txt", "text/plain", 10, None) for i in range(10_000)),
    )
    body = encode(huge)
    assert len(body.encode()) <= MAX_BODY_BYTES
    cut = json.loads(body)["details"]["truncated"]
    assert cut["references"] == 200_000 - 20 and cut["attachments"] == 10_000 - 100
    assert run(client, aws, huge) == []
    (complaint,) = services().repository.for_customer("ada@example.com", None)
    assert history(complaint.reference)[0].data["details"]["truncated"] == cut


@pytest.mark.parametrize("poison", [
    {"text": "refund \ud800 now \x00\x07\x1b please, my parcel 4411 never arrived"},
    {"subject": "Parcel \udfff never\x0b arrived"},
    {"sender": Sender(name="Ada\x00 \ud83d", email="ada@example.com")},
    {"sender": Sender(name="Ada", email="ada\r\n@exam ple.com", phone=PHONE)},
])
def test_lone_surrogates_and_control_characters_are_cleaned_and_stored(client, aws, poison):
    message = dataclasses.replace(make_message(), **poison)
    assert run(client, aws, message) == []
    stored = services().repository.reference_for_message(message.dedup_key)
    complaint = services().repository.get(stored)
    for text in (complaint.subject, complaint.description, complaint.sender.name or ""):
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text) and "\x00" not in text
    assert complaint.sender.email in ("ada@example.com", None)


def test_a_content_error_anywhere_becomes_an_invalid_record_and_an_outage_is_retried(client, aws, monkeypatch):
    triage = services().pipeline.triage

    def broken(*args, **kwargs):
        raise ValueError("a classifier bug this message triggers")

    monkeypatch.setattr(triage, "assess", broken)
    message = make_message()
    assert run(client, aws, message) == []
    complaint = services().repository.get(services().repository.reference_for_message(message.dedup_key))
    assert complaint.status.value == "invalid" and "unprocessable: ValueError" in complaint.screening_reason
    (ack,) = [json.loads(line) for line in aws["outbox"].read_text().splitlines()
              if json.loads(line)["reference"] == complaint.reference]
    assert "could not process it automatically" in ack["text"] and "ValueError" not in ack["text"]
    assert run(client, aws, message) == []  # a re-delivery finds the stored outcome

    def throttled(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"},
                           "ResponseMetadata": {"HTTPStatusCode": 400}}, "TransactWriteItems")

    monkeypatch.setattr(triage, "assess", throttled)
    outage = make_message()
    event = client.events.generate_sqs_event(message_bodies=[encode(outage)], queue_name="test-intake")
    with pytest.raises(BatchProcessingError):  # the whole batch failed: Lambda retries it
        client.lambda_.invoke("intake_worker", event)
    assert services().repository.reference_for_message(outage.dedup_key) is None  # never stored as invalid
