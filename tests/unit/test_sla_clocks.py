"""SLA clocks recomputed from real lifecycle events (chalicelib.domain.lifecycle.apply)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.lifecycle import CUSTOMER, Actor, Command, apply
from chalicelib.domain.model import Channel, Complaint, Event, Sender, Visibility
from chalicelib.sla.calendar import BusinessCalendar, weekly_hours
from chalicelib.sla.config import default_config
from chalicelib.sla.clocks import (
    BREACHED, MET, NOT_STARTED, PAUSED, RUNNING, STOPPED, WARNING, compute_clocks, next_deadline,
)
from chalicelib.sla.keeper import SlaKeeper
from chalicelib.sla.terms import SlaTerms

LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
WEEKDAYS = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
OFFICE = BusinessCalendar("uk-office", "Europe/London", weekly_hours(WEEKDAYS))
TERMS = SlaTerms("P3 normal", first_response=4 * H, next_update=8 * H, resolution=24 * H, calendar=OFFICE)
AGENT = Actor("alice", "agent")
MON = 23  # Monday 23 November 2026 (GMT, so London time equals UTC)


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


class History:
    """A complaint created at Monday 10:00, moved through the real state machine."""

    def __init__(self, created=None):
        self.created = created or at(MON, 10)
        self.complaint = Complaint(
            "CMP-20261123-TEST1", Channel.EMAIL, "m-1", Sender(email="c@example.com"), "Broken", "It broke",
            self.created, self.created, version=1,
        )
        self.events = [Event(self.complaint.reference, 1, self.created, "received", "system", "system",
                             Visibility.PUBLIC, data={"screening": {"outcome": "accepted"}})]

    def do(self, when, action, message=None, actor=AGENT, **fields):
        if action == "resolve":
            fields = {"resolution_code": "fixed", "root_cause": "process", **fields}
        self.complaint, event = apply(self.complaint, Command(action, message=message, **fields), actor, when)
        self.events.append(event)
        return self

    def customer(self, when, text="Any news?"):
        return self.do(when, "customer_message", text, actor=CUSTOMER)

    def clocks(self, now, terms=TERMS):
        return compute_clocks(self.created, self.events, terms, now)


def test_clocks_start_at_creation_with_due_and_warning_instants():
    clocks = History().clocks(at(MON, 11))
    first = clocks.first_response
    assert (first.state, first.running, first.elapsed) == (RUNNING, True, H)
    assert (first.due_at, first.warning_at) == (at(MON, 14), at(MON, 13))
    assert clocks.resolution.due_at == at(MON + 3, 10)  # three 8h business days
    assert clocks.next_update.state == NOT_STARTED and clocks.update_cycles == ()
    assert next_deadline(clocks, at(MON, 11)) == at(MON, 13)


def test_a_note_or_an_acknowledgement_does_not_stop_the_first_response_clock():
    history = History().do(at(MON, 10, 5), "acknowledge").do(at(MON, 11), "note", "Called the warehouse")
    first = history.clocks(at(MON, 15)).first_response
    assert first.state == BREACHED and not first.met and first.running
    assert first.reason.endswith("it has not come yet.")


def test_a_response_stops_the_first_response_clock_in_time():
    first = History().do(at(MON, 12), "respond", "Looking into it").clocks(at(MON, 16)).first_response
    assert (first.state, first.met, first.late, first.running) == (MET, True, False, False)
    assert (first.stopped_at, first.elapsed, first.due_at) == (at(MON, 12), 2 * H, at(MON, 14))
    assert first.reason is None


def test_a_response_exactly_at_the_deadline_is_in_time():
    first = History().do(at(MON, 14), "respond", "Looking into it").clocks(at(MON, 16)).first_response
    assert first.state == MET and not first.late


def test_a_late_response_is_met_but_breached():
    clocks = History().do(at(MON, 15, 30), "respond", "Sorry for the wait").clocks(at(MON, 16))
    first = clocks.first_response
    assert (first.state, first.met, first.late) == (BREACHED, True, True)
    assert clocks.breached
    assert "the first response came at Mon 23 Nov 2026 15:30 GMT" in first.reason


def test_waiting_without_a_message_is_not_a_response_and_pauses_the_clock():
    history = History().do(at(MON, 11), "wait_on_customer")
    paused = history.clocks(at(MON + 1, 10)).first_response
    assert (paused.state, paused.running, paused.due_at, paused.elapsed) == (PAUSED, False, None, H)
    assert paused.paused == ((at(MON, 11), None),)
    # The customer answers a day later: the 3h left count from then.
    resumed = history.customer(at(MON + 1, 11)).clocks(at(MON + 1, 12)).first_response
    assert (resumed.state, resumed.due_at) == (RUNNING, at(MON + 1, 14))
    assert resumed.paused == ((at(MON, 11), at(MON + 1, 11)),)


def test_waiting_on_the_customer_moves_the_resolution_deadline_by_the_paused_business_time():
    history = History().do(at(MON, 10, 30), "respond", "Can you send a photo?")
    assert history.clocks(at(MON, 11)).resolution.due_at == at(MON + 3, 10)
    history.do(at(MON, 11), "wait_on_customer", "Waiting for your photo")
    paused = history.clocks(at(MON + 1, 10))
    assert paused.resolution.state == PAUSED and next_deadline(paused, at(MON + 1, 10)) is None
    history.customer(at(MON + 1, 11), "Here it is")
    resolution = history.clocks(at(MON + 1, 12)).resolution
    assert resolution.due_at == at(MON + 4, 10)  # 8h of business time later: one business day
    assert resolution.paused == ((at(MON, 11), at(MON + 1, 11)),)
    assert resolution.elapsed == 2 * H  # Mon 10-11 and Tue 11-12


def test_the_update_clock_starts_at_each_customer_message_and_stops_at_the_next_response():
    history = History().do(at(MON, 11), "respond", "On it")
    history.customer(at(MON, 12))
    cycle1 = history.clocks(at(MON, 13)).next_update
    assert (cycle1.state, cycle1.cycle, cycle1.started_at) == (RUNNING, 1, at(MON, 12))
    assert cycle1.due_at == at(MON + 1, 12)
    history.do(at(MON + 1, 10), "respond", "Update: replacement sent")
    history.customer(at(MON + 1, 11)).customer(at(MON + 1, 15), "Hello??")  # the second one keeps the start
    clocks = history.clocks(at(MON + 2, 12))
    assert [c.cycle for c in clocks.update_cycles] == [1, 2]
    first_cycle, second_cycle = clocks.update_cycles
    assert (first_cycle.state, first_cycle.stopped_at) == (MET, at(MON + 1, 10))
    assert (second_cycle.state, second_cycle.started_at) == (BREACHED, at(MON + 1, 11))
    assert second_cycle.due_at == at(MON + 2, 11)
    assert clocks.next_update is second_cycle
    assert "after their message at Tue 24 Nov 2026 11:00 GMT" in second_cycle.reason


def test_a_customer_message_before_the_first_response_is_covered_by_the_first_response_clock():
    clocks = History().customer(at(MON, 11)).clocks(at(MON, 12))
    assert clocks.next_update.state == NOT_STARTED
    assert clocks.first_response.state == RUNNING


def test_resolve_stops_the_resolution_clock_and_reopen_resumes_it():
    history = History().do(at(MON, 10, 30), "respond", "On it").do(at(MON + 1, 10), "resolve", "Fixed")
    resolved = history.clocks(at(MON + 2, 10))
    assert (resolved.resolution.state, resolved.resolution.elapsed) == (MET, 8 * H)
    assert not any(c.running for c in resolved.current) and next_deadline(resolved, at(MON + 2, 10)) is None
    history.do(at(MON + 2, 10), "reopen")
    resolution = history.clocks(at(MON + 2, 11)).resolution
    assert (resolution.state, resolution.met) == (RUNNING, False)
    assert resolution.elapsed == 9 * H  # the day it stayed resolved is not counted
    assert resolution.due_at == at(MON + 4, 10)


def test_a_customer_message_reopens_a_resolved_complaint_and_starts_an_update_cycle():
    history = History().do(at(MON, 10, 30), "respond", "On it").do(at(MON + 1, 10), "resolve", "Fixed")
    history.customer(at(MON + 2, 10), "Still broken")
    clocks = history.clocks(at(MON + 2, 11))
    assert history.complaint.status.value == "in_progress"
    assert clocks.resolution.state == RUNNING and clocks.resolution.elapsed == 9 * H
    assert (clocks.next_update.state, clocks.next_update.started_at) == (RUNNING, at(MON + 2, 10))


def test_closing_keeps_the_resolution_met_and_nothing_runs():
    history = History().do(at(MON, 11), "resolve", "Refunded").do(at(MON, 12), "close")
    clocks = history.clocks(at(MON + 5, 12))
    assert (clocks.first_response.state, clocks.resolution.state) == (MET, MET)
    assert next_deadline(clocks, at(MON + 5, 12)) is None


def test_resolving_without_a_message_stops_the_first_response_clock_unmet():
    first = History().do(at(MON, 11), "resolve").clocks(at(MON + 1, 10)).first_response
    assert (first.state, first.met, first.running) == (STOPPED, False, False)


def test_warning_then_breach_states():
    history = History()
    assert history.clocks(at(MON, 12, 59)).first_response.state == RUNNING
    assert history.clocks(at(MON, 13)).first_response.state == WARNING
    assert history.clocks(at(MON, 14)).first_response.state == BREACHED  # the scheduler fires at the due instant
    assert next_deadline(history.clocks(at(MON, 13)), at(MON, 13)) == at(MON, 14)


def test_breach_reason_in_plain_words():
    history = History().do(at(MON, 11), "wait_on_customer").customer(at(MON, 13), "Order 4411")
    first = history.clocks(at(MON + 1, 9, 30)).first_response
    assert first.reason == (
        "No response to the customer within 4h of business time (Mon–Fri 09:00–17:00 Europe/London); "
        "it was due at Mon 23 Nov 2026 16:00 GMT; "
        "the clock was paused for 2h of business time waiting on the customer; it has not come yet."
    )


def test_resolution_breach_reason_names_business_days():
    history = History().do(at(MON, 10, 30), "respond", "On it")
    resolution = history.clocks(at(MON + 4, 12)).resolution
    assert resolution.reason.startswith("Not resolved within 3 business days (Mon–Fri")
    assert resolution.reason.endswith("it is not resolved yet.")


def test_the_current_policy_measures_the_whole_history():
    history = History()
    p1 = SlaTerms("P1", first_response=H, next_update=2 * H, resolution=8 * H,
                  calendar=BusinessCalendar.twenty_four_seven())
    assert history.clocks(at(MON, 11, 30)).first_response.state == RUNNING
    assert history.clocks(at(MON, 11, 30), terms=p1).first_response.state == BREACHED


def test_next_deadline_includes_the_l3_escalation_of_a_breached_running_clock():
    clocks = History().do(at(MON, 10, 30), "respond", "On it").clocks(at(MON + 3, 11))
    assert clocks.resolution.state == BREACHED
    assert next_deadline(clocks, at(MON + 3, 11)) is None
    assert next_deadline(clocks, at(MON + 3, 11), escalate_after=2 * H) == at(MON + 3, 12)


def test_events_after_now_are_ignored():
    history = History().do(at(MON, 12), "respond", "On it")
    assert history.clocks(at(MON, 11)).first_response.state == RUNNING
    assert history.clocks(at(MON, 12)).first_response.state == MET


@pytest.mark.parametrize("outcome", ["spam", "invalid"])
def test_a_rejected_complaint_runs_no_clock(outcome):
    history = History()
    history.events[0] = Event(history.complaint.reference, 1, history.created, "received", "system", "system",
                              data={"screening": {"outcome": outcome}})
    clocks = history.clocks(at(MON, 15))
    assert [c.state for c in clocks.current] == [STOPPED, NOT_STARTED, STOPPED]
    assert next_deadline(clocks, at(MON, 15)) is None


def test_events_without_recorded_changes_fall_back_to_the_state_machine():
    created = at(MON, 10)
    events = [
        Event("CMP-X", 1, created, "received", "system", "system"),
        Event("CMP-X", 2, at(MON, 11), "wait_on_customer", "alice", "agent", Visibility.PUBLIC),
        Event("CMP-X", 3, at(MON, 12), "note", "alice", "agent", message="internal"),
    ]
    clocks = compute_clocks(created, events, TERMS, at(MON, 13))
    assert clocks.first_response.state == PAUSED and clocks.first_response.elapsed == H


def test_the_keeper_gives_intake_its_business_time_deadlines():
    friday = at(27, 16)
    new = History(created=friday).complaint.evolve(category="billing", priority="P3", team="billing")
    keeper = SlaKeeper(default_config())
    stamped = keeper.stamp(new, [], friday)
    assert (stamped.first_response_due_at, stamped.resolution_due_at) == (
        at(30, 16), datetime(2026, 12, 2, 16, tzinfo=LONDON))
    urgent = keeper.stamp(new.evolve(priority="P1"), [], friday)
    assert (urgent.first_response_due_at, urgent.resolution_due_at) == (friday + H, friday + 8 * H)
