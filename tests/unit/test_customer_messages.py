"""Every message the product sends a customer, in English and Chinese, on e-mail and SMS: each carries what the
customer needs (the reference, the link to their page) in their language, and an outcome reads the same as the
customer's page says it."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from chalicelib.domain.customer_messages import (
    CustomerLinks, keyword_reply, message, outcome_text, short_code, sign_in_message, survey_invitation,
)
from chalicelib.domain.model import Channel, Complaint, Sender, Status
from chalicelib.i18n import detect_language, gettext_for
from chalicelib.web.complaint_view import sms_segments
from tests.unit.test_catalogs import CATALOG

REF, ORIGINAL = "CMP-20261205-7QF3K", "CMP-20261201-AB12C"
AT = datetime(2026, 12, 5, 9, 30, tzinfo=timezone.utc)
LINKS = CustomerLinks("https://complaints.example.com", b"k" * 32)
# Words each language's messages must contain, and words only the other language has.
CHINESE = "投诉"


@pytest.fixture(autouse=True, scope="module")
def compiled_catalog():
    if not (CATALOG / "messages.mo").exists():
        pytest.fail("make compiles the catalogs (the .mo files are not committed)")


def complaint(language: str, **changes) -> Complaint:
    base = Complaint(reference=REF, channel=Channel.WEB, channel_message_id="m1",
                     sender=Sender(name="Ada", email="ada@example.com", phone="+14155550100"),
                     subject="洗衣机漏水" if language == "zh" else "Leaking washer", description="…",
                     created_at=AT, updated_at=AT, status=Status.NEW, language=language, version=1)
    return dataclasses.replace(base, **changes)


OUTCOMES = {
    "new": {},
    "duplicate": {"status": Status.DUPLICATE, "duplicate_of": ORIGINAL},
    "invalid": {"status": Status.INVALID, "screening_reason": "The message contains only a link."},
    "unprocessable": {"status": Status.INVALID, "screening_reason": "unprocessable: KeyError 'x' in stage"},
}


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("channel", ["email", "sms"])
def test_every_acknowledgement_names_the_reference_links_to_the_page_and_speaks_the_customers_language(
        language, outcome, channel):
    words = message(complaint(language, **OUTCOMES[outcome]), "acknowledgement", "", channel, LINKS)
    shown_reference = ORIGINAL if outcome == "duplicate" else REF
    assert shown_reference in words.text
    link = LINKS.short(shown_reference) if channel == "sms" else LINKS.status(shown_reference)
    assert link in words.text
    assert detect_language(words.text) == language
    assert detect_language(words.subject) == (language if channel == "email" else None)
    assert "KeyError" not in words.text  # an internal error is for staff


def test_an_outcome_reads_the_same_in_the_message_and_on_the_page():
    for language in ("en", "zh"):
        for changes in OUTCOMES.values():
            c = complaint(language, **changes)
            said = outcome_text(c.status.value, REF, c.screening_reason, c.duplicate_of, gettext_for(language))
            if said:
                assert said in message(c, "acknowledgement", "", "email", LINKS).text
    assert "只有一个链接" in message(complaint("zh", **OUTCOMES["invalid"]), "acknowledgement", "", "email", LINKS).text


def test_an_english_acknowledgement_sms_fits_one_segment_and_a_chinese_one_two():
    english = message(complaint("en"), "acknowledgement", "", "sms", LINKS).text
    chinese = message(complaint("zh"), "acknowledgement", "", "sms", LINKS).text
    assert sms_segments(english).count == 1 and sms_segments(chinese).count <= 2
    assert chinese.startswith("已收到您的投诉")


@pytest.mark.parametrize("language, reply_word", [("en", "Re: Leaking washer"), ("zh", "回复：洗衣机漏水")])
def test_a_staff_reply_is_framed_in_the_customers_language(language, reply_word):
    mail = message(complaint(language), "respond", "We will send an engineer tomorrow.", "email", LINKS)
    assert mail.subject == reply_word and mail.text.startswith("We will send an engineer tomorrow.")
    assert LINKS.status(REF) in mail.text and (CHINESE in mail.text) == (language == "zh")
    sms = message(complaint(language), "respond", "We will send an engineer tomorrow.", "sms", LINKS)
    assert sms.text == "We will send an engineer tomorrow."  # what the agent counted is what is sent


@pytest.mark.parametrize("language, expected", [("en", "How did we do with your complaint"), ("zh", "我们处理您的投诉")])
def test_the_survey_invitation(language, expected):
    text = survey_invitation(REF, "https://x/survey/t", AT, language)
    assert text.startswith(expected) and "https://x/survey/t" in text and "2026-12-05" in text
    assert message(complaint(language), "survey", text, "email", LINKS).text == text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_sign_in_link(language):
    for channel in ("email", "sms"):
        words = sign_in_message("https://x/my/sign-in?code=c0de", 15, channel, language)
        assert "https://x/my/sign-in?code=c0de" in words.text and "15" in words.text
        assert (CHINESE in words.text) == (language == "zh")


def test_sms_keyword_answers_in_both_languages():
    assert keyword_reply("help", "en").startswith("Complaints service") and "STOP" in keyword_reply("help", "en")
    assert keyword_reply("help", "zh").startswith("投诉服务") and keyword_reply("start", "zh").startswith("您将重新收到")
    assert keyword_reply("stop", "en") is None  # the carrier confirms a STOP


def test_the_short_link_is_ours_and_cannot_be_made_up():
    code = short_code(LINKS.secret, REF)
    assert len(LINKS.short(REF)) <= 60 and LINKS.reference_of(code) == REF and LINKS.reference_of(code.lower()) == REF
    assert LINKS.reference_of(code[:-1] + ("A" if code[-1] != "A" else "B")) is None
    assert LINKS.reference_of("") is None and LINKS.reference_of("../../etc") is None
    assert CustomerLinks(LINKS.base_url, b"other-secret").reference_of(code) is None


@pytest.mark.parametrize("text, language", [
    ("我的洗衣机漏水了，订单号 AB12345678", "zh"), ("My washer leaks", "en"), ("", None), ("12345", None),
    ("Order ABC123 洗衣机", "zh"), ("我的订单AB12345没到", "zh"), ("见 https://shop.example.com/orders/abc 的页面", "zh"),
])
def test_the_language_a_customer_wrote_in(text, language):
    assert detect_language(text) == language
