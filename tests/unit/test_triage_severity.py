"""Priority from named severity signals, each with the words that fired it."""
import pytest

from chalicelib.triage.severity import SeverityRules, Signal, assess_severity


def names(assessment):
    return set(assessment.signal_names)


def test_acceptance_threat_to_sue_and_a_fire_is_p1_with_both_signals():
    result = assess_severity("I will sue you, the heater caught fire")
    assert result.priority == "P1"
    assert Signal("safety", "caught fire") in result.signals
    assert Signal("legal", "sue") in result.signals
    assert result.explanation


@pytest.mark.parametrize(
    "text, signal",
    [
        ("The charger started to smoke", "safety"),
        ("My son got an electric shock from the kettle", "safety"),
        ("The battery exploded in my hand", "safety"),
        ("My daughter was taken to hospital after eating it", "safety"),
        ("There is a gas leak from the new boiler", "safety"),
        ("热水器着火了", "safety"),
        ("孩子被烫伤了", "safety"),
        ("My lawyer will contact you", "legal"),
        ("I have filed a complaint with the Consumer Financial Protection Bureau", "legal"),
        ("I will report you to trading standards and the ombudsman", "legal"),
        ("我要去法院起诉你们", "legal"),
        ("电暖器起火了，我要告你们", "legal"),
        ("The charger caused a fire in my flat", "safety"),
        ("We had a heater fire last night", "safety"),
        ("我已经投诉到消协和12315", "legal"),
        ("I will post this on Twitter and TikTok", "media"),
        ("A journalist from the local news is interested", "media"),
        ("I'll leave a 1-star review everywhere", "media"),
        ("我要发微博曝光你们", "media"),
        ("My elderly mother cannot use the app", "vulnerable"),
        ("I am disabled and cannot travel to a branch", "vulnerable"),
        ("I am pregnant and was left without heating", "vulnerable"),
        ("My husband passed away and you keep writing to him", "vulnerable"),
        ("家里有老人和孕妇", "vulnerable"),
        ("There were unauthorized charges on my account", "financial_loss"),
        ("我的卡被盗刷了", "financial_loss"),
    ],
)
def test_each_signal_is_found_with_its_evidence(text, signal):
    result = assess_severity(text)
    assert signal in names(result)
    evidence = dict((s.name, s.evidence) for s in result.signals)[signal]
    assert evidence.lower() in text.lower()


@pytest.mark.parametrize(
    "text, absent",
    [
        ("No one was injured.", "safety"),
        ("Nobody got hurt, thankfully.", "safety"),
        ("There were no injuries.", "safety"),
        ("The oven did not catch fire, it just stopped working.", "safety"),
        ("This hurt my credit score badly.", "safety"),
        ("To add insult to injury they charged a fee.", "safety"),
        ("I am not going to sue, I just want my money back.", "legal"),
        ("I don't want to involve a lawyer.", "legal"),
        ("没有人受伤", "safety"),
        ("我不会起诉你们", "legal"),
        ("我警告你们，再不退款我就投诉", "legal"),  # 警告你们 is "I warn you", not "I'll sue you"
        ("After the house fire my mortgage payments were misapplied", "safety"),  # a past event, not a hazard
        ("My child support payment was not applied.", "vulnerable"),
        ("Can my kids have a card?", "vulnerable"),
        ("My phone died", "vulnerable"),
        ("There were no unauthorized charges, just a late fee.", "financial_loss"),
    ],
)
def test_negations_and_figures_of_speech_do_not_fire(text, absent):
    assert absent not in names(assess_severity(text))


def test_a_threat_stays_a_threat_after_wont_hesitate():
    assert "legal" in names(assess_severity("I won't hesitate to take legal action."))
    assert "legal" in names(assess_severity("I had no choice but to hire a lawyer."))
    assert "safety" in names(assess_severity("Nobody was hurt but the stove exploded."))


@pytest.mark.parametrize(
    "text, priority",
    [
        ("The heater caught fire.", "P1"),
        ("I have reported this to the CFPB.", "P2"),  # legal alone
        ("I have reported this to the CFPB and will tell the newspapers.", "P1"),  # legal plus another signal
        ("I will post this on Facebook.", "P2"),
        ("You charged me $2,500.00 twice and refused a refund.", "P2"),  # large loss
        ("You charged me $25 twice.", "P3"),  # small loss
        ("I lost my life savings to this scam.", "P2"),  # large without a number
        ("被骗了2万元", "P2"),  # 20,000 yuan
        ("多收了300元", "P3"),
        ("My parcel is late.", "P3"),  # baseline
        ("My 82-year-old mother was charged $25 twice.", "P2"),  # vulnerable raises P3
        ("My elderly father was charged $5,000 he never owed.", "P1"),  # vulnerable raises P2
    ],
)
def test_priority_rules(text, priority):
    assert assess_severity(text).priority == priority


def test_amount_and_currency_are_reported():
    result = assess_severity("I was charged £1,200 and then another £30 in fees")
    assert (result.amount, result.currency) == (1200.0, "GBP")
    assert Signal("financial_loss", "£1,200") in result.signals


def test_repeat_complaints_raise_one_level():
    assert assess_severity("My parcel is late.", prior_complaints_30d=1).priority == "P3"
    raised = assess_severity("My parcel is late.", prior_complaints_30d=2)
    assert raised.priority == "P2" and "repeat_customer" in names(raised)


def test_strong_negative_feeling_raises_at_most_to_p2():
    assert assess_severity("My parcel is late.", sentiment=-0.9).priority == "P2"
    assert assess_severity("My parcel is late.", sentiment=-0.3).priority == "P3"
    assert assess_severity("I will post this on Facebook.", sentiment=-0.9).priority == "P2"


def test_neutral_or_positive_inquiries_and_compliments_are_p4():
    assert assess_severity("How do I change my PIN?", sentiment=0.0).priority == "P4"
    assert assess_severity("请问怎么修改密码？", sentiment=0.0).priority == "P4"
    assert assess_severity("Thank you, the agent was wonderful!", sentiment=0.8).priority == "P4"
    assert assess_severity("How do I change my PIN?").priority == "P3"  # no sentiment: could be a complaint
    assert assess_severity("Why was I charged twice?", sentiment=-0.4).priority == "P3"


def test_levels_and_thresholds_are_configurable():
    rules = SeverityRules(safety_level=2, large_amounts={"USD": 10.0})
    assert assess_severity("The heater caught fire.", rules=rules).priority == "P2"
    assert assess_severity("You charged me $25 twice.", rules=rules).priority == "P2"


def test_english_and_chinese_in_one_complaint():
    result = assess_severity("The heater 着火了 and I will call my lawyer")
    assert {"safety", "legal"} <= names(result) and result.priority == "P1"
