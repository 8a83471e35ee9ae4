"""Escalation: L1 at warning, L2 at breach, L3 after breach; never repeated; unassigned P1; storm digests."""
import json
from datetime import datetime, timedelta, timezone

from chalicelib.domain.model import Channel, Complaint, Event, Sender, Status, Visibility
from chalicelib.sla.calendar import BusinessCalendar
from chalicelib.sla.clocks import compute_clocks
from chalicelib.sla.config import default_config
from chalicelib.sla.escalation import Alert, alert_key, digest_alert, due_alerts, throttle
from chalicelib.sla.terms import SlaTerms

H = timedelta(hours=1)
T0 = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)
CONFIG = default_config()  # logistics: lead logistics-lead, manager operations-manager; L3 2h after breach
TERMS = SlaTerms("test", first_response=4 * H, next_update=8 * H, resolution=40 * H,
                 calendar=BusinessCalendar.twenty_four_seven())
REF = "CMP-20261123-ESC01"
BASE = "https://complaints.example.com/"


def complaint(**fields):
    base = Complaint(REF, Channel.WEB, "m-1", Sender(email="c@example.com"), "Parcel lost", "It never came",
                     T0, T0, category="delivery", priority="P3", team="logistics", assignee="logistics-agent-1")
    return base.evolve(**fields)


def event(seq, at, type, message=None, **changes):
    return Event(REF, seq, at, type, "logistics-agent-1", "agent", Visibility.PUBLIC,
                 changes={k: {"old": None, "new": v} for k, v in changes.items()}, message=message)


RECEIVED = Event(REF, 1, T0, "received", "system", "system", data={"screening": {"outcome": "accepted"}})


def alerts_at(now, sent=(), events=(RECEIVED,), **fields):
    clocks = compute_clocks(T0, events, TERMS, now)
    return due_alerts(complaint(**fields), clocks, CONFIG, now, set(sent), base_url=BASE)


def test_nothing_is_due_before_the_warning():
    assert alerts_at(T0 + 2 * H + 59 * timedelta(minutes=1)) == []


def test_l1_warning_goes_to_the_team_lead():
    [alert] = alerts_at(T0 + 3 * H)
    assert (alert.type, alert.level, alert.severity, alert.recipient) == ("sla_warning", 1, "warning", "logistics-lead")
    assert (alert.team, alert.category) == ("logistics", "delivery")
    assert alert.key == alert_key(REF, "first_response", 1, 1) == f"{REF}#first_response#1#L1"
    assert alert.subject == f"[P3] SLA warning: {REF} first response due Mon 23 Nov 2026 14:00 GMT"
    body = json.loads(json.dumps(alert.body))
    assert body["link"] == f"https://complaints.example.com/console/complaints/{REF}"
    assert (body["reference"], body["clock"], body["due_at"]) == (REF, "first_response", "2026-11-23T14:00:00+00:00")


def test_l2_breach_goes_to_the_manager_and_l3_to_the_head_of_service():
    warned = {alert_key(REF, "first_response", 1, 1)}
    [breach] = alerts_at(T0 + 4 * H, sent=warned)
    assert (breach.type, breach.level, breach.severity, breach.recipient) == (
        "sla_breach", 2, "critical", "operations-manager")
    assert breach.body["reason"].startswith("No response to the customer within 4h (24x7)")
    assert alerts_at(T0 + 5 * H, sent=warned | {breach.key}) == []  # between breach and L3
    [escalation] = alerts_at(T0 + 6 * H, sent=warned | {breach.key})
    assert (escalation.type, escalation.level, escalation.severity, escalation.recipient) == (
        "sla_escalation", 3, "critical", "head-of-service")
    assert "breached 2h ago" in escalation.subject


def test_an_alert_is_never_repeated_and_a_late_run_skips_superseded_levels():
    [breach] = alerts_at(T0 + 4 * H + 10 * timedelta(minutes=1))  # the warning run was missed
    assert breach.level == 2
    assert alerts_at(T0 + 4 * H + 20 * timedelta(minutes=1), sent={breach.key}) == []  # and no stale L1 now


def test_a_met_or_paused_clock_does_not_alert():
    responded = (RECEIVED, event(2, T0 + H, "respond", "On it", status="in_progress"))
    assert alerts_at(T0 + 5 * H, events=responded) == []
    waiting = (RECEIVED, event(2, T0 + H, "wait_on_customer", status="waiting_on_customer"))
    assert alerts_at(T0 + 5 * H, events=waiting) == []


def test_each_update_cycle_alerts_on_its_own():
    history = (
        RECEIVED,
        event(2, T0 + H, "respond", "On it", status="in_progress"),
        event(3, T0 + 2 * H, "customer_message", "News?"),
        event(4, T0 + 3 * H, "respond", "Soon"),
        event(5, T0 + 4 * H, "customer_message", "And now?"),
    )
    first_cycle_warned = {alert_key(REF, "next_update", 1, 1)}
    [alert] = alerts_at(T0 + 10 * H, events=history, sent=first_cycle_warned)
    assert alert.key == f"{REF}#next_update#2#L1" and "next update (update 2)" in alert.subject


def test_an_unassigned_p1_alerts_at_once_and_once_only():
    [alert] = alerts_at(T0, priority="P1", assignee=None)
    assert (alert.type, alert.severity, alert.recipient, alert.key) == (
        "unassigned_p1", "critical", "logistics-lead", f"{REF}#unassigned_p1")
    assert alerts_at(T0 + timedelta(minutes=5), sent={alert.key}, priority="P1", assignee=None) == []
    assert alerts_at(T0, priority="P1") == []  # assigned
    assert alerts_at(T0, priority="P2", assignee=None) == []


def test_a_p1_warning_is_critical():
    [alert] = alerts_at(T0 + 3 * H, priority="P1")
    assert (alert.level, alert.severity) == (1, "critical")


def test_a_closed_complaint_never_alerts():
    assert alerts_at(T0 + 10 * H, status=Status.CLOSED) == []


def _alert(team, severity, n):
    return Alert("sla_warning", severity, 1, team, "delivery", "lead", f"alert {n}",
                 {"reference": f"CMP-{n}", "link": f"x/{n}"}, f"CMP-{n}#first_response#1#L1")


def test_storm_protection_sends_the_most_severe_first_and_holds_the_rest_for_a_digest():
    storm = [_alert("logistics", "warning", n) for n in range(10)] + [_alert("logistics", "critical", 10)]
    quiet = [_alert("billing", "warning", 20), _alert("billing", "critical", 21)]
    result = throttle(storm + quiet, recent={"logistics": 7}, max_per_team=10)
    sent_logistics = [a for a in result.send_now if a.team == "logistics"]
    assert [a.subject for a in sent_logistics] == ["alert 10", "alert 0", "alert 1"]  # 3 left in the window
    assert len(result.held["logistics"]) == 8
    assert {a.subject for a in result.send_now if a.team == "billing"} == {"alert 20", "alert 21"}
    assert "billing" not in result.held


def test_a_team_over_its_limit_gets_only_the_digest():
    result = throttle([_alert("logistics", "critical", 1)], recent={"logistics": 12}, max_per_team=10)
    assert result.send_now == () and len(result.held["logistics"]) == 1


def test_digest_rolls_up_held_alerts():
    held = [_alert("logistics", "warning", 1), _alert("logistics", "critical", 2)]
    digest = digest_alert("logistics", held, CONFIG, T0)
    assert (digest.type, digest.severity, digest.recipient) == ("digest", "critical", "logistics-lead")
    assert digest.subject == "SLA digest for team logistics: 2 more alerts in the last 15m"
    body = json.loads(json.dumps(digest.body))
    assert [a["reference"] for a in body["alerts"]] == ["CMP-1", "CMP-2"] and body["count"] == 2
    assert digest.key == digest_alert("logistics", list(reversed(held)), CONFIG, T0 + H).key  # same alerts, same key


def test_an_alert_converts_to_the_alert_publisher_port():
    [alert] = alerts_at(T0 + 3 * H)
    port = alert.to_port()
    assert (port.type, port.severity, port.level, port.dedup_key) == ("sla_warning", "warning", "L1", alert.key)
    assert port.attributes == {"type": "sla_warning", "severity": "warning", "team": "logistics",
                               "category": "delivery", "level": "L1"}
    assert port.body["recipient"] == "logistics-lead"
