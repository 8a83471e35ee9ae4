"""Spam scoring from content and channel signals; complaints that talk about money must not be flagged."""
import pytest

from chalicelib.domain.model import Channel
from chalicelib.triage.spam import SpamWeights, score_spam

SPAM = [
    ("Congratulations! You have won a $1000 gift card. Click here to claim your prize: http://bit.ly/3xYz",
     "sms", None, {"url_shortener", "prize", "click_here"}),
    ("Earn $500 per day working from home! Financial freedom is one click away. Visit www.easy-cash.top now",
     "web", None, {"money_offer", "odd_link_domain"}),
    ("Hi, we offer SEO services to get your website on the first page of Google. Increase your traffic today. "
     "Reply STOP to opt out.", "email", "seo@rank-boost.example", {"marketing", "sms_opt_out"}),
    ("Bitcoin investment opportunity with guaranteed daily returns of 5%! Contact us on WhatsApp: +447700900123",
     "sms", None, {"crypto_offer", "messenger_contact"}),
    ("Need cash fast? Bad credit OK, no credit check, instant approval. Apply now at http://tinyurl.com/ln",
     "sms", None, {"loan_offer", "url_shortener"}),
    ("Buy cheap V1AGRA online pharmacy, no prescription needed! http://pills.example.com",
     "email", "promo12345@mail.example", {"obfuscated_word", "pharma_adult"}),
    ("Dear friend, a business proposal: our affiliate program offers residual income. To unsubscribe click here "
     "http://x.example.com/u", "email", "news@y.example", {"unsubscribe", "marketing", "money_offer"}),
    ("【优惠】恭喜您获得免费领取资格，点击 http://t.cn/abc 领取，回T退订", "sms", None,
     {"chinese_marketing", "url_shortener"}),
    ("外贸客户开发，批量群发，有意者加微信：abc123456", "email", None, {"chinese_marketing"}),
]

COMPLAINTS = [
    "I unsubscribed from their marketing emails but they keep sending them. I want them to stop.",
    "My card was declined twice and I was charged anyway. Please refund the $45.99. "
    "Order: https://shop.example.com/orders/123",
    "They promised a special offer of 0% interest but charged me 25%. This is fraud.",
    "I received a text saying I won a prize, clicked the link and now my account was drained. Please help!",
    "I paid off my loan of $12,000 in March but the credit bureau still reports a balance. I disputed it twice.",
    "The collector said act now or lose the house, and that I must pay only $50 today.",
    "快递三天没到，客服不回复，我要退款",
    "Heater caught fire. Photo: https://imgur.com/a/xyz",
    "I WANT MY MONEY BACK. YOU CHARGED ME TWICE AND NOBODY ANSWERS THE PHONE!!",
]


@pytest.mark.parametrize("text, channel, sender, expected", SPAM)
def test_spam_is_flagged_with_the_reasons_that_fired(text, channel, sender, expected):
    verdict = score_spam(text, channel=channel, sender_email=sender)
    assert verdict.is_spam
    assert expected <= set(verdict.reasons)
    assert verdict.score == pytest.approx(sum(signal.points for signal in verdict.signals))
    assert all(signal.evidence for signal in verdict.signals)


@pytest.mark.parametrize("text", COMPLAINTS)
def test_complaints_about_money_links_and_marketing_are_not_spam(text):
    for channel in ("web", "email", "sms"):
        assert not score_spam(text, channel=channel).is_spam


def test_click_here_counts_only_next_to_a_link():
    assert "click_here" not in score_spam("I had to click here and there in the app").reasons
    assert "click_here" in score_spam("Click here: https://example.com/x").reasons


def test_a_link_alone_by_sms_is_spam_but_a_photo_link_with_words_is_not():
    assert score_spam("http://bit.ly/abc123", channel=Channel.SMS).is_spam
    assert "sms_link_only" not in score_spam("Heater caught fire https://imgur.com/a/x", channel="sms").reasons


def test_ses_spam_verdict_is_a_strong_signal_that_needs_one_more():
    alone = score_spam("Please see the attached offer", ses_spam_verdict="FAIL")
    assert alone.reasons == ("ses_spam_fail",) and not alone.is_spam
    assert score_spam("Special offer, act now!", ses_spam_verdict="FAIL").is_spam
    assert not score_spam("Special offer, act now!", ses_spam_verdict="PASS").is_spam


def test_sender_signals_apply_to_email_only():
    text = "See http://deals.example.net/x"
    assert "sender_link_mismatch" in score_spam(text, channel="email", sender_email="a@shop.example").reasons
    assert "sender_link_mismatch" not in score_spam(text, channel="email", sender_email="a@deals.example.net").reasons
    assert "numbered_sender" not in score_spam(text, channel="sms", sender_email="x12345@example.com").reasons


def test_plain_drug_word_is_not_an_obfuscation():
    reasons = score_spam("viagra").reasons
    assert "pharma_adult" in reasons and "obfuscated_word" not in reasons


def test_gtube_test_string_is_spam():
    assert score_spam("XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X").is_spam


def test_threshold_and_weights_are_configurable():
    text = "Special offer, act now!"
    assert score_spam(text).score == 3.0
    assert score_spam(text, weights=SpamWeights(threshold=2.5)).is_spam


def test_scoring_is_deterministic():
    text = SPAM[6][0]
    assert score_spam(text) == score_spam(text)
