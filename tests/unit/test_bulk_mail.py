"""Bulk mail (SES's own mail, newsletters, announcement lists, campaigns) goes to the mail log, never to the intake
queue; a person's mail relayed by a discussion list or group still becomes a complaint or a reply."""
from __future__ import annotations

import dataclasses

import pytest

from chalicelib.mail import Kind, classify, parse_email
from chalicelib.mail.markers import subject_tag
from tests.unit.test_email_gateway import mail, receive, world  # noqa: F401 (world is a fixture)
from tests.unit.test_mail_parse import mime_mail

REF = "CMP-20261122-7QF3K"
CUSTOMER = "Ada Lovelace <ada@example.com>"
# What a Google Group that is our support address adds when it relays a customer's mail (From rewritten for DMARC).
GOOGLE_GROUP = {
    "From": "'Ada Lovelace' via Support <support@shop.example>", "Reply-To": CUSTOMER, "X-Original-From": CUSTOMER,
    "Sender": "support@shop.example", "Precedence": "list", "Mailing-list": "list support@shop.example",
    "List-Id": "<support.shop.example>", "List-Post": "<https://groups.google.com/a/shop.example/group/support/post>, "
                                                   "<mailto:support@shop.example>",
    "List-Help": "<mailto:support+help@shop.example>",
    "List-Unsubscribe": "<mailto:googlegroups-manage+1+unsubscribe@googlegroups.com>",
}
NEWSLETTER = {"From": "Shop Deals <deals@news.shop.example>", "Precedence": "bulk",
              "List-Unsubscribe": "<https://news.shop.example/u/1>, <mailto:unsubscribe@news.shop.example>",
              "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def judge(headers: dict[str, str], text: str = "My parcel never arrived.", subject: str = "Parcel missing"):
    return classify(parse_email(mime_mail(text, subject=subject, headers=headers).as_bytes()))


@pytest.mark.parametrize("headers, why", [
    (NEWSLETTER, "no List-Post"),
    ({"From": "Shop <noreply@shop.example>", "List-Id": "<offers.shop.example>", "Precedence": "list"}, "no-reply"),
    ({"From": "Shop <do-not-reply@shop.example>", "Precedence": "bulk"}, "no-reply"),
    ({"From": "news@shop.example", "List-Id": "<news.shop.example>", "List-Post": "<mailto:news@shop.example>"},
     "no-reply"),
    ({"From": "Shop <offers@shop.example>", "List-Id": "<offers.shop.example>", "List-Post": "NO (posting not allowed)"},
     "no List-Post"),
])
def test_newsletters_and_list_mail_that_nobody_wrote_to_us_are_bulk(headers, why):
    disposition = judge(headers, "Our summer sale starts today!", "Summer sale")
    assert disposition.kind == Kind.BULK and not disposition.may_auto_reply
    assert why in disposition.reason


@pytest.mark.parametrize("sender, subject", [
    ("sender@example.com", "Amazon SES Test"),  # the SES guide's sample, from the account's own verified address
    ("ops@shop.example", "Amazon SES Test (SDK for Python)"),
    ("ops@shop.example", "Amazon SES Setup Notification"),
    ("no-reply-aws@amazon.com", "Amazon Web Services - Email Address Verification Request in region EU (Ireland)"),
    ("no-reply@sns.amazonaws.com", "AWS Notification - Subscription Confirmation"),
    ("notifications@us-east-1.amazonses.com", "Your receipt rule"),
])
def test_ses_and_aws_mail_is_bulk(sender, subject):
    disposition = judge({"From": sender, "Feedback-ID": "1.us-east-1.abc=:AmazonSES"},
                        "This email was sent with Amazon SES.", subject)
    assert disposition.kind == Kind.BULK and ("SES" in disposition.reason or "AWS" in disposition.reason)


@pytest.mark.parametrize("headers, subject", [
    ({}, "Parcel missing"),  # plain mail
    (GOOGLE_GROUP, "Parcel missing"),  # a customer's mail relayed by the Google Group that is our address
    ({"Precedence": "bulk", "List-Id": "<shoppers.lists.example>", "List-Post": "<mailto:shoppers@lists.example>",
      "List-Unsubscribe": "<mailto:shoppers-request@lists.example?subject=unsubscribe>"}, "Parcel missing"),  # Mailman
    ({"Precedence": "bulk", "Sender": "owner-shoppers@lists.example"}, "Re: Parcel missing"),  # majordomo
    ({"Feedback-ID": "1.eu-west-1.abc=:AmazonSES"}, "Parcel missing"),  # sent through SES, e.g. by Amazon WorkMail
    ({}, "Amazon SES test failed on your checkout"),  # a customer's words
    ({"From": "Jeff <jeff@amazon.com>"}, "Parcel missing"),  # a person at Amazon
])
def test_a_persons_mail_is_still_a_complaint(headers, subject):
    assert judge({"From": CUSTOMER, **headers}, subject=subject).kind == Kind.COMPLAINT


@pytest.mark.parametrize("headers", [GOOGLE_GROUP, {**NEWSLETTER, "From": CUSTOMER}])
def test_a_persons_mail_naming_our_complaint_through_a_list_is_a_reply(headers):
    disposition = judge(headers, "Still waiting.", f"Re: Your complaint {subject_tag(REF)}")
    assert (disposition.kind, disposition.thread_reference) == (Kind.REPLY, REF)


def test_a_no_reply_mail_naming_our_complaint_is_still_bulk():
    headers = {"From": "noreply@shop.example", "List-Id": "<offers.shop.example>"}
    disposition = judge(headers, "Deals for you", f"Your complaint {subject_tag(REF)}")
    assert (disposition.kind, disposition.thread_reference) == (Kind.BULK, REF)


@pytest.mark.parametrize("header", ["X-Campaign", "X-MC-User", "X-SG-EID", "X-Mailgun-Sid", "X-CSA-Complaints"])
def test_a_campaign_relayed_by_a_group_is_bulk_by_its_mailing_service_header(header):
    """A newsletter sent to our Google Group arrives with the group's list headers, From rewritten: only the
    mailing service's header tells it from a customer's mail. Rule level: the parser must keep the header."""
    parsed = parse_email(mime_mail("Our summer sale starts today!", headers=GOOGLE_GROUP).as_bytes())
    parsed = dataclasses.replace(parsed, loop_headers={**parsed.loop_headers,
                                                       header.lower().replace("-", "_"): "x1"})
    disposition = classify(parsed)
    assert disposition.kind == Kind.BULK and header.lower() in disposition.reason.lower()


def test_a_campaign_relayed_by_a_group_is_bulk_end_to_end():
    assert judge({**GOOGLE_GROUP, "X-SG-EID": "abc"}, "Our summer sale starts today!").kind == Kind.BULK


def test_bulk_mail_is_logged_with_its_reason_and_never_queued(world):
    outcome = receive(world, mail("Our summer sale starts today!", subject="Summer sale", sender="noreply@shop.example",
                                  List_Id="<offers.shop.example>", Precedence="bulk"))
    assert (outcome.outcome, outcome.disposition) == ("ignored", "bulk")
    (entry,) = world.log.entries
    assert world.queue.sent == [] and (entry.disposition, entry.outcome) == ("bulk", "ignored")
    assert "no-reply sender noreply@shop.example" in entry.reason


def test_the_ses_test_mail_is_logged_not_queued(world):
    outcome = receive(world, mail("This email was sent with Amazon SES.", subject="Amazon SES Test (SDK for Python)",
                                  sender="ops@shop.example"))
    assert (outcome.outcome, outcome.disposition) == ("ignored", "bulk") and world.queue.sent == []
    assert "Amazon SES" in world.log.entries[0].reason
