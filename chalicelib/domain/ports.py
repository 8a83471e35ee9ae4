"""What the domain needs from the outside world. Adapters implement these; tests use in-memory fakes."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .model import Complaint, Event, IntakeMessage


@dataclass(frozen=True)
class ComplaintQuery:
    status: str | None = None
    team: str | None = None
    priority: str | None = None
    channel: str | None = None
    category: str | None = None
    breached: bool | None = None
    needs_triage: bool | None = None  # True: the triage queue (open complaints the classifier was unsure of)
    created_from: datetime | None = None
    created_to: datetime | None = None
    limit: int = 25
    cursor: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Complaint]
    next_cursor: str | None = None


DUE_LANES = frozenset({"assignee", "team"})
LANE_KINDS = DUE_LANES | {"status", "triage", "email", "phone", "month"}
Position = tuple[str, str]  # (the index's sort value as stored, reference): where a read of a lane stopped


UNASSIGNED = "unassigned#"  # by_assignee_due's key for a team's open complaints that nobody has: UNASSIGNED + team

# A team's or a status's index partition would take every complaint of the team or in the status: it is written as
# INDEX_SHARDS keys ("<key>#<shard>", the shard a hash of the reference), so no key takes more than its share of the
# writes, and a lane of those kinds is read as one lane per shard, merged (domain.inbox.read_page).
INDEX_SHARDS = 8
SHARDED_LANES = frozenset({"team", "status"})


def shard_of(reference: str) -> int:
    return zlib.crc32(reference.encode()) % INDEX_SHARDS


def sharded(key: str, reference: str) -> str:
    """The index key a complaint is written under in a sharded partition."""
    return f"{key}#{shard_of(reference)}"


def lanes_of(kind: str, key: str) -> tuple[Lane, ...]:
    """The lanes that read `key` of `kind`: one per shard where the index is sharded."""
    if kind in SHARDED_LANES:
        return tuple(Lane(kind, key, shard) for shard in range(INDEX_SHARDS))
    return (Lane(kind, key),)


def assignee_key(complaint: Complaint) -> str | None:
    """The complaint's key in by_assignee_due: its assignee, or UNASSIGNED + its team; None once closed."""
    if not complaint.status.is_open:
        return None
    if complaint.assignee:
        return complaint.assignee
    return UNASSIGNED + complaint.team if complaint.team else None


@dataclass(frozen=True)
class Lane:
    """One partition of an index that a staff queue reads, in the index's order.

    "assignee" (by_assignee_due) and "team" (by_team_sla_due): open complaints, soonest SLA deadline first;
    "status", "triage", "email", "phone", "month" (by_status, by_triage, by_email, by_phone, by_month): newest first.
    """

    kind: str
    key: str
    shard: int | None = None  # of a sharded partition (see `lanes_of`)

    @property
    def ascending(self) -> bool:
        return self.kind in DUE_LANES

    @property
    def partition(self) -> str:
        """The index key it reads."""
        return self.key if self.shard is None else f"{self.key}#{self.shard}"


@dataclass(frozen=True)
class Chunk:
    """What one read of a lane found: each complaint with its position, how many items it read, and where the
    next read goes on (None: the lane has no more)."""

    items: list[tuple[Complaint, Position]]
    read: int
    after: Position | None


@dataclass(frozen=True)
class Delivery:
    channel: str
    recipient: str
    message_id: str
    extra: dict[str, Any] = field(default_factory=dict)
    thread_ids: tuple[str, ...] = ()  # e-mail: the Message-IDs a reply to this message may carry (ours, the provider's)
    failure: str | None = None  # set when the provider refused the message for good (and it was not sent)


class DeliveryFailed(Exception):
    """A transport could not send. `permanent`: retrying cannot help (bad address, rejected content, opted out)."""

    def __init__(self, reason: str, permanent: bool):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


@dataclass(frozen=True)
class Alert:
    """A message for managers. The attributes become SNS message attributes, so subscribers can filter on them."""

    type: str  # e.g. delivery_failed, sla_warning, sla_breach, spike
    severity: str  # info | warning | critical
    subject: str
    body: dict[str, Any]
    team: str | None = None
    category: str | None = None
    level: str | None = None
    dedup_key: str | None = None

    @property
    def attributes(self) -> dict[str, str]:
        values = {"type": self.type, "severity": self.severity, "team": self.team, "category": self.category,
                  "level": self.level}
        return {name: value for name, value in values.items() if value}


class AlertPublisher(Protocol):
    def publish(self, alert: Alert) -> None: ...


class AckLimiter(Protocol):
    def allow(self, sender: str, day: str, reference: str) -> bool:
        """True while `sender` has had fewer acknowledgements than the cap on `day` (YYYY-MM-DD), or this very
        reference was allowed before (a retry); counts the reference when it allows it."""


class ComplaintRepository(Protocol):
    def create(self, complaint: Complaint, events: list[Event], dedup_key: str) -> bool:
        """Store a new complaint with its first events, atomically; False if dedup_key was already stored."""

    def reference_for_message(self, dedup_key: str) -> str | None: ...

    def get(self, reference: str) -> Complaint:
        """Raises NotFound."""

    def find(self, reference: str) -> Complaint | None: ...

    def get_many(self, references: list[str]) -> list[Complaint]:
        """The complaints, in the given order, those found (one batched read; a list may lag a write a moment)."""

    def save(self, complaint: Complaint, event: Event, claim: str | None = None) -> bool:
        """Store a change and its event; raises ConcurrentModification unless stored version == complaint.version - 1.
        With `claim` (a channel message's dedup key), also claims it in the same write: False if it was claimed before."""

    def history(self, reference: str) -> list[Event]: ...

    def event(self, reference: str, seq: int) -> Event | None:
        """One entry of the history (one GetItem)."""

    def set_next_due(self, reference: str, version: int, next_due_at: datetime | None) -> None:
        """Moves the next due instant (derived, no event) if the complaint is still at `version`."""

    def remember_message(self, dedup_key: str, reference: str, at: datetime) -> None:
        """Index one of our outgoing Message-IDs (or any key) to a complaint, so replies to it can be matched."""

    def search(self, query: ComplaintQuery) -> Page: ...

    def for_customer(self, email: str | None, phone: str | None, limit: int = 50) -> list[Complaint]: ...

    def open_for_team(self, team: str, due_before: datetime | None = None, limit: int = 100) -> list[Complaint]: ...

    def for_category(self, category: str, start: datetime, end: datetime, limit: int | None = None) -> list[Complaint]:
        """The category's complaints created in [start, end], newest first, at most `limit`."""

    def latest_in_category(self, category: str, limit: int) -> list[Complaint]:
        """The category's newest complaints, at most `limit` read (similar cases on the complaint page)."""
        ...

    def read_lane(self, lane: Lane, limit: int, after: Position | None = None,
                  bound: datetime | None = None, fetch: bool = True) -> Chunk:
        """At most `limit` complaints of the lane after `after`, in the lane's order (one Query). `bound`: only those
        due by then (due lanes) or created since then (the others). Without `fetch`, only the positions (the
        complaints may be None): enough to count."""

    def open_for_assignee(self, member_id: str, limit: int = 25, cursor: str | None = None) -> Page:
        """The member's open complaints, soonest SLA deadline first; next_cursor continues."""


class IntakeQueue(Protocol):
    def send(self, message: IntakeMessage) -> None: ...


class CustomerNotifier(Protocol):
    def send(self, complaint: Complaint, kind: str, text: str) -> Delivery | None:
        """Send text to the customer through the complaint's channel; None when there is no way to reach them."""


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class SmsConsentChange:
    """A customer's STOP / START / HELP keyword: the new consent state of the number, and what asked for it."""

    phone: str  # E.164
    keyword: str  # the word as sent, upper-cased (STOP, UNSUBSCRIBE, YES, INFO, ...)
    action: str  # stop | start | help
    state: str  # opted_out | opted_in (HELP keeps the current state)
    at: datetime
    message_id: str
    provider: str  # aws | twilio


class SmsConsents(Protocol):
    def record(self, change: SmsConsentChange) -> bool:
        """Store the number's state (for stop/start) and an audit entry; False (nothing changed) for a keyword
        message recorded before (a re-delivery)."""

    def opted_out(self, phone: str) -> bool: ...
