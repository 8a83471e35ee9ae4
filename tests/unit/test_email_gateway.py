"""The e-mail gateway on fakes: what each SES notification becomes, threading order, bounces, attachments."""
import base64
from datetime import timedelta
from email.message import EmailMessage

import pytest

from chalicelib.domain.deliveries import DeliveryRecorder, email_key
from chalicelib.domain.email_intake import MAX_STORED_ATTACHMENTS, EmailIntake
from chalicelib.domain.model import Channel
from chalicelib.mail.ses import read_notification
from tests.fakes import T0, FixedClock, InMemoryComplaintRepository, RecordingQueue, make_complaint, RecordingAlerts

BUCKET, OURS = "mail-bucket", "<CMP-20261122-7QF3K-0123456789abcdef0123456789abcdef@example.com>"


class FakeMailStore:
    def __init__(self):
        self.objects: dict[tuple[str, str], bytes] = {}
        self.attachments: dict[str, bytes] = {}

    def raw(self, bucket, key):
        return self.objects.get((bucket, key))

    def put_attachment(self, key, data, content_type):
        self.attachments[key] = data
        return f"s3://{BUCKET}/{key}"


class FakeMailLog:
    def __init__(self):
        self.entries = []

    def record(self, entry):
        self.entries.append(entry)


@pytest.fixture
def world():
    repo, queue, store, log, alerts = (InMemoryComplaintRepository(), RecordingQueue(), FakeMailStore(),
                                       FakeMailLog(), RecordingAlerts())
    clock = FixedClock(T0 + timedelta(hours=1))
    intake = EmailIntake(queue, repo, DeliveryRecorder(repo, clock, alerts), store, log, attachment_limit=1024)

    class World:
        pass

    w = World()
    w.repo, w.queue, w.store, w.log, w.alerts, w.intake = repo, queue, store, log, alerts, intake
    return w


def mail(body="My heater stopped working after two days.", subject="Broken heater", sender="ada@example.com",
         message_id="<m1@mail.example.com>", **headers) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = f"Ada <{sender}>", "complaints@example.com", subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def notification(raw: bytes | None = None, *, key="inbound/abc", ses_id="ses-1", inline=False, spam="PASS",
                 virus="PASS"):
    receipt = {"timestamp": "2026-11-22T10:00:00.000Z", "recipients": ["complaints@example.com"],
               "spamVerdict": {"status": spam}, "virusVerdict": {"status": virus},
               "spfVerdict": {"status": "PASS"}, "dkimVerdict": {"status": "PASS"}, "dmarcVerdict": {"status": "GRAY"},
               "action": {"type": "S3", "bucketName": BUCKET, "objectKey": key}}
    message = {"notificationType": "Received", "mail": {"messageId": ses_id, "timestamp": "2026-11-22T10:00:00Z"},
               "receipt": receipt}
    if inline:
        receipt["action"] = {"type": "SNS", "encoding": "BASE64"}
        message["content"] = base64.b64encode(raw).decode()
    return read_notification(message)


def receive(world, raw, **options):
    key = options.pop("key", "inbound/abc")
    if raw is not None:
        world.store.objects[(BUCKET, key)] = raw
    return world.intake.receive(notification(raw, key=key, **options))


def test_mail_from_a_person_goes_onto_the_queue_with_its_verdicts_and_a_log_entry(world):
    outcome = receive(world, mail())

    assert (outcome.outcome, outcome.disposition) == ("queued", "complaint")
    (message,) = world.queue.sent
    assert (message.channel, message.channel_message_id, message.sender.email, message.subject) == (
        Channel.EMAIL, "<m1@mail.example.com>", "ada@example.com", "Broken heater")
    assert message.text == "My heater stopped working after two days."
    assert message.details["verdicts"] == {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS",
                                           "dmarc": "GRAY"}
    assert message.details["object_key"] == "inbound/abc"
    (entry,) = world.log.entries
    assert (entry.outcome, entry.sender, entry.message_id) == ("queued", "ada@example.com", "<m1@mail.example.com>")


def test_inline_content_of_an_sns_action_is_read_without_s3(world):
    outcome = world.intake.receive(notification(mail(), inline=True))
    assert outcome.outcome == "queued" and world.queue.sent[0].sender.email == "ada@example.com"


def test_a_missing_s3_object_is_an_explicit_rejection_and_nothing_is_queued(world):
    outcome = receive(world, None, key="inbound/gone")
    assert (outcome.outcome, outcome.disposition) == ("rejected", "missing")
    assert world.queue.sent == []
    assert "s3://mail-bucket/inbound/gone" in world.log.entries[0].reason


@pytest.mark.parametrize("verdicts, kind", [({"spam": "FAIL"}, "spam"), ({"virus": "FAIL"}, "virus")])
def test_an_ses_spam_or_virus_fail_is_quarantined(world, verdicts, kind):
    outcome = receive(world, mail(), **verdicts)
    assert (outcome.outcome, outcome.disposition) == ("quarantined", kind)
    assert world.queue.sent == [] and world.log.entries[0].outcome == "quarantined"


def test_an_auto_reply_is_logged_and_never_queued(world):
    outcome = receive(world, mail("I am out of the office until Monday.", subject="Out of office",
                                  Auto_Submitted="auto-replied"))
    assert (outcome.outcome, outcome.disposition) == ("ignored", "auto_reply")
    assert world.queue.sent == [] and len(world.log.entries) == 1


def test_in_reply_to_our_message_id_threads_the_mail_through_the_index(world):
    world.repo.create(make_complaint("CMP-20261122-AAAAA"), [], "web#1")
    world.repo.remember_message(email_key("<ses-sent-1@email.amazonses.com>"), "CMP-20261122-AAAAA", T0)
    receive(world, mail("Still broken.", subject="Re: something", In_Reply_To="<ses-sent-1@email.amazonses.com>"))
    assert world.queue.sent[0].thread_reference == "CMP-20261122-AAAAA"
    assert world.log.entries[0].disposition == "reply"


def test_references_are_read_newest_first(world):
    world.repo.remember_message(email_key("<old@x>"), "CMP-20261122-AAAAA", T0)
    world.repo.remember_message(email_key("<new@x>"), "CMP-20261122-BBBBB", T0)
    receive(world, mail("More.", References="<old@x> <unknown@x> <new@x>"))
    assert world.queue.sent[0].thread_reference == "CMP-20261122-BBBBB"
    assert world.queue.sent[0].references == ("<old@x>", "<unknown@x>", "<new@x>")


def test_without_known_message_ids_the_subject_then_the_body_marker_decide(world):
    receive(world, mail("Any news?", subject="Re: [CMP-20261122-CCCCC] heater", References="<unknown@x>"))
    receive(world, mail("> [ref:CMP-20261122-DDDDD]\nAny news?", subject="heater", message_id="<m2@x>"),
            key="inbound/2")
    assert [m.thread_reference for m in world.queue.sent] == ["CMP-20261122-CCCCC", "CMP-20261122-DDDDD"]


def test_a_bounce_of_our_reply_is_a_delivery_failure_on_its_complaint_and_alerts_once(world):
    world.repo.create(make_complaint("CMP-20261122-7QF3K"), [], "web#1")
    bounce = EmailMessage()
    bounce["From"], bounce["To"] = "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>", "complaints@example.com"
    bounce["Subject"], bounce["Message-ID"] = "Undelivered Mail Returned to Sender", "<b1@mx>"
    bounce.set_content(f"This is the mail system.\nYour message could not be delivered.\n\n"
                       f"Message-ID: {OURS}\nSubject: Re: heater\n")
    for attempt in range(2):  # SNS delivers twice
        outcome = receive(world, bounce.as_bytes())

    assert (outcome.outcome, outcome.reference) == ("delivery_failure", "CMP-20261122-7QF3K")
    failures = [e for e in world.repo.history("CMP-20261122-7QF3K") if e.type == "delivery_failed"]
    assert len(failures) == 1 and "bounced" in failures[0].message
    assert [a.type for a in world.alerts.published] == ["delivery_failed"]
    assert world.queue.sent == []


def test_ses_bounce_feedback_is_recorded_on_the_complaint_of_our_sent_mail(world):
    world.repo.create(make_complaint("CMP-20261122-7QF3K"), [], "web#1")
    world.repo.remember_message(email_key("<0100abc@email.amazonses.com>"), "CMP-20261122-7QF3K", T0)
    note = read_notification({"notificationType": "Bounce", "mail": {"messageId": "0100abc", "timestamp": "2026-11-22T10:00:00Z"},
                              "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                                         "bouncedRecipients": [{"emailAddress": "ada@example.com",
                                                                "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}})
    assert world.intake.receive(note).outcome == "delivery_failure"
    assert world.intake.receive(note).outcome == "delivery_failure"  # a re-delivery records nothing new
    failures = [e for e in world.repo.history("CMP-20261122-7QF3K") if e.type == "delivery_failed"]
    assert len(failures) == 1 and "550 5.1.1" in failures[0].message


def test_attachments_up_to_the_limit_are_stored_and_larger_ones_only_described(world):
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "ada@example.com", "Photos", "<att@x>"
    message.set_content("Photos of the damage attached.")
    message.add_attachment(b"x" * 100, maintype="image", subtype="jpeg", filename="small.jpg")
    message.add_attachment(b"y" * 5000, maintype="application", subtype="pdf", filename="big.pdf")
    receive(world, message.as_bytes(), ses_id="ses-att")

    small, big = world.queue.sent[0].attachments
    assert (small.filename, small.location) == ("small.jpg", "s3://mail-bucket/attachments/ses-att/small.jpg")
    assert (big.filename, big.size, big.location) == ("big.pdf", 5000, None)
    assert world.store.attachments == {"attachments/ses-att/small.jpg": b"x" * 100}


def test_past_fifty_attachments_are_listed_but_not_stored(world):
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "ada@example.com", "Scans", "<many@x>"
    message.set_content("Every page of the contract.")
    for page in range(MAX_STORED_ATTACHMENTS + 3):
        message.add_attachment(b"%d" % page, maintype="image", subtype="png", filename=f"page{page}.png")
    receive(world, message.as_bytes(), ses_id="ses-many")

    attachments = world.queue.sent[0].attachments
    assert len(attachments) == MAX_STORED_ATTACHMENTS + 3
    assert [a.location is not None for a in attachments] == [True] * MAX_STORED_ATTACHMENTS + [False] * 3
    assert len(world.store.attachments) == MAX_STORED_ATTACHMENTS


def test_mail_that_asks_for_no_automatic_reply_is_marked_so(world):
    receive(world, mail(X_Auto_Response_Suppress="All"))
    receive(world, mail(message_id="<m3@x>"), key="inbound/3")
    assert [m.details["may_auto_reply"] for m in world.queue.sent] == [False, True]
