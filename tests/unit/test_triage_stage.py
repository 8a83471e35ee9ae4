"""The triage stage inside the intake pipeline: invalid, spam, duplicates across channels, priority signals,
and the category model's confidence deciding between the model, the customer's choice and a person."""

import pytest

from chalicelib.domain.lifecycle import Actor, Command
from chalicelib.domain.model import Channel, Sender, Status
from chalicelib.domain.ports import ComplaintQuery
from chalicelib.domain.service import ComplaintService, IntakePipeline
from chalicelib.domain.stages import CategoryTeamRouter, FixedTargetsSla
from chalicelib.triage.stage import Triage
from chalicelib.triage.text_model import Prediction
from tests.fakes import make_message

ADA = Sender(name="Ada", email="ada@example.com", phone="+447700900123")
HEATER = ("The heater I bought last week stopped working after two days and the shop refuses to replace it. "
          "Order number 4411.")


class FixedModel:
    version = "fixed-test-model"

    def __init__(self, label, confidence):
        self.label, self.confidence = label, confidence

    def predict(self, text, top_k=3):
        return Prediction(self.label, self.confidence, ((self.label, self.confidence),), ())


@pytest.fixture
def triage():
    return Triage(model_dir=None)


@pytest.fixture
def pipeline(repo, notifier, clock, triage):
    return IntakePipeline(repo, notifier, triage, FixedTargetsSla(), CategoryTeamRouter(), clock, b"secret")


def test_legal_threat_and_fire_come_out_p1_with_their_signals(pipeline, repo):
    result = pipeline.process(make_message("I will sue you, the heater caught fire in my living room.",
                                           subject="Dangerous heater"))
    complaint = repo.get(result.reference)
    assert complaint.priority == "P1"
    signals = complaint.classification["signals"]
    assert "safety" in signals and "legal" in signals, signals
    assert "fire" in repo.history(result.reference)[0].data["classification"]["evidence"]["safety"]
    assert "evidence" not in complaint.classification and "minhash" not in complaint.classification  # a slim item
    assert complaint.classification["sentiment"] < 0


@pytest.mark.parametrize("text", ["", "asdf", "test", "https://example.com/x", "!!!!!!"])
def test_empty_or_garbage_is_stored_as_invalid_with_a_reason(pipeline, repo, notifier, text):
    result = pipeline.process(make_message(text, subject=""))
    complaint = repo.get(result.reference)
    assert complaint.status == Status.INVALID and complaint.screening_reason
    assert "We could not register your message" in notifier.sent[0].text


def test_the_same_complaint_by_web_then_email_is_linked_to_the_first(pipeline, repo, notifier, clock):
    first = pipeline.process(make_message(HEATER, subject="Broken heater", sender=ADA)).reference
    clock.advance(hours=3)
    by_mail = make_message(HEATER, subject="Broken heater", channel=Channel.EMAIL,
                           sender=Sender(name="Ada", email="ada@example.com"))
    second = pipeline.process(by_mail)

    duplicate = repo.get(second.reference)
    assert (duplicate.status, duplicate.duplicate_of) == (Status.DUPLICATE, first)
    assert duplicate.screening_reason == f"exact duplicate of {first}"
    appended = repo.history(first)[-1]
    assert (appended.type, appended.message, appended.data["duplicate"]) == (
        "duplicate_received", HEATER, second.reference)
    assert first in notifier.sent[-1].text  # the customer is told the existing reference


def test_a_lightly_edited_resend_is_a_near_duplicate(pipeline, repo, clock):
    first = pipeline.process(make_message(HEATER, sender=ADA)).reference
    clock.advance(days=1)
    edited = "Hello, " + HEATER.replace("last week", "last  week").replace("4411.", "4411. Thanks")
    mail = make_message(edited, channel=Channel.EMAIL, sender=Sender(email="ada@example.com"), subject="heater")
    assert repo.get(pipeline.process(mail).reference).duplicate_of == first


def test_the_same_body_under_another_subject_or_by_sms_is_a_duplicate(pipeline, repo, clock):
    """Subjects differ by channel (a web subject, an e-mail subject line, an SMS's first line); the body decides."""
    phone = Sender(phone="+14255550182")
    first = pipeline.process(make_message(HEATER, subject="Broken heater", sender=ADA)).reference
    mail = make_message(HEATER, subject="Complaint", channel=Channel.EMAIL, sender=Sender(email="ada@example.com"))
    assert repo.get(pipeline.process(mail).reference).duplicate_of == first
    by_web = pipeline.process(make_message(HEATER, subject="Heater", sender=phone)).reference
    clock.advance(hours=1)
    sms = make_message(HEATER, subject=HEATER[:40], channel=Channel.SMS, sender=phone)
    assert repo.get(pipeline.process(sms).reference).duplicate_of == by_web  # not a continuation of it
    reply = make_message("The engineer never came on Tuesday either", subject="", channel=Channel.SMS, sender=phone)
    assert pipeline.process(reply).reference == by_web  # other texts continue the open complaint


def test_another_customers_identical_text_or_an_old_complaint_is_not_a_duplicate(pipeline, repo, clock):
    pipeline.process(make_message(HEATER, sender=ADA))
    other = pipeline.process(make_message(HEATER, sender=Sender(email="bob@example.com")))
    assert repo.get(other.reference).status == Status.NEW
    clock.advance(days=30)
    later = pipeline.process(make_message(HEATER, sender=ADA))
    assert repo.get(later.reference).status == Status.NEW


def test_staff_can_unlink_a_duplicate(pipeline, repo, notifier, clock):
    pipeline.process(make_message(HEATER, sender=ADA))
    duplicate = pipeline.process(make_message(HEATER, sender=ADA)).reference
    service = ComplaintService(repo, notifier, clock)
    changed, event = service.perform(duplicate, Command("unlink_duplicate", message="Another heater."),
                                     Actor("agent-1", "agent"))
    assert (changed.status, changed.duplicate_of, event.changes["duplicate_of"]["new"]) == (Status.NEW, None, None)


def test_staff_can_release_a_complaint_screening_set_aside(pipeline, repo, notifier, clock):
    promo = ("Earn $500 per day working from home! Financial freedom is one click away. "
             "Visit www.easy-cash.top now")
    reference = pipeline.process(make_message(promo, sender=ADA, subject="Offer")).reference
    assert repo.get(reference).status == Status.SPAM
    service = ComplaintService(repo, notifier, clock, router=CategoryTeamRouter())
    changed, event = service.perform(reference, Command("release", message="A real customer."), Actor("agent-1", "agent"))
    assert (changed.status, changed.screening_outcome, changed.screening_reason) == (Status.NEW, "accepted", None)
    assert changed.team is not None and "assignment" in event.data  # routed like any new complaint
    assert event.data["example_for"] == "screening_outcome"  # a reviewed false positive, kept for the rules
    assert event.data["predicted"]["screening_outcome"] == "spam" and event.data["predicted"]["screening_reason"]
    with pytest.raises(Exception, match="release"):
        service.perform(reference, Command("release"), Actor("agent-1", "agent"))


def test_repeat_complaints_raise_the_priority(pipeline, repo, clock):
    texts = ["The parcel arrived a day later than promised.",
             "The invoice shows the wrong postal address.",
             "The store on Main Street closes earlier than the website says."]
    priorities = []
    for text in texts:
        message = make_message(text, sender=ADA, subject="About my order")
        priorities.append(repo.get(pipeline.process(message).reference).priority)
        clock.advance(days=1)
    assert priorities == ["P3", "P3", "P2"]  # the third within 30 days is a repeat complaint
    assert "repeat_customer" in repo.search(ComplaintQuery(priority="P2")).items[0].classification["signals"]


@pytest.mark.parametrize("confidence, requested, expected, needs_triage", [
    (0.9, "billing", "delivery", False),  # sure of its label, and the customer's is unlikely: the model decides
    (0.8, "billing", "billing", False),  # confident, but not clearly better: the customer's own choice stands
    (0.2, "billing", "billing", False),  # unsure: the customer's own choice
    (0.2, None, "delivery", True),  # unsure and no choice: a person checks
])
def test_the_customers_category_stands_unless_the_model_is_clearly_better(repo, notifier, clock, confidence, requested, expected,
                                                            needs_triage):
    triage = Triage(model_dir=None)
    triage._model = FixedModel("delivery", confidence)
    pipeline = IntakePipeline(repo, notifier, triage, FixedTargetsSla(), CategoryTeamRouter(), clock, b"secret")
    complaint = repo.get(pipeline.process(make_message(HEATER, requested_category=requested)).reference)
    assert (complaint.category, complaint.needs_triage) == (expected, needs_triage)
    assert complaint.classification["model"] == "fixed-test-model"


def test_a_correction_takes_the_complaint_out_of_the_triage_queue(repo, notifier, clock):
    triage = Triage(model_dir=None)
    triage._model = FixedModel("delivery", 0.1)
    pipeline = IntakePipeline(repo, notifier, triage, FixedTargetsSla(), CategoryTeamRouter(), clock, b"secret")
    reference = pipeline.process(make_message(HEATER, requested_category=None)).reference
    changed, event = ComplaintService(repo, notifier, clock).perform(
        reference, Command("change_category", category="product"), Actor("agent-1", "agent"))
    assert not changed.needs_triage
    assert event.data["labelled_example"] and event.data["predicted"]["category"] == "delivery"


def test_triage_settings_come_from_the_environment_and_bad_values_are_refused(monkeypatch):
    from datetime import timedelta

    from chalicelib.config import settings
    from chalicelib.triage.stage import TriageSettings
    from chalicelib.wiring import _triage

    monkeypatch.setenv("TRIAGE_CONFIDENCE_THRESHOLD", "0.8")
    monkeypatch.setenv("DUPLICATE_WINDOW_DAYS", "3")
    monkeypatch.setenv("DUPLICATE_SIMILARITY", "0.9")
    monkeypatch.setenv("MODEL_BUCKET", "")
    settings.cache_clear()
    try:
        configured = _triage().settings
    finally:
        settings.cache_clear()
    assert (configured.confidence_threshold, configured.duplicate_window, configured.similarity_threshold) == (
        0.8, timedelta(days=3), 0.9)
    for bad in ({"confidence_threshold": 1.5}, {"duplicate_window": timedelta(0)}, {"similarity_threshold": 0.0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            TriageSettings(**bad)


def test_a_shorter_duplicate_window_lets_an_old_repeat_through(repo, notifier, clock):
    from datetime import timedelta

    from chalicelib.triage.stage import TriageSettings

    triage = Triage(model_dir=None, settings=TriageSettings(duplicate_window=timedelta(days=2)))
    pipeline = IntakePipeline(repo, notifier, triage, FixedTargetsSla(), CategoryTeamRouter(), clock, b"secret")
    pipeline.process(make_message(HEATER, sender=ADA))
    clock.advance(days=3)
    assert repo.get(pipeline.process(make_message(HEATER, sender=ADA)).reference).status == Status.NEW


class RankedModel:
    version = "ranked-test-model"

    def __init__(self, *top):
        self.top = top

    def predict(self, text, top_k=3):
        return Prediction(self.top[0][0], self.top[0][1], self.top[:top_k], ())


@pytest.mark.parametrize("text, expected", [
    ("The heater caught fire and burned my hand.", "product"),  # a hazard is not a billing matter
    ("You charged me twice for the heater.", "billing"),  # no safety signal: the model's label
])
def test_a_safety_signal_and_the_category_agree(repo, notifier, clock, text, expected):
    triage = Triage(model_dir=None)
    triage._model = RankedModel(("billing", 0.7), ("general", 0.2), ("product", 0.1))
    pipeline = IntakePipeline(repo, notifier, triage, FixedTargetsSla(), CategoryTeamRouter(), clock, b"secret")
    complaint = repo.get(pipeline.process(make_message(text, subject="Heater", requested_category=None)).reference)
    assert complaint.category == expected
