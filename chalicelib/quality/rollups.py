"""KPI rollups, built incrementally from the complaint event stream, and the KPI report read from them.

Buckets are keyed by (period, start, dimension, value):
    period     day | week (starts on Monday) | month, cut in one time zone (UTC unless the caller passes one)
    start      the period's first day, ISO: 2026-11-23
    dimension  all | team | channel | category | agent; value "all" for all, "unassigned" when missing
and hold additive integer counters. `updates_for(event, complaint)` maps ONE event to at most MAX_INCREMENTS
increments (one per period x dimension, all on the event's own date; a correction adds moved_increments),
whatever the amount of data; events that
count nothing give none. Increments are pure: processing the same event again gives the same list, so the
storage layer adds them (DynamoDB ADD) once, guarded by a marker on `idempotency_key(event)`.

Attribution: a fact counts on the day it happens (a resolution on the day it is resolved), in the team, channel,
category and agent the complaint has then. One exception keeps the stock right: a complaint counts under its
current category and team, so a correction of either (a re-categorisation, a re-routing) moves the complaint's
received, volume and open counts (`moved_increments`) from the old value's buckets of the day it was received to
the new value's: the old value's counters go down by what the new value's go up, and every total stays the same.

Counters (names are the storage attribute names):
    received             complaints created, whatever their screening outcome
    volume               accepted complaints (+1 when a duplicate is unlinked into a complaint of its own, or a
                         screened-out one is released)
    screened_out         created as invalid or spam; screened_released: later released by staff (false positives)
    duplicates           created as a duplicate; duplicates_unlinked: later unlinked by staff
    negative_sentiment   accepted complaints whose classifier sentiment is <= NEGATIVE_SENTIMENT
    priority_rule:<rule>/<P>   accepted complaints whose priority P that severity rule set, with no raise: the
                         volume against which retraining weighs the staff's priority corrections of the rule
    opened / closed      entered / left an open status (new, acknowledged, in progress, waiting on customer):
                         backlog = opening backlog + sum(opened) - sum(closed). Resolving leaves the backlog,
                         a reopen re-enters it.
    frt_count, frt_sum_s, frt_hNN   first responses: count, seconds since creation, histogram bucket NN
    res_count, res_sum_s, res_hNN   resolutions (every resolve event), seconds since creation, histogram
    resolved_first       first resolutions of a complaint (no earlier resolve event)
    fcr                  first-contact resolutions, see below
    reopened             a resolved (or closed) complaint became open again (reopen, or the customer wrote)
    sla_met_<clock> / sla_breached_<clock>   a clock stopped in time / late (first_response, resolution, and
                         next_update when the caller passes verdicts from chalicelib.sla)
    surveys_sent, csat_count, csat_sum, csat_satisfied (score 4-5), csat_low (score 1-2)
    cause:<root cause>, cause:<root cause>/<sub-cause>   resolutions by root cause (sub-cause from the resolve
                         event's data["sub_cause"] when present)

First-contact resolution (FCR), precisely: a resolve event counts as first-contact when (1) it is the complaint's
first resolution (no earlier resolve event in its history) and (2) no customer contact (customer_message or
duplicate_received) is in the history after the complaint's first staff message that reached the customer.
Contacts before the first response do not count (the customer is still waiting for us). The verdict is final
when counted: a later reopen is counted in `reopened` (the reopen rate), and the complaint's next resolution is
not first-contact. Deciding this needs the history before the event, so resolve events need `history`
(`needs_history(event)` says when; one Query of the complaint's events).

Survey events (appended by the survey endpoint): "survey_sent", and "survey_answered" with data {"score": 1..5}.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Callable, Iterable, Mapping, Sequence

from chalicelib.domain.lifecycle import CUSTOMER_FACING
from chalicelib.domain.model import Complaint, Event

from . import histogram

PERIODS = ("day", "week", "month")
DIMENSIONS = ("all", "team", "channel", "category", "agent")
# The running balance of each series: one bucket (period "total", start "all") holding every opened and closed
# ever counted, so the backlog at any day is the balance minus what moved since, read without the series' history.
BALANCE, BALANCE_START = "total", "all"
MAX_INCREMENTS = (len(PERIODS) + 1) * len(DIMENSIONS)
ALL, UNASSIGNED = "all", "unassigned"
STAFF_ROLES = frozenset({"agent", "manager", "admin"})
OPEN = frozenset({"new", "acknowledged", "in_progress", "waiting_on_customer"})
DONE = frozenset({"resolved", "closed"})
CUSTOMER_CONTACTS = frozenset({"customer_message", "duplicate_received"})
CLOCKS = ("first_response", "next_update", "resolution")
NEGATIVE_SENTIMENT = -0.1  # classifier sentiment at or below this is negative (triage.sentiment's neutral band)
SURVEY_SENT, SURVEY_ANSWERED = "survey_sent", "survey_answered"

RECEIVED, VOLUME, SCREENED_OUT = "received", "volume", "screened_out"
DUPLICATES, DUPLICATES_UNLINKED, NEGATIVE = "duplicates", "duplicates_unlinked", "negative_sentiment"
SCREENED_RELEASED = "screened_released"
OPENED, CLOSED, REOPENED = "opened", "closed", "reopened"
FRT, RES = "frt", "res"  # prefixes of the first-response and resolution duration counters
RESOLVED_FIRST, FCR = "resolved_first", "fcr"
SURVEYS_SENT, CSAT_COUNT, CSAT_SUM, CSAT_SATISFIED, CSAT_LOW = (
    "surveys_sent", "csat_count", "csat_sum", "csat_satisfied", "csat_low")
CAUSE_PREFIX = "cause:"
PRIORITY_RULE_PREFIX = "priority_rule:"


# -- keys and increments ----------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class RollupKey:
    period: str  # day | week | month
    start: str  # ISO date of the period's first day
    dimension: str  # all | team | channel | category | agent
    value: str

    @property
    def partition_key(self) -> str:
        """One time series per partition: 'day#category#billing'; query it by sort key (start) range."""
        return f"{self.period}#{self.dimension}#{self.value}"

    @property
    def sort_key(self) -> str:
        return self.start

    @classmethod
    def from_keys(cls, partition_key: str, sort_key: str) -> "RollupKey":
        period, dimension, value = partition_key.split("#", 2)
        return cls(period, sort_key, dimension, value)


@dataclass(frozen=True)
class RollupIncrement:
    key: RollupKey
    deltas: Mapping[str, int]  # counter name -> amount to ADD


@dataclass(frozen=True)
class RollupBucket:
    key: RollupKey
    counters: Mapping[str, int]


def idempotency_key(event: Event) -> str:
    """One marker per event: a stream record processed twice has the same key, so it is counted once."""
    return f"rollup#{event.reference}#{event.seq}"


def needs_history(event: Event) -> bool:
    """Whether updates_for needs the complaint's history for this event (only resolutions, for FCR)."""
    return event.type == "resolve"


def updates_for(
    event: Event,
    complaint: Complaint,
    history: Sequence[Event] | None = None,
    *,
    sla: Mapping[str, bool] | None = None,
    tz: tzinfo = timezone.utc,
    periods: Sequence[str] = PERIODS,
    dimensions: Sequence[str] = DIMENSIONS,
) -> list[RollupIncrement]:
    """The increments one event causes: the same counter deltas in every (period, dimension) bucket of its day.

    complaint: the complaint as stored with this event (version == event.seq, e.g. a stream NEW_IMAGE).
    history:   the complaint's events (any order; those from event.seq on are ignored); needed for resolve.
    sla:       clock -> met, for the clocks that stopped at this event (see verdicts_from_clocks); by default
               first response and resolution are judged against the complaint's stored due instants.
    """
    deltas = counter_deltas(event, complaint, history, sla=sla)
    day = _local_day(event.at, tz)
    own = [
        RollupIncrement(RollupKey(period, period_start(day, period), dimension, value), dict(deltas))
        for period in periods
        for dimension, value in dimension_values(event, complaint, dimensions)
    ] if deltas else []
    moved = moved_increments(event, complaint, tz=tz, periods=periods, dimensions=dimensions)
    return _merged([*own, *moved, *_balance(own + moved, periods)])


def _balance(increments: list[RollupIncrement], periods: Sequence[str]) -> list[RollupIncrement]:
    """The day buckets' opened and closed, added to their series' running balance too."""
    if "day" not in periods:
        return []
    return [RollupIncrement(RollupKey(BALANCE, BALANCE_START, i.key.dimension, i.key.value), moved)
            for i in increments if i.key.period == "day"
            and (moved := {n: a for n, a in i.deltas.items() if n in (OPENED, CLOSED) and a})]


def _merged(increments: list[RollupIncrement]) -> list[RollupIncrement]:
    """One increment per bucket (a transaction may touch each item once)."""
    by_key: dict[RollupKey, Counter[str]] = {}
    for increment in increments:
        by_key.setdefault(increment.key, Counter()).update(increment.deltas)
    return [RollupIncrement(key, {n: a for n, a in deltas.items() if a}) for key, deltas in by_key.items()
            if any(deltas.values())]


MOVABLE = {"category": "category", "team": "team"}  # complaint field -> the dimension it is counted under


def moved_increments(event: Event, complaint: Complaint, *, tz: tzinfo = timezone.utc,
                     periods: Sequence[str] = PERIODS, dimensions: Sequence[str] = DIMENSIONS) -> list[RollupIncrement]:
    """A correction of category or team moves the complaint's stock (received, volume when accepted, open when
    it is open now) from the old value to the new one, in the buckets of the day it was received: at most
    2 x periods x 2 increments, and none for any other event."""
    def before(name: str) -> Any:  # the complaint's value before this event
        return _plain((event.changes.get(name) or {}).get("old", getattr(complaint, name)))

    # What was counted under the old value; what this event counts itself (a release's volume) goes to the new one.
    stock = {RECEIVED: 1, VOLUME: int(before("screening_outcome") == "accepted"), OPENED: int(before("status") in OPEN)}
    stock = {name: amount for name, amount in stock.items() if amount}
    day = _local_day(complaint.created_at, tz)
    moved = []
    for field_name, dimension in MOVABLE.items():
        change = event.changes.get(field_name)
        if dimension not in dimensions or not change or _clean(change.get("old")) == _clean(change.get("new")):
            continue
        for period in periods:
            start = period_start(day, period)
            moved.append(RollupIncrement(RollupKey(period, start, dimension, _clean(change.get("old"))),
                                         {name: -amount for name, amount in stock.items()}))
            moved.append(RollupIncrement(RollupKey(period, start, dimension, _clean(change.get("new"))), dict(stock)))
    return moved


def counter_deltas(
    event: Event, complaint: Complaint, history: Sequence[Event] | None = None, *, sla: Mapping[str, bool] | None = None
) -> dict[str, int]:
    """What one event adds to each of its buckets (an empty dict for events that count nothing)."""
    deltas: Counter[str] = Counter()
    if event.type == "received":
        _count_intake(event, complaint, deltas)
    _count_status_change(event, deltas)
    if event.type == "unlink_duplicate":
        deltas[DUPLICATES_UNLINKED] += 1
        deltas[VOLUME] += 1
    if event.type == "release":
        deltas[SCREENED_RELEASED] += 1
        deltas[VOLUME] += 1
    if event.type in ("mark_spam", "mark_invalid"):  # staff screened it out after all: no longer in the volume
        deltas[SCREENED_OUT] += 1
        deltas[VOLUME] -= 1
    responded = _newly_set(event, "first_response_at")
    if responded:
        _count_duration(deltas, FRT, event.at - complaint.created_at)
    if event.type == "resolve":
        _count_resolution(event, complaint, history, deltas)
    if event.type == SURVEY_SENT:
        deltas[SURVEYS_SENT] += 1
    if event.type == SURVEY_ANSWERED:
        _count_answer(event, deltas)
    verdicts = sla if sla is not None else _due_verdicts(event, complaint, responded)
    for clock, met in verdicts.items():
        deltas[f"sla_{'met' if met else 'breached'}_{clock}"] += 1
    return {name: amount for name, amount in deltas.items() if amount}


def verdicts_from_clocks(clocks: Any, event: Event) -> dict[str, bool]:
    """clock -> met, for the clocks of a chalicelib.sla.clocks.SlaClocks (computed with the history up to this
    event) that were met at this event's instant. Business-time verdicts with pauses, instead of due instants."""
    verdicts: dict[str, bool] = {}
    for clock in (clocks.first_response, clocks.resolution, *clocks.update_cycles):
        if clock.met and clock.stopped_at == event.at:
            verdicts[clock.name] = not clock.late
    return verdicts


def period_start(day: date, period: str) -> str:
    if period == "day":
        return day.isoformat()
    if period == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if period == "month":
        return day.replace(day=1).isoformat()
    if period == BALANCE:
        return BALANCE_START
    raise ValueError(f"unknown period {period!r}; one of {', '.join(PERIODS)}")


def dimension_values(event: Event, complaint: Complaint,
                     dimensions: Sequence[str] = DIMENSIONS) -> list[tuple[str, str]]:
    """(dimension, value) for each dimension. The agent is the staff member who acted, else the assignee."""
    agent = event.actor if event.actor_role in STAFF_ROLES else complaint.assignee
    values = {
        "all": ALL,
        "team": complaint.team,
        "channel": _plain(complaint.channel),
        "category": complaint.category,
        "agent": agent,
    }
    unknown = [d for d in dimensions if d not in values]
    if unknown:
        raise ValueError(f"unknown dimension {unknown[0]!r}; one of {', '.join(DIMENSIONS)}")
    return [(d, _clean(values[d])) for d in dimensions]


def _count_intake(event: Event, complaint: Complaint, deltas: Counter[str]) -> None:
    deltas[RECEIVED] += 1
    outcome = (event.data.get("screening") or {}).get("outcome") or _outcome_from_status(complaint)
    if outcome == "accepted":
        deltas[VOLUME] += 1
        deltas[OPENED] += 1
        classification = event.data.get("classification") or complaint.classification or {}
        sentiment = classification.get("sentiment")
        if isinstance(sentiment, (int, float)) and sentiment <= NEGATIVE_SENTIMENT:
            deltas[NEGATIVE] += 1
        rule, priority = classification.get("priority_rule"), classification.get("priority")
        if rule and priority and not classification.get("priority_raised"):
            deltas[f"{PRIORITY_RULE_PREFIX}{rule}/{priority}"] += 1
    elif outcome == "duplicate":
        deltas[DUPLICATES] += 1
    else:
        deltas[SCREENED_OUT] += 1


def _outcome_from_status(complaint: Complaint) -> str:
    status = _plain(complaint.status)
    if status in OPEN:
        return "accepted"
    return "duplicate" if status == "duplicate" or getattr(complaint, "duplicate_of", None) else status


def _count_status_change(event: Event, deltas: Counter[str]) -> None:
    change = event.changes.get("status")
    if not change:
        return
    old, new = _plain(change.get("old")), _plain(change.get("new"))
    if old in OPEN and new not in OPEN:
        deltas[CLOSED] += 1
    if new in OPEN and old not in OPEN:
        deltas[OPENED] += 1
        if old in DONE:
            deltas[REOPENED] += 1


def _count_resolution(event: Event, complaint: Complaint, history: Sequence[Event] | None,
                      deltas: Counter[str]) -> None:
    if history is None:
        raise ValueError("a resolve event needs the complaint's history (see needs_history)")
    _count_duration(deltas, RES, event.at - complaint.created_at)
    first, first_contact = first_contact_resolution(event, history)
    deltas[RESOLVED_FIRST] += first
    deltas[FCR] += first_contact
    cause = (event.changes.get("root_cause") or {}).get("new") or complaint.root_cause
    if cause:
        deltas[CAUSE_PREFIX + cause] += 1
        sub = event.data.get("sub_cause")
        if sub:
            deltas[f"{CAUSE_PREFIX}{cause}/{sub}"] += 1


def first_contact_resolution(event: Event, history: Sequence[Event]) -> tuple[bool, bool]:
    """(first resolution, first-contact resolution) for a resolve event, from the history before it."""
    earlier = sorted((e for e in history if e.seq < event.seq), key=lambda e: e.seq)
    if any(e.type == "resolve" for e in earlier):
        return False, False
    responded = False
    for past in earlier:
        if responded and past.type in CUSTOMER_CONTACTS:
            return True, False
        responded = responded or (past.type in CUSTOMER_FACING and bool(past.message and past.message.strip()))
    return True, True


def _count_answer(event: Event, deltas: Counter[str]) -> None:
    score = int(event.data["score"])
    deltas[CSAT_COUNT] += 1
    deltas[CSAT_SUM] += score
    deltas[CSAT_SATISFIED] += score >= 4
    deltas[CSAT_LOW] += score <= 2


def _count_duration(deltas: Counter[str], prefix: str, elapsed: timedelta) -> None:
    seconds = max(elapsed.total_seconds(), 0.0)
    deltas[f"{prefix}_count"] += 1
    deltas[f"{prefix}_sum_s"] += round(seconds)
    deltas[f"{prefix}_h{histogram.bucket_of(seconds):02d}"] += 1


def _due_verdicts(event: Event, complaint: Complaint, responded: bool) -> dict[str, bool]:
    verdicts = {}
    if responded and complaint.first_response_due_at is not None:
        verdicts["first_response"] = event.at <= complaint.first_response_due_at
    if event.type == "resolve" and complaint.resolution_due_at is not None:
        verdicts["resolution"] = event.at <= complaint.resolution_due_at
    return verdicts


def _newly_set(event: Event, name: str) -> bool:
    change = event.changes.get(name)
    return bool(change) and change.get("old") is None and change.get("new") is not None


def _plain(value: Any) -> Any:
    """An enum's value (Status, Channel), or the value itself when it is stored as a string."""
    return getattr(value, "value", value)


def _clean(value: str | None) -> str:
    """'#' separates key parts, so it may not appear inside a value."""
    return (value or UNASSIGNED).replace("#", "%23")


def _local_day(moment: datetime, tz: tzinfo) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(tz).date()


# -- in-memory store (tests; the DynamoDB adapter follows the same rules) ----------------------------------------
class RollupStore:
    """Buckets in a dict. apply() counts a batch once per idempotency key, like a conditional marker write."""

    def __init__(self) -> None:
        self._counters: dict[RollupKey, Counter[str]] = {}
        self._processed: set[str] = set()
        self.writes = 0  # increments applied (one DynamoDB UpdateItem each)

    def apply(self, idempotency: str, increments: Iterable[RollupIncrement]) -> bool:
        """Adds the increments unless this key was applied before; False for a replay."""
        if idempotency in self._processed:
            return False
        self._processed.add(idempotency)
        for increment in increments:
            self._counters.setdefault(increment.key, Counter()).update(increment.deltas)
            self.writes += 1
        return True

    def apply_many(self, entries: Sequence[tuple[str, Sequence[RollupIncrement]]]) -> int:
        """apply() for each (idempotency key, increments); how many were new."""
        return sum(self.apply(key, increments) for key, increments in entries)

    def ingest(self, event: Event, complaint: Complaint, history: Sequence[Event] | None = None,
               **options: Any) -> bool:
        """updates_for + apply under the event's idempotency key, as the stream worker does."""
        return self.apply(idempotency_key(event), updates_for(event, complaint, history, **options))

    def get(self, key: RollupKey) -> RollupBucket | None:
        counters = self._counters.get(key)
        return RollupBucket(key, dict(counters)) if counters is not None else None

    def query(self, period: str, dimension: str = "all", value: str = ALL, start: str | None = None,
              end: str | None = None) -> list[RollupBucket]:
        """One series' buckets with start <= period start <= end (ISO dates, both optional), oldest first."""
        return [
            RollupBucket(key, dict(counters))
            for key, counters in sorted(self._counters.items())
            if key.period == period and key.dimension == dimension and key.value == value
            and (start is None or key.start >= start) and (end is None or key.start <= end)
        ]

    def values(self, dimension: str) -> list[str]:
        """The values seen for a dimension (e.g. every category)."""
        return sorted({key.value for key in self._counters if key.dimension == dimension})


# -- KPI report -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DurationStats:
    count: int
    mean_s: float | None
    median_s: float | None  # approximate (histogram)
    p90_s: float | None  # approximate (histogram)


@dataclass(frozen=True)
class SlaCompliance:
    met: int
    breached: int

    @property
    def rate(self) -> float | None:
        return _ratio(self.met, self.met + self.breached)


@dataclass(frozen=True)
class BacklogAge:
    count: int
    mean_days: float | None
    median_days: float | None
    p90_days: float | None
    oldest_days: float | None


@dataclass(frozen=True)
class KpiReport:
    buckets: int
    received: int
    volume: int
    screened_out: int
    duplicates: int  # net of unlinked ones
    duplicate_rate: float | None  # duplicates / received
    negative_sentiment: int
    negative_share: float | None  # negative / volume
    first_response: DurationStats
    resolution: DurationStats
    sla: dict[str, SlaCompliance]  # per clock, only clocks with verdicts
    sla_compliance: float | None  # all clocks together
    resolved: int  # resolve events
    resolved_first: int
    resolution_rate: float | None  # first resolutions / volume (above 1: the backlog shrank)
    first_contact_resolutions: int
    fcr_rate: float | None  # fcr / resolved
    reopened: int
    reopen_rate: float | None  # reopened / resolved
    backlog_change: int  # opened - closed in these buckets
    backlog: int  # opening backlog + change
    backlog_age: BacklogAge | None
    surveys_sent: int
    csat_responses: int
    csat_average: float | None
    csat_satisfied_share: float | None  # scores 4-5 / responses
    csat_low: int
    survey_response_rate: float | None  # responses / surveys sent
    root_causes: dict[str, int]  # "process" and "process/handoff" -> resolutions
    counters: dict[str, int] = field(repr=False, default_factory=dict)  # the summed raw counters


def merge(buckets: Iterable[RollupBucket]) -> tuple[int, Counter[str]]:
    """(bucket count, summed counters) of buckets of one period kind and one dimension value."""
    buckets = list(buckets)
    series = {(b.key.period, b.key.dimension, b.key.value) for b in buckets}
    if len(series) > 1:
        raise ValueError(f"mixed buckets would count events more than once: {sorted(series)}")
    total: Counter[str] = Counter()
    for bucket in buckets:
        total.update(bucket.counters)
    return len(buckets), total


def kpis(
    buckets: Iterable[RollupBucket],
    *,
    open_complaints: Iterable[Complaint] = (),
    now: datetime | None = None,
    opening_backlog: int = 0,
) -> KpiReport:
    """The KPIs of a set of buckets of ONE series (same period kind, dimension and value: e.g. the 7 day buckets
    of a week). Backlog age needs the open complaints and `now`; opening_backlog is the backlog before the first
    bucket (sum of opened - closed over all earlier buckets of the series, e.g. its month buckets)."""
    count, c = merge(buckets)
    resolved, volume, received = c[f"{RES}_count"], c[VOLUME], c[RECEIVED]
    duplicates = c[DUPLICATES] - c[DUPLICATES_UNLINKED]
    sla = {
        clock: SlaCompliance(c[f"sla_met_{clock}"], c[f"sla_breached_{clock}"])
        for clock in CLOCKS if c[f"sla_met_{clock}"] or c[f"sla_breached_{clock}"]
    }
    met, breached = sum(s.met for s in sla.values()), sum(s.breached for s in sla.values())
    change = c[OPENED] - c[CLOSED]
    return KpiReport(
        buckets=count,
        received=received,
        volume=volume,
        screened_out=c[SCREENED_OUT] - c[SCREENED_RELEASED],
        duplicates=duplicates,
        duplicate_rate=_ratio(duplicates, received),
        negative_sentiment=c[NEGATIVE],
        negative_share=_ratio(c[NEGATIVE], volume),
        first_response=duration_stats(c, FRT),
        resolution=duration_stats(c, RES),
        sla=sla,
        sla_compliance=_ratio(met, met + breached),
        resolved=resolved,
        resolved_first=c[RESOLVED_FIRST],
        resolution_rate=_ratio(c[RESOLVED_FIRST], volume),
        first_contact_resolutions=c[FCR],
        fcr_rate=_ratio(c[FCR], resolved),
        reopened=c[REOPENED],
        reopen_rate=_ratio(c[REOPENED], resolved),
        backlog_change=change,
        backlog=opening_backlog + change,
        backlog_age=backlog_age(open_complaints, now) if now is not None else None,
        surveys_sent=c[SURVEYS_SENT],
        csat_responses=c[CSAT_COUNT],
        csat_average=_ratio(c[CSAT_SUM], c[CSAT_COUNT]),
        csat_satisfied_share=_ratio(c[CSAT_SATISFIED], c[CSAT_COUNT]),
        csat_low=c[CSAT_LOW],
        survey_response_rate=_ratio(c[CSAT_COUNT], c[SURVEYS_SENT]),
        root_causes={name[len(CAUSE_PREFIX):]: n for name, n in sorted(c.items()) if name.startswith(CAUSE_PREFIX)},
        counters=dict(c),
    )


def duration_stats(counters: Mapping[str, int], prefix: str) -> DurationStats:
    count = counters.get(f"{prefix}_count", 0)
    hist = {i: counters.get(f"{prefix}_h{i:02d}", 0) for i in range(histogram.BUCKETS)}
    return DurationStats(
        count=count,
        mean_s=_ratio(counters.get(f"{prefix}_sum_s", 0), count),
        median_s=histogram.quantile(hist, 0.5),
        p90_s=histogram.quantile(hist, 0.9),
    )


def backlog_age(open_complaints: Iterable[Complaint], now: datetime) -> BacklogAge:
    """Age in days of the complaints still open (exact: computed from the list, not from buckets)."""
    ages = sorted(
        (now - c.created_at).total_seconds() / 86400
        for c in open_complaints if _plain(c.status) in OPEN
    )
    if not ages:
        return BacklogAge(0, None, None, None, None)
    return BacklogAge(len(ages), statistics.fmean(ages), statistics.median(ages), quantile(ages, 0.9), ages[-1])


def quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default) of an ascending, non-empty sequence."""
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


# -- named metrics (for scores, PDCA targets and alerts) --------------------------------------------------------
def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


# name -> (value, the number of observations behind it)
METRICS: dict[str, Callable[[KpiReport], tuple[float | None, int]]] = {
    "volume": lambda r: (float(r.volume), r.volume),
    "first_response_mean_hours": lambda r: (_hours(r.first_response.mean_s), r.first_response.count),
    "first_response_median_hours": lambda r: (_hours(r.first_response.median_s), r.first_response.count),
    "first_response_p90_hours": lambda r: (_hours(r.first_response.p90_s), r.first_response.count),
    "resolution_mean_hours": lambda r: (_hours(r.resolution.mean_s), r.resolution.count),
    "resolution_median_hours": lambda r: (_hours(r.resolution.median_s), r.resolution.count),
    "resolution_p90_hours": lambda r: (_hours(r.resolution.p90_s), r.resolution.count),
    "sla_compliance": lambda r: (r.sla_compliance, sum(s.met + s.breached for s in r.sla.values())),
    "resolution_rate": lambda r: (r.resolution_rate, r.volume),
    "fcr_rate": lambda r: (r.fcr_rate, r.resolved),
    "reopen_rate": lambda r: (r.reopen_rate, r.resolved),
    "duplicate_rate": lambda r: (r.duplicate_rate, r.received),
    "negative_share": lambda r: (r.negative_share, r.volume),
    "csat_average": lambda r: (r.csat_average, r.csat_responses),
    "csat_satisfied_share": lambda r: (r.csat_satisfied_share, r.csat_responses),
    "survey_response_rate": lambda r: (r.survey_response_rate, r.surveys_sent),
}


def metric(report: KpiReport, name: str) -> tuple[float | None, int]:
    """(value, observations) of a named KPI; raises ValueError for an unknown name."""
    if name not in METRICS:
        raise ValueError(f"unknown KPI {name!r}; one of {', '.join(METRICS)}")
    return METRICS[name](report)
