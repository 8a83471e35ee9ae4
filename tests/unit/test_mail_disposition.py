"""classify(): machine mail (auto-replies, bounces, feedback reports, our own mail) never becomes a complaint,
and a complaint about a failed delivery is not mistaken for a bounce."""
from __future__ import annotations

import random
import pytest

from chalicelib.mail import Kind, classify, parse_email
from chalicelib.mail.markers import OWN_MAILER_HEADER, body_marker, new_message_id, subject_tag
from tests.unit.test_mail_parse import mime_mail, raw_mail

REF = "CMP-20261122-7QF3K"
OUR_ID = f"<{REF}-{'5' * 32}@shop.example>"  # new_message_id's format, fixed so test ids match across workers


def judge(raw: bytes, verdicts=None):
    return classify(parse_email(raw), verdicts)


def report(report_type: str, machine: tuple[str, str], original: tuple[str, str] | None = None,
           sender: str = "Mail Delivery System <MAILER-DAEMON@mx.example.net>") -> bytes:
    """A multipart/report: a human-readable part, the machine-readable part, and the original message."""
    parts = [("text/plain", "This is an automatically generated report."), machine, *([original] if original else [])]
    body = "".join(f"--B42\r\nContent-Type: {kind}\r\n\r\n{payload}\r\n" for kind, payload in parts) + "--B42--\r\n"
    return raw_mail(body, headers={"From": sender, "Subject": "Report"},
                    content_type=f'multipart/report; report-type={report_type}; boundary="B42"')


def our_acknowledgement() -> tuple[str, str]:
    message = mime_mail("We received your complaint.",
                        headers={"Message-ID": OUR_ID, "From": "complaints@shop.example"})
    return "message/rfc822", message.as_string()


DSN_FIELDS = "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; ada@example.com\nAction: failed\n" \
             "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n"


# --- complaints and replies --------------------------------------------------------------------------------


def test_mail_from_a_person_is_a_complaint_that_may_be_acknowledged():
    disposition = judge(raw_mail("My parcel never arrived."))
    assert (disposition.kind, disposition.thread_reference, disposition.may_auto_reply) == (Kind.COMPLAINT, None, True)


def test_a_complaint_about_a_failed_delivery_is_not_a_bounce():
    raw = raw_mail("The courier says delivery failed and the parcel could not be delivered. Undeliverable?!",
                   headers={"Subject": "Delivery failed - undeliverable parcel"})
    assert judge(raw).kind == Kind.COMPLAINT


@pytest.mark.parametrize("headers, body", [
    ({"In-Reply-To": OUR_ID}, "Still waiting."),
    ({"References": f"<other@example.com> {OUR_ID}", "In-Reply-To": "<other@example.com>"}, "Still waiting."),
    ({"Subject": f"Re: Your complaint {subject_tag(REF)}"}, "Still waiting."),
    ({"Subject": "About cmp-20261122-7qf3k"}, "Typed by the customer, in lower case."),
    ({}, f"Still waiting.\n\nOn Mon, Shop wrote:\n> Thanks for your complaint.\n> {body_marker(REF)}\n"),
])
def test_a_message_naming_one_of_our_complaints_is_a_reply(headers, body):
    disposition = judge(raw_mail(body, headers=headers))
    assert (disposition.kind, disposition.thread_reference) == (Kind.REPLY, REF)


def test_a_reply_to_a_fresh_message_id_of_ours_is_threaded():
    assert judge(raw_mail("Thanks", headers={"In-Reply-To": new_message_id(REF, "shop.example")})).kind == Kind.REPLY


def test_a_foreign_message_id_or_an_invalid_reference_is_no_thread():
    raw = raw_mail("Hello", headers={"In-Reply-To": "<CMP-20261122-7QF3K@gmail.com>", "Subject": "CMP-20261122-7QF3I"})
    assert judge(raw).kind == Kind.COMPLAINT


# --- auto-replies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"},
    {"Auto-Submitted": "auto-generated (vacation)"},
    {"X-Autoreply": "yes"},
    {"X-Autorespond": "Out of office"},
    {"Precedence": "auto_reply"},
    {"X-Apple-Action": "VACATION"},
    {"Subject": "Automatic reply: Parcel missing", "X-Auto-Response-Suppress": "All"},
    {"Subject": "Out of Office: Parcel missing", "Return-Path": "<>"},
    {"Subject": "Abwesenheitsnotiz: Paket", "In-Reply-To": "<m0@example.com>"},
    {"Subject": "自动回复: 包裹", "Precedence": "bulk"},
])
def test_auto_replies_are_recognised(headers):
    disposition = judge(raw_mail("I am away until Monday.", headers=headers))
    assert disposition.kind == Kind.AUTO_REPLY and not disposition.may_auto_reply


@pytest.mark.parametrize("headers, may_auto_reply", [
    ({"Auto-Submitted": "no"}, True),
    ({"Subject": "Out of Office: my parcel"}, True),  # the subject is a secondary signal only
    ({"X-Auto-Response-Suppress": "All"}, False),  # Outlook sets it on ordinary mail too; we just stay quiet
    ({"Precedence": "bulk", "List-Id": "<shoppers.lists.example>", "List-Post": "<mailto:shoppers@lists.example>"},
     False),  # a discussion-list post (without List-Post it is bulk mail: test_bulk_mail.py)
    ({"Return-Path": "<>"}, False),
])
def test_weak_signals_alone_keep_a_complaint_but_stop_automatic_answers(headers, may_auto_reply):
    disposition = judge(raw_mail("My parcel never arrived.", headers=headers))
    assert (disposition.kind, disposition.may_auto_reply) == (Kind.COMPLAINT, may_auto_reply)


def test_our_own_mail_is_never_a_complaint():
    disposition = judge(raw_mail("We received your complaint.", headers={OWN_MAILER_HEADER: "1"}))
    assert (disposition.kind, disposition.reason) == (Kind.AUTO_REPLY, "own mail")


def test_a_read_receipt_is_an_auto_reply():
    raw = report("disposition-notification", ("message/disposition-notification",
                 "Reporting-UA: pc.example.com\nFinal-Recipient: rfc822;ada@example.com\nDisposition: "
                 "manual-action/MDN-sent-manually; displayed\n"), sender="Ada <ada@example.com>")
    assert judge(raw).kind == Kind.AUTO_REPLY


# --- bounces and feedback reports ------------------------------------------------------------------------------


def test_a_delivery_status_notification_names_the_bounced_message_and_its_complaint():
    disposition = judge(report("delivery-status", ("message/delivery-status", DSN_FIELDS), our_acknowledgement()))
    assert disposition.kind == Kind.BOUNCE
    assert (disposition.bounced_message_id, disposition.thread_reference) == (OUR_ID, REF)


def test_a_dsn_with_only_the_original_headers_is_a_bounce_too():
    headers = f"From: complaints@shop.example\nSubject: Your complaint\nMessage-ID: {OUR_ID}\n"
    disposition = judge(report("delivery-status", ("message/delivery-status", DSN_FIELDS),
                               ("text/rfc822-headers", headers)))
    assert (disposition.kind, disposition.bounced_message_id) == (Kind.BOUNCE, OUR_ID)


@pytest.mark.parametrize("headers, body", [
    ({"From": "MAILER-DAEMON@mx.example.net", "Subject": "failure notice"},
     f"I'm afraid I wasn't able to deliver your message.\n\n--- Below this line is a copy of the message.\n\n"
     f"From: complaints@shop.example\nMessage-ID: {OUR_ID}\n\nWe received your complaint."),
    ({"From": "Mail Delivery Subsystem <mailer@gw.example.net>", "Subject": "Returned mail"}, "User unknown"),
    ({"From": "postmaster@example.net", "Subject": "Undeliverable: Your complaint"}, "Delivery has failed."),
    ({"Return-Path": "<>", "Subject": "Delivery Status Notification (Failure)"}, "Could not deliver."),
    ({"From": "relay@example.net"}, DSN_FIELDS),  # RFC 3464 fields as plain text
    ({"From": "no-reply@sns.amazonaws.com"}, '{"notificationType":"Bounce","bounce":{"bounceType":"Permanent"}}'),
])
def test_bounces_without_a_proper_report_are_recognised(headers, body):
    disposition = judge(raw_mail(body, headers=headers))
    assert disposition.kind == Kind.BOUNCE
    if OUR_ID in body:
        assert (disposition.bounced_message_id, disposition.thread_reference) == (OUR_ID, REF)


@pytest.mark.parametrize("raw", [
    report("feedback-report", ("message/feedback-report", "Feedback-Type: abuse\nUser-Agent: Mail/1.0\n"
                                                           "Version: 1\n"), our_acknowledgement(),
           sender="Abuse Desk <fbl@isp.example>"),
    raw_mail("Complaint follows",
             headers={"From": "staff@hotmail.com", "Subject": "complaint about message from 192.0.2.7"}),
    raw_mail('{"notificationType":"Complaint","complaint":{}}', headers={"From": "no-reply@sns.amazonaws.com"}),
])
def test_feedback_reports_are_recognised(raw):
    assert judge(raw).kind == Kind.FEEDBACK_REPORT


# --- verdicts, empty and unreadable mail -----------------------------------------------------------------------


@pytest.mark.parametrize("verdicts, kind", [
    ({"spamVerdict": {"status": "FAIL"}, "virusVerdict": {"status": "PASS"}}, Kind.SPAM),
    ({"spamVerdict": {"status": "FAIL"}, "virusVerdict": {"status": "FAIL"}}, Kind.VIRUS),
    ({"spamVerdict": "FAIL"}, Kind.SPAM),
    ({"spamVerdict": {"status": "GRAY"}, "virusVerdict": {"status": "PROCESSING_FAILED"}}, Kind.COMPLAINT),
    (None, Kind.COMPLAINT),
])
def test_ses_verdicts_decide_first_when_given(verdicts, kind):
    assert judge(raw_mail("Buy now"), verdicts).kind == kind


def test_empty_mail_attachments_only_and_unreadable_input():
    assert judge(raw_mail("  \n")).kind == Kind.EMPTY
    with_file = mime_mail("")
    with_file.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="receipt.pdf")
    assert judge(with_file.as_bytes()).kind == Kind.COMPLAINT
    assert judge(b"").kind == Kind.UNPARSEABLE
    assert judge(random.Random(3).randbytes(2048)).kind == Kind.UNPARSEABLE


@pytest.mark.parametrize("headers", [
    {"From": "Fast Mail Delivery Ltd <claims@fastmail-delivery.example>", "Subject": "Returned mail"},
    {"Subject": "Complaint about message from your agent", "In-Reply-To": "<x@example.com>"},
    {"Subject": "Absence of any answer", "In-Reply-To": "<x@example.com>"},
])
def test_people_whose_words_look_like_machine_mail_still_complain(headers):
    assert judge(raw_mail("Your courier returned my parcel as undeliverable.", headers=headers)).kind == Kind.COMPLAINT
