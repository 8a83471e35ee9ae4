"""Outgoing headers: nothing a customer wrote can add a header, whatever it hides in a subject or a name."""
import email
from email import policy

import pytest

from chalicelib.adapters.notifiers import OutgoingMessage, raw_email
from chalicelib.domain.ports import DeliveryFailed
from chalicelib.mail.compose import compose, header_text

REF = "CMP-20261122-7QF3K"
HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "X-Complaints-Mailer", "Content-Type",
           "Content-Transfer-Encoding", "MIME-Version"]
HOSTILE = [
    "Refund =?utf-8?b?DQpCY2M6IGVAZXZpbA==?=",  # an encoded-word that decodes to CRLF + Bcc
    "Refund =?utf-8?q?a=0D=0ABcc:_e@evil?=",
    "=?utf-8?b?PT91dGYtOD9iP0RRcENZMk02SUdWQVpYWnBiQT09Pz0=?=",  # encoded twice
    "a\r\nBcc: x@evil", "a\rBcc: x@evil", "a\nBcc: x@evil", "a\u2028Bcc: x@evil", "a\u2029Bcc: x@evil",
    "a\x85Bcc: x@evil", "a\x0bBcc: x@evil", "a\x00\x1bBcc: x@evil", "\ud800 lone surrogate",
]


def parsed(subject: str, name: str = "Care") -> email.message.EmailMessage:
    raw = compose(reference=REF, sender="care@example.com", sender_name=name, recipient="ada@example.com",
                  subject=subject, text="We are on it.", message_id="<m1@example.com>")
    return email.message_from_bytes(raw, policy=policy.default)


@pytest.mark.parametrize("subject", HOSTILE)
def test_a_hostile_subject_stays_one_header(subject):
    mail = parsed(subject)
    assert mail.keys() == HEADERS
    assert "\r" not in mail["Subject"] and "\n" not in mail["Subject"] and "=?" not in mail["Subject"]
    assert mail["Subject"].endswith(f"[{REF}]")


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_display_name_stays_one_header(name):
    assert parsed("Parcel", name=name).keys() == HEADERS


def test_ordinary_text_is_kept_as_written():
    assert header_text("退款 =?utf-8?b?6YCA5qy+?=") == "退款 退款"
    assert header_text("Re: Parcel  never\tarrived") == "Re: Parcel never arrived"
    assert parsed("Re: 包裹没有到").get("Subject") == f"Re: 包裹没有到 [{REF}]"


@pytest.mark.parametrize("recipient", ["a@b.com\r\nBcc: e@evil", "a@b.com, e@evil.com", "=?utf-8?b?YUBiLmNvbQ==?="])
def test_a_recipient_that_is_not_one_mailbox_is_a_permanent_failure(recipient):
    message = OutgoingMessage(REF, "respond", "email", recipient, "Re: x", "text", 3, "<m@x>")
    with pytest.raises(DeliveryFailed) as failed:
        raw_email(message, "care@example.com")
    assert failed.value.permanent
