"""In-memory fakes for the domain ports (chalicelib/domain/ports.py), plus small builders for test data.

The fakes follow the DynamoDB adapter's rules where they matter: a dedup key is claimed once, `save` succeeds only
when the stored version is complaint.version - 1 and the event's seq is new, history is append-only, and reads
hand out copies so a caller can never change stored state by mutating what it got back.
"""
from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.domain.customer_messages import message as customer_message
from chalicelib.domain.errors import ConcurrentModification, InvalidCommand, NotFound
from chalicelib.domain.model import Channel, Complaint, Event, IntakeMessage, Sender
from chalicelib.domain.inbox import lane_page, queue_due
from chalicelib.domain.ports import Chunk, ComplaintQuery, Delivery, Lane, Page, Position, assignee_key, shard_of

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


class InMemoryComplaintRepository:
    def __init__(self) -> None:
        self.complaints: dict[str, Complaint] = {}
        self.events: dict[str, list[Event]] = {}
        self.claims: dict[str, str] = {}  # dedup key -> reference
        self.saves = 0
        self.lane_reads = 0  # items read_lane read, as DynamoDB would count them

    # writes -----------------------------------------------------------------
    def create(self, complaint: Complaint, events: list[Event], dedup_key: str) -> bool:
        if dedup_key in self.claims:
            return False
        if complaint.reference in self.complaints:
            raise AssertionError(f"reference {complaint.reference} stored twice")
        self.claims[dedup_key] = complaint.reference
        self.complaints[complaint.reference] = copy.deepcopy(complaint)
        self.events[complaint.reference] = [copy.deepcopy(e) for e in events]
        return True

    def save(self, complaint: Complaint, event: Event, claim: str | None = None) -> bool:
        if claim and claim in self.claims:
            return False
        stored = self.complaints.get(complaint.reference)
        history = self.events.get(complaint.reference, [])
        if stored is None or stored.version != complaint.version - 1 or any(e.seq == event.seq for e in history):
            raise ConcurrentModification(f"{complaint.reference} changed while this action was applied")
        self.complaints[complaint.reference] = copy.deepcopy(complaint)
        history.append(copy.deepcopy(event))
        if claim:
            self.claims[claim] = complaint.reference
        self.saves += 1
        return True

    def set_next_due(self, reference: str, version: int, next_due_at: datetime | None) -> None:
        stored = self.complaints.get(reference)
        if stored is not None and stored.version == version:
            self.complaints[reference] = stored.evolve(next_due_at=next_due_at)

    def remember_message(self, dedup_key: str, reference: str, at: datetime) -> None:
        self.claims.setdefault(dedup_key, reference)

    # reads ------------------------------------------------------------------
    def reference_for_message(self, dedup_key: str) -> str | None:
        return self.claims.get(dedup_key)

    def find(self, reference: str) -> Complaint | None:
        stored = self.complaints.get(reference)
        return copy.deepcopy(stored) if stored is not None else None

    def get(self, reference: str) -> Complaint:
        complaint = self.find(reference)
        if complaint is None:
            raise NotFound(f"complaint {reference} not found")
        return complaint

    def get_many(self, references: list[str]) -> list[Complaint]:
        return [c for c in map(self.find, references) if c is not None]

    def history(self, reference: str) -> list[Event]:
        return sorted(copy.deepcopy(self.events.get(reference, [])), key=lambda e: e.seq)

    def event(self, reference: str, seq: int) -> Event | None:
        return next((copy.deepcopy(e) for e in self.events.get(reference, []) if e.seq == seq), None)

    def search(self, query: ComplaintQuery) -> Page:
        def wanted(c: Complaint) -> bool:
            return (
                (query.status is None or c.status.value == query.status)
                and (query.team is None or c.team == query.team)
                and (query.priority is None or c.priority == query.priority)
                and (query.channel is None or c.channel.value == query.channel)
                and (query.category is None or c.category == query.category)
                and (query.breached is None or c.breached == query.breached)
                and (not query.needs_triage or (c.needs_triage and c.status.is_open))
                and (query.created_from is None or c.created_at >= query.created_from)
                and (query.created_to is None or c.created_at <= query.created_to)
            )

        matches = sorted((c for c in self.complaints.values() if wanted(c)), key=lambda c: c.created_at, reverse=True)
        try:
            start = int(query.cursor) if query.cursor else 0
        except ValueError:
            raise InvalidCommand("cursor is not valid", field="cursor") from None
        end = start + query.limit
        return Page(copy.deepcopy(matches[start:end]), str(end) if end < len(matches) else None)

    def for_customer(self, email: str | None, phone: str | None, limit: int = 50) -> list[Complaint]:
        found = [
            c for c in self.complaints.values()
            if (email and c.sender.email == email) or (phone and c.sender.phone == phone)
        ]
        return copy.deepcopy(sorted(found, key=lambda c: c.created_at, reverse=True)[:limit])

    def open_for_team(self, team: str, due_before: datetime | None = None, limit: int = 100) -> list[Complaint]:
        found = [
            c for c in self.complaints.values()
            if c.status.is_open and c.team == team and c.next_due_at is not None
            and (due_before is None or c.next_due_at <= due_before)
        ]
        return copy.deepcopy(sorted(found, key=lambda c: c.next_due_at)[:limit])

    def for_category(self, category: str, start: datetime, end: datetime, limit: int | None = None) -> list[Complaint]:
        found = [c for c in self.complaints.values() if c.category == category and start <= c.created_at <= end]
        return copy.deepcopy(sorted(found, key=lambda c: c.created_at, reverse=True)[:limit])

    def latest_in_category(self, category: str, limit: int) -> list[Complaint]:
        found = [c for c in self.complaints.values() if c.category == category]
        return copy.deepcopy(sorted(found, key=lambda c: c.created_at, reverse=True)[:limit])

    def read_lane(self, lane: Lane, limit: int, after: Position | None = None,
                  bound: datetime | None = None, fetch: bool = True) -> Chunk:
        """The sparse indexes as DynamoDB keeps them: a lane's members in (sort value, reference) order."""
        sort = queue_due if lane.ascending else (lambda c: c.created_at)
        in_shard = (lambda c: True) if lane.shard is None else (lambda c: shard_of(c.reference) == lane.shard)
        member = {
            "assignee": lambda c: assignee_key(c) == lane.key,
            "team": lambda c: c.status.is_open and c.team == lane.key and in_shard(c),
            "status": lambda c: c.status.value == lane.key and in_shard(c),
            "triage": lambda c: lane.key == "needs_triage" and c.needs_triage and c.status.is_open,
            "email": lambda c: c.sender.email == lane.key,
            "phone": lambda c: c.sender.phone == lane.key,
            "month": lambda c: f"{c.created_at:%Y-%m}" == lane.key,
        }[lane.kind]
        rows = sorted(((c, (sort(c).isoformat(), c.reference)) for c in self.complaints.values() if member(c)
                       and (bound is None or (sort(c) <= bound if lane.ascending else sort(c) >= bound))),
                      key=lambda row: row[1], reverse=not lane.ascending)
        if after is not None:
            rows = [r for r in rows if (r[1] > after if lane.ascending else r[1] < after)]
        taken = copy.deepcopy(rows[:limit])
        self.lane_reads += len(taken)
        return Chunk(taken, len(taken), taken[-1][1] if taken and len(rows) >= limit else None)  # as DynamoDB's Limit

    def open_for_assignee(self, member_id: str, limit: int = 25, cursor: str | None = None) -> Page:
        return lane_page(self, Lane("assignee", member_id), limit, cursor)


@dataclass(frozen=True)
class Sent:
    reference: str
    kind: str
    text: str
    delivery: Delivery | None


class RecordingNotifier:
    """Records every send. Returns None (no way to reach the customer) when the complaint has no contact,
    or for every send once `unreachable` is set. Like the real notifier, a message sent before (the same complaint
    version, kind and text) is not sent again: its first delivery comes back."""

    def __init__(self, unreachable: bool = False) -> None:
        self.unreachable = unreachable
        self.sent: list[Sent] = []
        self._ids = itertools.count(1)
        self._once: dict[tuple, Delivery] = {}

    def send(self, complaint: Complaint, kind: str, text: str) -> Delivery | None:
        email, phone = complaint.sender.email, complaint.sender.phone
        once = (complaint.reference, complaint.version, kind, text)
        if once in self._once:
            return self._once[once]
        delivery = None
        channel, recipient = ("email", email) if email else ("sms", phone)
        if not self.unreachable and (email or phone):
            delivery = self._once[once] = Delivery(channel, recipient, f"msg-{next(self._ids)}")
        words = customer_message(complaint, kind, text, channel, None)  # worded as the real notifier words it
        self.sent.append(Sent(complaint.reference, kind, words.text, delivery))
        return delivery

    @property
    def delivered(self) -> list[Sent]:
        return [s for s in self.sent if s.delivery is not None]


class RecordingAlerts:
    """AlertPublisher that keeps what was published."""

    def __init__(self) -> None:
        self.published: list[Any] = []

    def publish(self, alert: Any) -> None:
        self.published.append(alert)


class FixedClock:
    def __init__(self, now: datetime = T0) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, **delta: Any) -> datetime:
        self._now += timedelta(**delta)
        return self._now


# builders -------------------------------------------------------------------------
_message_ids = itertools.count(1)


def make_message(
    text: str = "My parcel 4411 was marked delivered on 3 Nov but nothing came.",
    *,
    subject: str = "Parcel never arrived",
    channel: Channel = Channel.WEB,
    sender: Sender | None = None,
    requested_category: str | None = "delivery",
    received_at: datetime = T0,
    message_id: str | None = None,
    reference: str | None = None,
    language: str | None = "en",
    thread_reference: str | None = None,
) -> IntakeMessage:
    return IntakeMessage(
        channel=channel,
        channel_message_id=message_id or f"msg-{next(_message_ids)}",
        sender=sender if sender is not None else Sender(name="Ada Lovelace", email="ada@example.com"),
        subject=subject,
        text=text,
        received_at=received_at,
        language=language,
        requested_category=requested_category,
        reference=reference,
        thread_reference=thread_reference,
    )


def make_complaint(reference: str = "CMP-20261122-7QF3K", **fields: Any) -> Complaint:
    """A stored-looking complaint (version 1, routed, SLA started); override any field."""
    created = fields.pop("created_at", T0)
    values: dict[str, Any] = dict(
        reference=reference,
        channel=Channel.WEB,
        channel_message_id=f"msg-{reference}",
        sender=Sender(name="Ada Lovelace", email="ada@example.com"),
        subject="Parcel never arrived",
        description="My parcel 4411 was marked delivered on 3 Nov but nothing came.",
        created_at=created,
        updated_at=created,
        category="delivery",
        priority="P3",
        team="logistics",
        first_response_due_at=created + timedelta(hours=8),
        resolution_due_at=created + timedelta(days=3),
        next_due_at=created + timedelta(hours=8),
        version=1,
    )
    values.update(fields)
    return Complaint(**values)


class InMemorySmsConsents:
    """SmsConsents: a number's current state and the audit log, with the adapter's once-per-message rule."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}
        self.log: list[Any] = []

    def record(self, change: Any) -> bool:
        if any(c.phone == change.phone and c.message_id == change.message_id for c in self.log):
            return False
        self.log.append(change)
        if change.action in ("stop", "start"):
            self.states[change.phone] = change.state
        return True

    def opted_out(self, phone: str) -> bool:
        return self.states.get(phone) == "opted_out"


class RecordingQueue:
    """IntakeQueue that keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[IntakeMessage] = []

    def send(self, message: IntakeMessage) -> None:
        self.sent.append(message)


class InMemoryConfigVersions:
    """chalicelib.sla.live.ConfigVersions in memory; counts reads to show the cache at work."""

    def __init__(self) -> None:
        self.versions: dict[tuple[str, int], Any] = {}
        self.reads = 0

    def latest(self, document: str):
        self.reads += 1
        mine = [v for (d, _), v in self.versions.items() if d == document]
        return max(mine, key=lambda v: v.version, default=None)

    def get(self, document: str, version: int):
        return self.versions.get((document, version))

    def history(self, document: str, limit: int, before: int | None = None):
        mine = sorted((v for (d, n), v in self.versions.items() if d == document and (before is None or n < before)),
                      key=lambda v: -v.version)
        return mine[:limit]

    def append(self, version) -> None:
        from chalicelib.domain.errors import ConcurrentModification

        if (version.document, version.version) in self.versions:
            raise ConcurrentModification("taken")
        self.versions[(version.document, version.version)] = version
