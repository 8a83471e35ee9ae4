"""SLA clocks recomputed from the event history (the history is the truth, nothing is stored incrementally).

Three clocks, measured in business time on the terms' calendar:
    first_response  from creation until the first staff message that reaches the customer (a note never counts)
    next_update     from a customer message (after the first response) until the next staff message to the customer;
                    a new cycle starts with the next customer message. Messages before the first response are
                    covered by the first-response clock; a second message while a cycle runs keeps its start.
    resolution      from creation until resolved; a reopen (or a customer message reopening it) resumes it.
Every running clock pauses while the complaint is waiting_on_customer, which moves its deadline by the paused
business time. While a complaint is resolved, closed, invalid or spam no clock runs.

Priority or team changes: the caller passes the terms of the complaint's CURRENT policy and calendar, and the
whole history is measured against them (raising P3 to P1 can make a clock breached at once, which is intended).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Iterable, Sequence

from chalicelib.domain.lifecycle import CUSTOMER_FACING, TRANSITIONS
from chalicelib.domain.model import Event, Status

from .calendar import BusinessCalendar
from .durations import format_duration
from .terms import CLOCKS, SlaTerms

# States
NOT_STARTED, RUNNING, WARNING, PAUSED, MET, STOPPED, BREACHED = (
    "not_started", "running", "warning", "paused", "met", "stopped", "breached"
)
_ACTIVE = frozenset({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS})  # statuses in which clocks run
_RUN, _PAUSE, _HALT = "run", "pause", "halt"

Span = tuple[datetime, datetime | None]  # (start, end); end None while it lasts


@dataclass(frozen=True)
class Clock:
    """One clock (or, for next_update, one cycle) as of `now`."""

    name: str  # first_response | next_update | resolution
    state: str  # not_started | running | warning | paused | met | stopped | breached
    target: timedelta  # business time
    started_at: datetime | None = None
    due_at: datetime | None = None  # breach instant; None while paused before it (it moves on resume)
    warning_at: datetime | None = None  # when elapsed reaches warning_at x target; same rules as due_at
    elapsed: timedelta = timedelta(0)  # business time counted so far (running time only)
    paused: tuple[Span, ...] = ()  # waiting-on-customer spans while this clock was live
    stopped_at: datetime | None = None  # when it was met or stopped
    met: bool = False  # what it waits for happened (a response, a resolution)
    late: bool = False  # the target was exceeded: met late, or breached while still open
    running: bool = False  # counting right now
    cycle: int = 1  # next_update: 1 for the first customer message after the first response, then 2, ...
    reason: str | None = None  # plain words, when late

    @property
    def remaining(self) -> timedelta:
        return max(self.target - self.elapsed, timedelta(0))


@dataclass(frozen=True)
class SlaClocks:
    first_response: Clock
    next_update: Clock  # the latest cycle
    resolution: Clock
    update_cycles: tuple[Clock, ...] = ()  # every next-update cycle, oldest first
    policy: str = ""

    @property
    def current(self) -> tuple[Clock, Clock, Clock]:
        return self.first_response, self.next_update, self.resolution

    @property
    def breached(self) -> bool:
        """Any clock, including earlier update cycles, went past its target."""
        return any(c.late for c in (self.first_response, self.resolution, *self.update_cycles))

    def clock(self, name: str) -> Clock:
        if name not in CLOCKS:
            raise ValueError(f"unknown clock {name!r}")
        return getattr(self, name)


def compute_clocks(created_at: datetime, events: Iterable[Event], terms: SlaTerms, now: datetime) -> SlaClocks:
    """All clocks as of `now`, from the complaint's creation instant and its history (any order; sorted by seq).

    Events after `now` are ignored, so the same history answers "what did the clocks say at time t".
    """
    history = sorted((e for e in events if e.at <= now), key=lambda e: e.seq)
    status = _initial_status(history)
    first = _Tracker("first_response", created_at, status)
    resolution = _Tracker("resolution", created_at, status)
    cycles: list[_Tracker] = []
    for event in history:
        live_cycle = cycles[-1] if cycles and cycles[-1].live else None
        if reaches_customer(event):
            for tracker in (first, live_cycle):
                if tracker is not None and tracker.live:
                    tracker.finish(event.at)
        new_status = _status_after(event, status)
        if event.type == "customer_message" and first.met and live_cycle is None:
            cycles.append(_Tracker("next_update", event.at, new_status, cycle=len(cycles) + 1))
        if new_status != status:
            status = new_status
            if status == Status.RESOLVED and resolution.live:
                resolution.finish(event.at, status)
            elif status in _ACTIVE and not resolution.live:  # reopened
                resolution.reopen(event.at)
            for tracker in (first, resolution, *cycles):
                tracker.follow(event.at, status)
    measured = [_measure(t, terms, now) for t in (first, *cycles, resolution)]
    updates = tuple(measured[1:-1])
    idle = Clock("next_update", NOT_STARTED, terms.next_update)
    return SlaClocks(measured[0], updates[-1] if updates else idle, measured[-1], updates, terms.policy)


def next_deadline(clocks: SlaClocks, now: datetime, escalate_after: timedelta | None = None) -> datetime | None:
    """The earliest warning or breach instant after `now` of a running clock (for the due-time index).

    With escalate_after (config escalation.l3_after_breach), breach + delay of a running clock counts too, so
    the scheduler also wakes up for L3 escalations. Paused and stopped clocks have no upcoming instants.
    """
    instants = []
    for clock in clocks.current:
        if not clock.running:
            continue
        instants += [clock.warning_at, clock.due_at]
        if escalate_after is not None and clock.due_at is not None:
            instants.append(clock.due_at + escalate_after)
    upcoming = [i for i in instants if i is not None and i > now]
    return min(upcoming, default=None)


def reaches_customer(event: Event) -> bool:
    """A staff event whose message was sent to the customer (lifecycle.reaches_customer, for stored events)."""
    return event.type in CUSTOMER_FACING and bool(event.message and event.message.strip())


# -- history walking -----------------------------------------------------------------------------------------
@dataclass
class _Tracker:
    """The running/paused spans of one clock (cycle) while walking the history."""

    name: str
    started_at: datetime
    status: Status
    cycle: int = 1
    live: bool = True  # still waiting for what stops it
    met: bool = False
    stopped_at: datetime | None = None
    stopped_by: Status | None = None  # the status that halted it without being met
    mode: str = _HALT
    segments: list[list] = field(default_factory=list)  # [start, end|None] while running
    paused: list[list] = field(default_factory=list)  # [start, end|None] while waiting on the customer

    def __post_init__(self) -> None:
        self.follow(self.started_at, self.status)

    def follow(self, at: datetime, status: Status) -> None:
        """Run, pause or halt according to the complaint's status."""
        self.status = status
        if not self.live:
            return self._switch(at, _HALT)
        mode = _RUN if status in _ACTIVE else _PAUSE if status == Status.WAITING_ON_CUSTOMER else _HALT
        self._switch(at, mode)
        if mode == _HALT:
            self.stopped_at, self.stopped_by = at, status
        else:
            self.stopped_at = self.stopped_by = None

    def finish(self, at: datetime, status: Status | None = None) -> None:
        self._switch(at, _HALT)
        self.live, self.met, self.stopped_at, self.stopped_by = False, True, at, status

    def reopen(self, at: datetime) -> None:
        self.live, self.met, self.stopped_at, self.stopped_by = True, False, None, None

    def _switch(self, at: datetime, mode: str) -> None:
        if mode == self.mode:
            return
        if self.mode == _RUN:
            self.segments[-1][1] = at
        elif self.mode == _PAUSE:
            self.paused[-1][1] = at
        if mode == _RUN:
            self.segments.append([at, None])
        elif mode == _PAUSE:
            self.paused.append([at, None])
        self.mode = mode


def _initial_status(history: Sequence[Event]) -> Status:
    """NEW, unless the creation event says screening rejected it (then no clock ever runs)."""
    if history and history[0].type == "received":
        outcome = (history[0].data.get("screening") or {}).get("outcome")
        if outcome not in (None, "accepted"):
            return Status.INVALID if outcome != "spam" else Status.SPAM
    return Status.NEW


def _status_after(event: Event, status: Status) -> Status:
    """The status an event leaves: its recorded change, else the state machine's target for its action."""
    change = event.changes.get("status")
    if change and change.get("new"):
        return Status(change["new"])
    rule = TRANSITIONS.get(event.type)
    return rule.to if rule is not None and rule.to is not None else status


# -- measuring -----------------------------------------------------------------------------------------------
def _measure(tracker: _Tracker, terms: SlaTerms, now: datetime) -> Clock:
    calendar, target = terms.calendar, terms.target(tracker.name)
    segments = [(s, e) for s, e in tracker.segments]
    elapsed = sum((calendar.elapsed(s, e or now) for s, e in segments), timedelta(0))
    running = tracker.mode == _RUN
    end = tracker.stopped_at if not running and tracker.mode == _HALT else None
    due, late = _crossing(calendar, segments, target, now, end)
    warning_at, warned = _crossing(calendar, segments, target * terms.warning_at, now, end)
    phase = RUNNING if running else PAUSED if tracker.mode == _PAUSE else MET if tracker.met else STOPPED
    if late:
        state = BREACHED
    elif phase == RUNNING and warned:
        state = WARNING
    else:
        state = phase
    paused = tuple((s, e) for s, e in tracker.paused)
    clock = Clock(
        name=tracker.name, state=state, target=target, started_at=tracker.started_at, due_at=due,
        warning_at=warning_at, elapsed=elapsed, paused=paused, stopped_at=tracker.stopped_at, met=tracker.met,
        late=late, running=running, cycle=tracker.cycle,
    )
    if late:
        clock = _with_reason(clock, calendar, tracker, now)
    return clock


def _crossing(
    calendar: BusinessCalendar, segments: list[tuple], threshold: timedelta, now: datetime, stopped_at: datetime | None
) -> tuple[datetime | None, bool]:
    """When the running time reaches `threshold`, and whether that has happened (strictly before a stop).

    A running clock gets its (future or past) instant; a stopped one that never got there gets the deadline as it
    stood when it stopped; a paused one that has not got there gets None (the instant moves when it resumes).
    """
    counted = timedelta(0)
    for start, end in segments:
        if end is None:  # running now
            instant = calendar.add_business(start, threshold - counted)
            return instant, instant <= now
        span = calendar.elapsed(start, end)
        if counted + span >= threshold:
            instant = calendar.add_business(start, threshold - counted)
            if instant < end:
                return instant, True
        counted += span
    if stopped_at is not None and segments:
        start = segments[-1][0]
        return calendar.add_business(start, threshold - (counted - calendar.elapsed(start, segments[-1][1]))), False
    return None, False


def _with_reason(clock: Clock, calendar: BusinessCalendar, tracker: _Tracker, now: datetime) -> Clock:
    """A breach in plain words: what was missed, on which calendar, pauses, and what happened since."""
    within = f"within {target_text(clock.target, calendar)} ({calendar.describe()})"
    if clock.name == "first_response":
        parts = [f"No response to the customer {within}"]
        done, pending, what = "the first response came at", "it has not come yet", "a response"
    elif clock.name == "next_update":
        parts = [f"No update to the customer {within} after their message at {when(clock.started_at, calendar)}"]
        done, pending, what = "the update came at", "it has not come yet", "an update"
    else:
        parts = [f"Not resolved {within}"]
        done, pending, what = "it was resolved at", "it is not resolved yet", "a resolution"
    parts.append(f"it was due at {when(clock.due_at, calendar)}")
    paused = sum((calendar.elapsed(s, e or now) for s, e in clock.paused), timedelta(0))
    if paused > timedelta(0):
        parts.append(f"the clock was paused for {format_duration(paused)} of business time waiting on the customer")
    if clock.met:
        parts.append(f"{done} {when(clock.stopped_at, calendar)}")
    elif tracker.mode == _HALT and tracker.stopped_by is not None:
        parts.append(f"the complaint became {tracker.stopped_by.value.replace('_', ' ')} without {what}")
    else:
        parts.append(pending)
    return replace(clock, reason="; ".join(parts) + ".")


def target_text(target: timedelta, calendar: BusinessCalendar) -> str:
    """'4h of business time', '3 business days', '1 business day 4h'; on 24x7: '1h', '1d 2h'."""
    if calendar.always_open:
        return format_duration(target, days=True)
    days, rest = divmod(target, calendar.day_length)
    if not days:
        return f"{format_duration(rest)} of business time"
    text = f"{days} business day{'s' if days != 1 else ''}"
    return f"{text} {format_duration(rest)}" if rest else text


def when(at: datetime | None, calendar: BusinessCalendar) -> str:
    """An instant in the calendar's timezone, e.g. 'Mon 23 Nov 2026 15:10 GMT'."""
    return calendar.local(at).strftime("%a %d %b %Y %H:%M %Z") if at else "an unknown time"

