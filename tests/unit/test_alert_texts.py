"""Every alert a manager can get reads as a sentence: no repeated words or phrases, no "None", no doubled spaces,
and the figures it is about. Texts come from each alert path with representative inputs."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from chalicelib.domain.deliveries import DeliveryRecorder
from chalicelib.quality import early_warning as ew
from chalicelib.sla.escalation import digest_alert
from tests.fakes import FixedClock, RecordingAlerts, make_complaint
from tests.unit.test_sla_keeper import MINUTE, World

REPEATED = re.compile(r"\b([^\W\d_]+(?:\s+[^\W\d_]+){0,4})\s+\1\b", re.IGNORECASE)  # words, not numbers


def assert_readable(text: str) -> None:
    assert text == text.strip() and "  " not in text, repr(text)
    assert not re.search(r"\bNone\b|\bnull\b", text), text
    repeated = REPEATED.search(text)
    assert repeated is None, f"repeats {repeated.group(0)!r}: {text}"


def test_the_check_catches_what_it_is_for():
    for bad in ("message to the customer to the customer could not be delivered", "alert for None", "a  b"):
        with pytest.raises(AssertionError):
            assert_readable(bad)


@pytest.mark.parametrize("kind", ["acknowledgement", "respond", "reply", "resolve", "wait_on_customer", "survey"])
def test_delivery_failure_alerts(repo, kind):
    complaint = make_complaint()
    repo.create(complaint, [], "web#1")
    alerts = RecordingAlerts()
    DeliveryRecorder(repo, FixedClock(), alerts).failed(complaint.reference, kind, "bounced: 550 5.1.1 User unknown",
                                                        channel="email")
    (alert,) = alerts.published
    assert_readable(alert.subject)
    assert_readable(repo.history(complaint.reference)[-1].message)
    assert "550 5.1.1 User unknown" in repo.history(complaint.reference)[-1].message


def test_sla_alerts_from_warning_to_escalation_and_the_digest(repo, notifier, clock):
    world = World(repo, notifier, clock)
    reference = world.p1()
    complaint = repo.get(reference)
    due = complaint.first_response_due_at
    fired = []
    for instant in (due - timedelta(minutes=15), due, due + timedelta(hours=4), due + timedelta(days=2)):
        fired += world.check_at(reference, instant + MINUTE)
    assert len(fired) >= 2
    digest = digest_alert("logistics", fired, world.config, due)
    for alert in [*fired, digest]:
        assert_readable(alert.subject)
        if alert.body.get("reason"):
            assert_readable(alert.body["reason"])


def test_early_warning_alerts():
    alerts = [
        ew.negative_sentiment_surge("2026-11-22", 12, 20, 0.1, category="billing"),
        ew.sla_breach_rate("2026-11-22", 10, 30, team="logistics"),
        ew.csat_low("2026-11-22", 25, 2.4),
        ew.csat_low_score("CMP-20261122-7QF3K", 1, "2026-11-22", reason="slow"),
        ew.backlog_growth("2026-11-22", 10, 40, category="delivery"),
    ]
    assert all(alerts)
    for alert in alerts:
        assert_readable(alert.subject)
