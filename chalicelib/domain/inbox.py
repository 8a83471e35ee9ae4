"""The staff inbox: which index partitions (lanes) each view reads, how their pages merge, and what a row shows.
Pure Python over the repository port (chalicelib.domain.ports.read_lane); the console page is chalicelib.web.
console_inbox."""
from __future__ import annotations

import base64
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from .lifecycle import next_due
from .model import Complaint
from .ports import UNASSIGNED, Chunk, ComplaintRepository, Lane, Page, Position, lanes_of


def queue_due(complaint: Complaint) -> datetime | None:
    """Where an open complaint stands in the queues (the `sla_due_at` the inbox indexes sort by): its SLA deadline
    that matters now (first response until there is one, then resolution; in the past once breached), else when it
    came in; None once it is not open. Unlike next_due_at (the next instant the SLA timers wake up for, which is
    absent while every clock is paused or once the last escalation is past), it is there for every open complaint."""
    if not complaint.status.is_open:
        return None
    return next_due(complaint) or complaint.created_at


# -- cursors: opaque to the browser, not secrets (base64 of JSON); a cursor we did not issue reads as none ----------
def encode(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None) -> Any:
    if not cursor or len(cursor) > 4000:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return None


def position(value: Any) -> Position | None:
    """A position from a decoded cursor: two short strings, else None."""
    if (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and 0 < len(v) <= 64 for v in value)):
        return value[0], value[1]
    return None


def lane_page(repository: ComplaintRepository, lane: Lane, limit: int, cursor: str | None) -> Page:
    """One page of a single lane: `limit` complaints and a cursor when there are more (one Query of limit + 1)."""
    chunk: Chunk = repository.read_lane(lane, limit + 1, position(decode(cursor)))
    shown = chunk.items[:limit]
    more = len(chunk.items) > limit
    return Page([c for c, _ in shown], encode(list(shown[-1][1])) if more else None)


# -- views: which lanes each one reads ------------------------------------------------------------------------------
PAGE_SIZE = 25
DUE_SOON = timedelta(hours=4)  # the `due` view: deadlines within this, and those past
# Items one page of a view reads at most. A view whose index serves it reads a page and one item (limit + 1), or,
# merging several lanes (one per team), about a page plus a chunk per lane (chunks of (page + 1) / lanes), since a
# lane is read only while it may hold a row ahead of what the others offer. A view that filters what it reads
# (the form's filters) reads the rows it shows plus every
# item it skips: its reads grow with the page size times the number of teams, plus the skipped ones (its chunks grow
# with the share a lane skipped, for fewer round trips). READ_CAP stops a page there, and the page says so; Next page
# goes on from where it stopped.
READ_CAP = 4 * PAGE_SIZE
MIN_CHUNK, MAX_CHUNK = 5, 100  # items one read of a lane asks for
SEARCH_DAYS = 7  # words are looked for in the complaints of the last SEARCH_DAYS (by_month, newest first)
SEARCH_READ_CAP = 500  # items one page of a word search reads at most

VIEWS = ("mine", "unassigned", "triage", "due", "waiting", "review", "duplicates", "all")
MANAGER_VIEWS = frozenset({"all"})
REVIEW_STATUSES = ("spam", "invalid")
SORTS = ("due", "created", "updated")


def views_for(role: str) -> tuple[str, ...]:
    return tuple(v for v in VIEWS if v not in MANAGER_VIEWS or role in ("manager", "admin"))


@dataclass(frozen=True)
class Filters:
    """The form's filters, applied to the rows a view reads (a team or a review status picks the lanes instead)."""

    statuses: tuple[str, ...] = ()
    priority: str | None = None
    channel: str | None = None
    category: str | None = None
    team: str | None = None
    assignee: str | None = None  # a member's id, or NOBODY

    def keep(self, c: Complaint) -> bool:
        return ((not self.statuses or c.status.value in self.statuses)
                and (self.priority is None or c.priority == self.priority)
                and (self.channel is None or c.channel.value == self.channel)
                and (self.category is None or c.category == self.category)
                and (self.team is None or c.team == self.team)
                and (self.assignee is None or c.assignee == (None if self.assignee == NOBODY else self.assignee)))

    @property
    def active(self) -> bool:
        return any((self.statuses, self.priority, self.channel, self.category, self.team, self.assignee))


NOBODY = "-"  # the assignee filter's value for "unassigned"


def _always(_: Complaint) -> bool:
    return True


@dataclass(frozen=True)
class Plan:
    """What a page reads: lanes of one kind (merged in their order), a bound, the rows it keeps, at most `cap`."""

    lanes: tuple[Lane, ...]
    bound: datetime | None = None
    keep: Callable[[Complaint], bool] = _always
    cap: int = READ_CAP


def teams_of(member: Any, configured: Iterable[str]) -> tuple[str, ...]:
    """The member's teams; a manager or admin in no team looks after every team."""
    if member.teams:
        return tuple(member.teams)
    return tuple(sorted(configured)) if member.role in ("manager", "admin") else ()


def plan(view: str, member: Any, configured_teams: Iterable[str], now: datetime, filters: Filters = Filters()) -> Plan:
    """The lanes a view reads for `member`, narrowed by the filters an index can serve (team, review status)."""
    configured = tuple(sorted(configured_teams))
    mine = teams_of(member, configured)

    def teams(scope: tuple[str, ...]) -> tuple[Lane, ...]:
        chosen = [t for t in scope if filters.team in (None, t)]
        return tuple(lane for t in chosen for lane in lanes_of("team", t))

    def combined(keep: Callable[[Complaint], bool]) -> Callable[[Complaint], bool]:
        return keep if not filters.active else (lambda c: keep(c) and filters.keep(c))

    if view == "mine":
        return Plan((Lane("assignee", member.id),), keep=combined(_always))
    if view == "unassigned":  # by_assignee_due keeps a team's unassigned ones under UNASSIGNED + team
        chosen = [t for t in mine if filters.team in (None, t)]
        return Plan(tuple(Lane("assignee", UNASSIGNED + t) for t in chosen), keep=combined(_always))
    if view == "due":
        return Plan(teams(mine), bound=now + DUE_SOON, keep=combined(_always))
    if view == "all":
        return Plan(teams(configured), keep=combined(_always))
    if view == "triage":
        return Plan((Lane("triage", "needs_triage"),), keep=combined(_always))
    if view == "waiting":
        return Plan(lanes_of("status", "waiting_on_customer"), keep=combined(_always))
    if view == "duplicates":
        return Plan(lanes_of("status", "duplicate"), keep=combined(_always))
    if view == "review":
        statuses = [s for s in REVIEW_STATUSES if not filters.statuses or s in filters.statuses]
        return Plan(tuple(lane for s in statuses for lane in lanes_of("status", s)), keep=combined(_always))
    raise ValueError(f"unknown view {view!r}")


# -- reading a page: lanes merged in order, lazily, within the cap --------------------------------------------------
@dataclass(frozen=True)
class Result:
    rows: list[Complaint]
    cursor: str | None  # the next page; None: this is the last
    read: int  # items read from the indexes
    capped: bool = False  # stopped at the plan's cap: there may be more rows than shown

    @property
    def count(self) -> str:
        """The view's count as its link shows it: the rows up to a page, "25+" when there are more."""
        return f"{len(self.rows)}+" if self.cursor else str(len(self.rows))


@dataclass
class _LaneRead:
    lane: Lane
    name: str
    start: Position | None
    read_to: Position | None = None
    done: bool = False
    buffer: deque = field(default_factory=deque)
    seen: int = 0  # items read from this lane on this page
    kept: int = 0  # of which the plan kept

    def chunk(self, wanted: int, lanes: int) -> int:
        """How many items to ask for: this lane's share of the rows still wanted, grown by the share it skipped so
        far (so a filtered read takes fewer round trips), at most MAX_CHUNK."""
        share = max(MIN_CHUNK, -(-wanted // lanes))
        if self.kept:
            share = share * self.seen // self.kept
        elif self.seen:
            share = max(share, 2 * self.seen)
        return min(MAX_CHUNK, share)


def read_page(repository: ComplaintRepository, plan: Plan, limit: int = PAGE_SIZE,
              cursor: str | None = None, rows: bool = True) -> Result:
    """One page of the plan: its lanes' complaints merged in the lanes' order (soonest deadline first, or newest
    first), the rows `plan.keep` accepts, `limit` of them; reads a chunk of a lane only when the merge needs its next
    item, and stops at `plan.cap` items read (at least a chunk of each lane and the page). The cursor keeps, per lane,
    where the next page goes on. An unfiltered plan merges index positions only and then fetches the page's rows in
    one batched read; without `rows` (a count) its rows are None."""
    fetch = plan.keep is not _always
    saved = decode(cursor)
    saved = saved.get("l") if isinstance(saved, dict) else None
    saved = saved if isinstance(saved, dict) else {}
    lanes = []
    for lane in plan.lanes:
        name = f"{lane.kind}:{lane.partition}"
        if saved.get(name) == 0:
            continue  # finished on an earlier page
        start = position(saved.get(name))
        lanes.append(_LaneRead(lane, name, start, start))
    ascending = all(lane.ascending for lane in plan.lanes)
    pick = min if ascending else max

    def before(frontier: Position | None, head: Position) -> bool:  # the lane may still hold a row ahead of head
        return frontier is None or (frontier < head if ascending else frontier > head)

    cap = max(plan.cap, len(lanes) * MIN_CHUNK + limit)  # a plan of many lanes (shards) reads a chunk of each
    read, capped, taken = 0, False, []
    while len(taken) <= limit:
        heads = [state for state in lanes if state.buffer]
        best = pick(heads, key=lambda state: state.buffer[0][1]) if heads else None
        behind = [state for state in lanes if not state.buffer and not state.done
                  and (best is None or before(state.read_to, best.buffer[0][1]))]
        if behind:  # read on in the lane furthest behind before anything is shown ahead of it
            if read >= cap:
                capped = True
                break
            unread = [other for other in behind if other.read_to is None]
            state = unread[0] if unread else pick(behind, key=lambda other: other.read_to)  # the furthest behind
            alive = sum(1 for other in lanes if not other.done)
            size = min(state.chunk(limit + 1 - len(taken), len(lanes)),  # and its share of what the cap leaves
                       max(MIN_CHUNK, (cap - read) // alive), cap - read)
            found = repository.read_lane(state.lane, size, state.read_to, plan.bound, fetch=fetch)
            kept = [item for item in found.items if plan.keep(item[0])]
            read, state.seen, state.kept = read + found.read, state.seen + found.read, state.kept + len(kept)
            state.read_to, state.done = (found.after or state.read_to), found.after is None
            state.buffer.extend(kept)
            continue
        if best is None:
            break
        complaint, at = best.buffer.popleft()
        taken.append((complaint, best, at))
    shown = taken[:limit]
    found = [c for c, _, _ in shown]
    if rows and not fetch:
        found = repository.get_many([at[1] for _, _, at in shown])
    return Result(found, _next_cursor(lanes, shown, taken[limit:]), read, capped)


def _next_cursor(lanes: list[_LaneRead], shown: list, unshown: list) -> str | None:
    last_shown = {state.name: at for _, state, at in shown}
    pending = {state.name for _, state, _ in unshown} | {state.name for state in lanes if state.buffer}
    positions: dict[str, Any] = {}
    for state in lanes:
        if state.name in pending:  # it has kept rows not shown yet: go on after its last one shown
            at = last_shown.get(state.name, state.start)
            positions[state.name] = list(at) if at else None
        elif state.done:
            positions[state.name] = 0
        else:  # all it read was shown or skipped
            positions[state.name] = list(state.read_to) if state.read_to else None
    if all(value == 0 for value in positions.values()):
        return None
    return encode({"l": positions})


def sort_rows(rows: list[Complaint], by: str) -> list[Complaint]:
    """Within the page: by SLA deadline (soonest first), or newest created or updated first."""
    if by == "created":
        return sorted(rows, key=lambda c: c.created_at, reverse=True)
    if by == "updated":
        return sorted(rows, key=lambda c: c.updated_at, reverse=True)
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(rows, key=lambda c: (queue_due(c) or far, c.reference))


# -- search -----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Search:
    """What the search box asked: a reference (opens its page), an e-mail or phone (its index), or words (the
    subject and text of the last SEARCH_DAYS, at most SEARCH_READ_CAP items read a page)."""

    kind: str  # reference | email | phone | words | empty
    value: str
    plan: Plan | None = None


def search(text: str, now: datetime) -> Search:
    from .reference import is_reference

    text = " ".join((text or "").split())[:200]
    if not text:
        return Search("empty", "")
    if is_reference(text.upper()):
        return Search("reference", text.upper())
    if "@" in text and " " not in text:
        email = text.lower()
        return Search("email", email, Plan((Lane("email", email),)))
    phone = _phone(text)
    if phone:
        return Search("phone", phone, Plan((Lane("phone", phone),)))
    words = [w.casefold() for w in text.split()]
    since = now - timedelta(days=SEARCH_DAYS)
    months = sorted({f"{now:%Y-%m}", f"{since:%Y-%m}"}, reverse=True)

    def matches(c: Complaint) -> bool:
        haystack = f"{c.subject}\n{c.description}".casefold()
        return all(word in haystack for word in words)

    return Search("words", text, Plan(tuple(Lane("month", m) for m in months), bound=since, keep=matches,
                                      cap=SEARCH_READ_CAP))


def _phone(text: str) -> str | None:
    import re

    if not re.fullmatch(r"\+?[0-9][0-9 ().-]{5,20}", text):
        return None
    from ..phones import normalize_phone

    try:
        return normalize_phone(text)
    except ValueError:
        return None


# -- what a row shows ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SlaState:
    """The SLA as a row shows it: breached, due_soon, on_track, paused (waiting on the customer) or none, and the
    time to the deadline that matters now (or past it)."""

    state: str
    deadline: datetime | None = None
    overdue: bool = False
    days: int = 0
    hours: int = 0
    minutes: int = 0


def sla_state(complaint: Complaint, now: datetime) -> SlaState:
    deadline = next_due(complaint)
    if deadline is None:
        return SlaState("none")
    seconds = int((deadline - now).total_seconds())
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    parts = dict(deadline=deadline, overdue=seconds < 0, days=days, hours=rest // 60, minutes=rest % 60)
    if complaint.status.value == "waiting_on_customer":
        return SlaState("paused", **parts)
    if complaint.breached or seconds < 0:
        return SlaState("breached", **parts)
    return SlaState("due_soon" if deadline - now <= DUE_SOON else "on_track", **parts)


def reply_state(complaint: Complaint) -> str | None:
    """"wrote_again": the customer wrote since our last reply; "no_reply": open and never answered; else None."""
    if complaint.customer_wrote_at is not None and complaint.status.is_open:
        return "wrote_again"
    if complaint.status.is_open and complaint.first_response_at is None:
        return "no_reply"
    return None
