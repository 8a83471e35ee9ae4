"""SLA timer firings over a simulated weekend at 1 million complaints a day, with the shipped policies (not timed).

Business-hours deadlines make every weekend complaint's instants coincide (each P3 first-response warning falls on
Monday 15:00). Each complaint keeps one schedule, at its soonest instant moved by a fixed part of its policy's
alert_lateness; this counts the firings per second that those schedules need if nobody answers anything (the worst
case: the warning and breach of the first-response and resolution clocks all fire; the L3 escalations, hours later,
are the sweeper's). The instants come
from the real SlaKeeper for one complaint per minute and priority (a complaint created a few seconds later in the
same minute moves with them only while its calendar is open); the spread comes from the real spread function, for
every complaint."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from chalicelib.domain.model import Event, Visibility
from chalicelib.sla.clocks import compute_clocks
from chalicelib.sla.config import default_config
from chalicelib.sla.keeper import SlaKeeper
from chalicelib.sla.terms import spread_seconds
from tests.fakes import make_complaint

PER_DAY = 1_000_000
MIX = {"P1": 0.02, "P2": 0.18, "P3": 0.50, "P4": 0.30}  # share of complaints per priority
SATURDAY = datetime(2026, 12, 5, tzinfo=timezone.utc)
MINUTES = 2 * 24 * 60
QUOTA = 500  # firings in any second, the goal (EventBridge Scheduler's quota is 1,000 a second per account)


def instants(keeper: SlaKeeper, priority: str, created: datetime) -> tuple[dict[str, int], int]:
    """Seconds after SATURDAY of each instant an unanswered complaint waits for, and its policy's lateness."""
    complaint = make_complaint("CMP-SIM", priority=priority, created_at=created, team="logistics")
    received = Event(complaint.reference, 1, created, "received", "system", "system", Visibility.PUBLIC)
    terms = keeper.terms(complaint)
    clocks = compute_clocks(created, [received], terms, created)
    found = keeper.instants(complaint, [received], clocks)
    return {key: int((at - SATURDAY).total_seconds()) for key, at in found.items()}, \
        int(terms.alert_lateness.total_seconds())


def test_a_weekend_at_a_million_a_day_never_needs_more_than_500_firings_a_second():
    keeper = SlaKeeper(default_config())
    per_minute = PER_DAY / (24 * 60)
    horizon = 14 * 24 * 3600  # resolution targets reach into the next week
    firings = np.zeros(horizon, dtype=np.int32)
    unspread = np.zeros(horizon, dtype=np.int32)  # the same instants without the spread, for comparison
    late = {}
    owed = dict.fromkeys(MIX, 0.0)
    for minute in range(MINUTES):
        start = SATURDAY + timedelta(minutes=minute)
        for priority, share in MIX.items():
            owed[priority] += per_minute * share
            count, owed[priority] = int(owed[priority]), owed[priority] - int(owed[priority])
            if not count:
                continue
            first, lateness = instants(keeper, priority, start)
            last, _ = instants(keeper, priority, start + timedelta(seconds=59))
            late[priority] = lateness
            for key, at in first.items():
                moving = last.get(key) != at  # open calendar: the instant moves with the creation second
                for n in range(count):
                    second = at + (n * 60 // count if moving else 0)
                    reference = f"CMP-{minute:04d}-{priority}-{n:04d}"
                    firings[second + spread_seconds(reference, key, lateness)] += 1
                    unspread[second] += 1
    peak = int(firings.max())
    when = SATURDAY + timedelta(seconds=int(firings.argmax()))
    total = int(firings.sum())
    print(f"\nweekend at {PER_DAY:,} complaints a day: {MINUTES * per_minute:,.0f} complaints, {total:,} firings "
          f"(each complaint's warning and breach of both clocks, nobody answering; L3 escalations are the sweeper's)")
    print(f"  lateness per priority: {', '.join(f'{p} {s // 60} min' for p, s in late.items())}")
    print(f"  busiest second without the spread: {int(unspread.max()):,} firings at "
          f"{SATURDAY + timedelta(seconds=int(unspread.argmax())):%a %H:%M:%S}")
    print(f"  busiest second with it: {peak:,} firings at {when:%a %H:%M:%S} (goal <= {QUOTA})")
    complaints = sum(round(MINUTES * per_minute * share) for share in MIX.values())
    assert total == int(unspread.sum()) == 4 * complaints  # every complaint's four alerts were counted
    assert peak <= QUOTA
