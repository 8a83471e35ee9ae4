"""SurveyService on fakes: the survey goes out once per resolution, and an answer is stored once per link."""
import dataclasses
import re
from datetime import timedelta

import pytest

from chalicelib.domain.lifecycle import Actor, Command
from chalicelib.domain.model import Event, Sender, Status
from chalicelib.domain.service import ComplaintService
from chalicelib.domain.surveys import SurveyAlreadyAnswered, SurveyService
from chalicelib.quality.survey import SurveyAnswer, SurveyTokenExpired, SurveyTokenInvalid
from tests.fakes import T0, FixedClock, InMemoryComplaintRepository, RecordingNotifier, make_complaint, RecordingAlerts

SECRET = b"survey-unit-secret"
BASE = "https://complaints.example"
REF = "CMP-20261122-7QF3K"
AGENT = Actor("agent-1", "agent")
RESOLVE = Command("resolve", message="We refunded the parcel.", resolution_code="refunded", root_cause="process")


@pytest.fixture
def world():
    """A stored complaint, resolved at T0, and a survey service with a 60-minute delay."""
    repo, notifier, clock, alerts = InMemoryComplaintRepository(), RecordingNotifier(), FixedClock(T0), RecordingAlerts()
    complaints = ComplaintService(repo, notifier, clock)
    surveys = SurveyService(repo, notifier, clock, complaints, SECRET, BASE, delay=timedelta(minutes=60), alerts=alerts)
    add_complaint(repo)
    complaints.perform(REF, RESOLVE, AGENT)
    return repo, notifier, clock, alerts, complaints, surveys


def add_complaint(repo, reference=REF, **fields):
    repo.create(make_complaint(reference, **fields), [Event(reference, 1, T0, "received", "system", "system")],
                f"web#{reference}")


def events(repo, type_, reference=REF):
    return [e for e in repo.history(reference) if e.type == type_]


def survey_messages(notifier):
    return [s for s in notifier.sent if s.kind == "survey"]


def sent_token(notifier) -> str:
    return re.search(r"/survey/([A-Za-z0-9_.-]+)", survey_messages(notifier)[-1].text).group(1)


def send_when_due(world):
    repo, notifier, clock, _, _, surveys = world
    result = surveys.send(REF, clock.advance(minutes=60))
    assert result.outcome == "sent"
    return sent_token(notifier)


# sending --------------------------------------------------------------------------------------------------------
def test_due_time_is_the_resolution_plus_the_delay(world):
    repo, *_, surveys = world
    assert surveys.due_after_resolution(repo.get(REF)) == T0 + timedelta(minutes=60)


def test_the_survey_is_sent_once_per_resolution(world):
    repo, notifier, clock, _, complaints, surveys = world
    token = send_when_due(world)
    (message,) = survey_messages(notifier)
    assert f"{BASE}/survey/{token}" in message.text and REF in message.text
    (sent,) = events(repo, "survey_sent")
    assert sent.data["channel"] == "email" and sent.data["token_id"] and sent.data["expires_at"]
    assert sent.data["delivery"]["channel"] == "email" and events(repo, "customer_notified") == []

    assert surveys.send(REF, clock.advance(minutes=5)).outcome == "already_sent"  # a repeated trigger
    assert len(survey_messages(notifier)) == 1 and len(events(repo, "survey_sent")) == 1

    # A new resolution gets a survey of its own, with another link.
    complaints.perform(REF, Command("reopen"), AGENT)
    complaints.perform(REF, RESOLVE, AGENT)
    assert surveys.send(REF, clock.advance(minutes=60)).outcome == "sent"
    assert len(events(repo, "survey_sent")) == 2 and sent_token(notifier) != token


def test_not_sent_before_the_delay(world):
    repo, notifier, clock, *_, surveys = world
    assert surveys.send(REF, clock.advance(minutes=30)).outcome == "not_due"
    assert survey_messages(notifier) == [] and events(repo, "survey_sent") == []


def test_not_sent_if_reopened_before_the_delay(world):
    repo, notifier, clock, _, complaints, surveys = world
    complaints.perform(REF, Command("reopen"), AGENT)
    assert surveys.send(REF, clock.advance(minutes=60)).outcome == "not_resolved"
    assert survey_messages(notifier) == [] and events(repo, "survey_sent") == []


def test_a_closed_complaint_still_gets_its_survey(world):
    repo, notifier, clock, _, complaints, surveys = world
    complaints.perform(REF, Command("close"), AGENT)
    assert surveys.send(REF, clock.advance(minutes=60)).outcome == "sent"


def test_with_no_delay_the_survey_can_go_at_once():
    repo, notifier, clock = InMemoryComplaintRepository(), RecordingNotifier(), FixedClock(T0)
    complaints = ComplaintService(repo, notifier, clock)
    surveys = SurveyService(repo, notifier, clock, complaints, SECRET, BASE, delay=timedelta(0))
    add_complaint(repo)
    complaints.perform(REF, RESOLVE, AGENT)
    assert surveys.send(REF, clock.now()).outcome == "sent"


def test_an_unreachable_customer_gets_no_survey_and_nothing_is_claimed():
    repo, notifier, clock = InMemoryComplaintRepository(), RecordingNotifier(), FixedClock(T0)
    complaints = ComplaintService(repo, notifier, clock)
    surveys = SurveyService(repo, notifier, clock, complaints, SECRET, BASE, delay=timedelta(0))
    add_complaint(repo, sender=Sender(name="No Contact"))
    complaints.perform(REF, dataclasses.replace(RESOLVE, message=None), AGENT)  # a message could not be sent
    assert surveys.send(REF, clock.now()).outcome == "unreachable"
    assert events(repo, "survey_sent") == [] and events(repo, "customer_unreachable")


def test_an_unknown_reference_is_ignored(world):
    *_, clock, _, _, surveys = world
    assert surveys.send("CMP-20261122-NOPE1", clock.now()).outcome == "not_found"


# answering ------------------------------------------------------------------------------------------------------
def test_an_answer_is_stored_once_and_a_reused_link_changes_nothing(world):
    repo, _, clock, alerts, _, surveys = world
    token = send_when_due(world)
    result = surveys.answer(token, SurveyAnswer(score=5, comment="Quick and kind"), clock.advance(hours=2))
    assert (result.score, result.reopen, result.alerted) == (5, None, False)
    (answered,) = events(repo, "survey_answered")
    assert answered.data == {"score": 5, "reason": None, "comment": "Quick and kind", "not_solved": False,
                             "token_id": events(repo, "survey_sent")[0].data["token_id"]}
    assert answered.actor_role == "customer"

    before = repo.history(REF), repo.get(REF)
    with pytest.raises(SurveyAlreadyAnswered):
        surveys.check(token, clock.now())
    with pytest.raises(SurveyAlreadyAnswered):
        surveys.answer(token, SurveyAnswer(score=1, reason="rude", not_solved=True), clock.now())
    assert (repo.history(REF), repo.get(REF)) == before and alerts.published == []


def test_an_expired_link_is_refused_and_changes_nothing(world):
    repo, _, clock, *_, surveys = world
    token = send_when_due(world)
    before = repo.history(REF)
    with pytest.raises(SurveyTokenExpired):
        surveys.answer(token, SurveyAnswer(score=4), clock.advance(days=15))
    assert repo.history(REF) == before


def test_a_tampered_link_is_refused(world):
    *_, clock, _, _, surveys = world
    token = send_when_due(world)
    version, payload, signature = token.split(".")
    with pytest.raises(SurveyTokenInvalid):
        surveys.check(f"{version}.{payload}.{'A' * len(signature)}", clock.now())


def test_a_low_score_alerts_the_team_lead_once(world):
    *_, clock, alerts, _, surveys = world
    token = send_when_due(world)
    result = surveys.answer(token, SurveyAnswer(score=2, reason="slow", comment="Two weeks!"), clock.now())
    assert result.alerted
    (alert,) = alerts.published
    token_id = world[0].history(REF)[-1].data["token_id"]
    assert (alert.type, alert.severity, alert.level, alert.team, alert.category) == (
        "csat_low_score", "warning", "L1", "logistics", "delivery")
    assert alert.dedup_key == f"csat_low_score#{REF}#{token_id}"
    assert alert.body == {"reference": REF, "score": 2, "reason": "slow", "comment": "Two weeks!",
                          "link": f"{BASE}/console/complaints/{REF}"}
    with pytest.raises(SurveyAlreadyAnswered):
        surveys.answer(token, SurveyAnswer(score=1, reason="slow"), clock.now())
    assert len(alerts.published) == 1


def test_a_good_score_raises_no_alert_and_no_publisher_is_fine(world):
    repo, notifier, clock, alerts, complaints, _ = world
    quiet = SurveyService(repo, notifier, clock, complaints, SECRET, BASE, delay=timedelta(minutes=60), alerts=None)
    assert quiet.send(REF, clock.advance(minutes=60)).outcome == "sent"
    assert quiet.answer(sent_token(notifier), SurveyAnswer(score=1, reason="rude"), clock.now()).alerted is False


def test_not_solved_reopens_a_resolved_complaint(world):
    repo, _, clock, *_, surveys = world
    token = send_when_due(world)
    result = surveys.answer(token, SurveyAnswer(score=3, not_solved=True), clock.now())
    assert result.reopen == "reopened"
    complaint = repo.get(REF)
    assert complaint.status == Status.IN_PROGRESS and complaint.resolved_at is None
    reopen = events(repo, "reopen")[-1]
    assert (reopen.actor, reopen.actor_role) == ("customer", "customer")
    assert [e.type for e in repo.history(REF)][-2:] == ["survey_answered", "reopen"]


def test_not_solved_on_a_closed_complaint_records_the_answer_but_does_not_reopen(world):
    repo, _, clock, _, complaints, surveys = world
    token = send_when_due(world)
    complaints.perform(REF, Command("close"), AGENT)
    result = surveys.answer(token, SurveyAnswer(score=4, not_solved=True), clock.now())
    assert result.reopen == "closed"
    assert repo.get(REF).status == Status.CLOSED
    assert events(repo, "survey_answered")[0].data["not_solved"] is True and events(repo, "reopen") == []


def test_a_negative_delay_is_refused():
    with pytest.raises(ValueError):
        SurveyService(InMemoryComplaintRepository(), RecordingNotifier(), FixedClock(), None, SECRET, BASE,
                      delay=timedelta(minutes=-1))
