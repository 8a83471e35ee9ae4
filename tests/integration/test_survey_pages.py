"""CSAT survey end to end on moto: resolve, send the link (outbox), open the page, answer once through the form."""
import json
import re
from urllib.parse import urlencode

import pytest

from chalicelib.domain.lifecycle import Actor, Command
from tests.integration.conftest import published_alerts
from tests.fakes import FixedClock, make_message

AGENT = Actor("agent-1", "agent")
RESOLVE = Command("resolve", message="We refunded the parcel.", resolution_code="refunded", root_cause="process")
HTML = {"Accept": "text/html"}


@pytest.fixture
def clock(aws):
    from chalicelib.wiring import services

    clock = FixedClock()
    services.override(clock=clock)
    return clock


def resolved_complaint(clock) -> str:
    from chalicelib.wiring import services

    reference = services.pipeline.process(make_message(received_at=clock.now())).reference
    services.complaint_service.perform(reference, RESOLVE, AGENT)
    return reference


def send_survey(aws, clock, reference) -> str:
    """Sends the survey when it is due; returns the link's path, read from the outbox."""
    from chalicelib.wiring import services

    assert services.surveys.send(reference, clock.advance(minutes=60)).outcome == "sent"
    lines = [json.loads(line) for line in aws["outbox"].read_text().splitlines()]
    (survey,) = [m for m in lines if m["kind"] == "survey" and m["reference"] == reference]
    link = re.search(r"http://testserver(/survey/\S+?) \(", survey["text"]).group(1)
    return link


def post_form(client, path, form):
    headers = {"Content-Type": "application/x-www-form-urlencoded", **HTML}
    return client.http.post(path, headers=headers, body=urlencode(form))


def history(reference):
    from chalicelib.wiring import services

    return services.repository.history(reference)


def test_a_low_score_through_the_form_is_stored_once_and_alerts_the_team_lead(client, aws, clock):
    reference = resolved_complaint(clock)
    path = send_survey(aws, clock, reference)

    page = client.http.get(path, headers=HTML)
    body = page.body.decode()
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<form method="post"' in body and body.count('type="radio" ') == 5 and "<legend>" in body
    assert '<label for="reason">' in body and '<select id="reason" name="reason"' in body
    assert '<textarea id="comment" name="comment"' in body and 'name="not_solved"' in body
    assert "<script" not in body and reference in body

    # Without a reason a score of 2 comes back as the form, with the message and the choice kept.
    missing = post_form(client, path, {"score": "2"})
    assert missing.status_code == 400 and "a reason is required" in missing.body.decode()
    assert 'value="2" checked' in missing.body.decode()
    assert not [e for e in history(reference) if e.type == "survey_answered"]

    comment = "<b>Two weeks</b> for a refund"
    thanks = post_form(client, path, {"score": "2", "reason": "slow", "comment": comment})
    assert thanks.status_code == 200 and "Thank you" in thanks.body.decode()
    (answered,) = [e for e in history(reference) if e.type == "survey_answered"]
    assert answered.data["score"] == 2 and answered.data["reason"] == "slow" and answered.data["comment"] == comment
    (alert,) = published_alerts(aws)
    assert alert["MessageAttributes"]["type"]["Value"] == "csat_low_score"
    assert alert["MessageAttributes"]["level"]["Value"] == "L1"
    content = json.loads(alert["Message"])
    assert (content["reference"], content["score"], content["reason"]) == (reference, 2, "slow")

    # The link works once: a second answer, or opening it again, is 410 and changes nothing.
    before = history(reference)
    again = post_form(client, path, {"score": "5"})
    assert again.status_code == 410 and "already been answered" in again.body.decode()
    assert client.http.get(path, headers=HTML).status_code == 410
    assert history(reference) == before and published_alerts(aws) == []


def test_not_solved_reopens_the_complaint(client, aws, clock):
    from chalicelib.wiring import services

    reference = resolved_complaint(clock)
    path = send_survey(aws, clock, reference)
    thanks = post_form(client, path, {"score": "4", "reason": "", "comment": "", "not_solved": "on"})
    assert thanks.status_code == 200 and "We have reopened your complaint" in thanks.body.decode()
    assert services.repository.get(reference).status.value == "in_progress"
    assert history(reference)[-1].type == "reopen" and published_alerts(aws) == []


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(client, aws, clock):
    reference = resolved_complaint(clock)
    path = send_survey(aws, clock, reference)
    clock.advance(days=15)
    before = history(reference)
    page = client.http.get(path, headers=HTML)
    assert page.status_code == 410 and "expired" in page.body.decode()
    assert post_form(client, path, {"score": "5"}).status_code == 410
    assert history(reference) == before


def test_damaged_and_forged_links_are_refused(client, aws, clock):
    reference = resolved_complaint(clock)
    path = send_survey(aws, clock, reference)
    damaged = client.http.get("/survey/not-a-token", headers=HTML)
    assert damaged.status_code == 404 and "incomplete" in damaged.body.decode()
    forged = path[: path.rindex(".") + 1] + "A" * 43
    response = post_form(client, forged, {"score": "5"})
    assert response.status_code == 404 and "not valid" in response.body.decode()
    assert not [e for e in history(reference) if e.type == "survey_answered"]
