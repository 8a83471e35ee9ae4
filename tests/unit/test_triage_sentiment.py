"""Sentiment score, label and emotion, with negation, intensifiers, exclamation, capitals and Chinese."""
import pytest

from chalicelib.triage.sentiment import Sentiment, analyze_sentiment


def score(text):
    return analyze_sentiment(text).score


@pytest.mark.parametrize(
    "text, label, emotion",
    [
        ("I am extremely angry, this is unacceptable!!!", "negative", "anger"),
        ("I'm fed up with waiting on hold for hours, nobody helps!", "negative", "frustration"),
        ("I am scared and worried that someone has my details", "negative", "fear"),
        ("My father passed away and I am heartbroken", "negative", "sadness"),
        ("I was disappointed with the delivery", "negative", "disappointment"),
        ("Thank you so much, great service!", "positive", "satisfaction"),
        ("How do I change my PIN?", "neutral", "neutral"),
        ("", "neutral", "neutral"),
        ("快递三天没到，客服不回复", "negative", "frustration"),
        ("服务非常好，谢谢！", "positive", "satisfaction"),
        ("我很不满意，太差了！", "negative", "disappointment"),
        ("担心我的钱被骗了", "negative", "fear"),
        ("The courier 太慢了, very disappointed", "negative", "disappointment"),
    ],
)
def test_label_and_emotion(text, label, emotion):
    result = analyze_sentiment(text)
    assert (result.label, result.emotion) == (label, emotion)
    assert -1.0 <= result.score <= 1.0


def test_negation_flips_and_weakens():
    assert score("I am happy with the service") > 0.3
    assert score("I am not happy with the service") < -0.3
    assert 0 < score("This is not bad") < score("This is good")
    assert score("不满意") < 0 < score("满意")
    assert score("不是很好") < 0


def test_negation_stops_at_the_end_of_a_clause():
    assert score("No. The agent was helpful") > 0


def test_intensifiers_exclamation_and_capitals_strengthen():
    assert score("The service was very bad") < score("The service was bad") < 0
    assert score("The service was bad!!!") < score("The service was bad")
    assert score("The service was BAD") < score("The service was bad")
    assert score("The service was slightly bad") > score("The service was bad")


def test_the_clause_after_but_weighs_more():
    assert score("The agent was nice but my refund never arrived and I am still waiting.") < -0.3


def test_complaint_words_count_and_topic_words_do_not():
    assert score("Card declined twice, charged anyway") < -0.3
    assert score("I would like to apply for a credit card") == 0.0
    assert score("Please help me with my credit report, thank you") >= 0.0


def test_strong_outbursts_pass_the_severity_threshold_and_mild_ones_do_not():
    assert score("THIS IS THE WORST SERVICE EVER, ABSOLUTELY DISGUSTING!!!") <= -0.6
    assert score("My parcel is a day late") > -0.6


def test_long_factual_text_is_not_saturated():
    factual = "I disputed the late payment on my account. " + "The bureau verified it again. " * 40
    assert -0.95 < score(factual) < 0


def test_returns_a_frozen_result():
    result = analyze_sentiment("great")
    assert isinstance(result, Sentiment)
    with pytest.raises(AttributeError):
        result.score = 0  # type: ignore[misc]
