"""Complaint aggregate, its events and the normalized intake message (pure Python)."""
from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Channel(str, enum.Enum):
    WEB = "web"
    EMAIL = "email"
    SMS = "sms"


class Status(str, enum.Enum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"
    INVALID = "invalid"
    SPAM = "spam"
    DUPLICATE = "duplicate"  # linked to an earlier complaint of the same customer (duplicate_of); staff can unlink

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset(
    {Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER}
)

PRIORITIES = ("P1", "P2", "P3", "P4")


class Visibility(str, enum.Enum):
    PUBLIC = "public"  # shown to the customer on the status page
    INTERNAL = "internal"  # staff only


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    location: str | None = None  # e.g. an S3 key once stored


@dataclass(frozen=True)
class Sender:
    name: str | None = None
    email: str | None = None  # lower-cased
    phone: str | None = None  # E.164


@dataclass(frozen=True)
class IntakeMessage:
    """What every channel adapter produces, and what goes onto the intake queue."""

    channel: Channel
    channel_message_id: str
    sender: Sender
    subject: str
    text: str
    received_at: datetime
    language: str | None = None
    requested_category: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reference: str | None = None  # set when the channel must answer with it at once (web)
    thread_reference: str | None = None  # a complaint this message continues (e-mail threading, SMS quoting)
    references: tuple[str, ...] = ()  # e-mail: the Message-IDs this mail answers (References, In-Reply-To), oldest first
    details: dict[str, Any] = field(default_factory=dict)  # channel facts kept for audit (SES verdicts, S3 key, ...)

    @property
    def dedup_key(self) -> str:
        return f"{self.channel.value}#{self.channel_message_id}"


@dataclass
class Complaint:
    reference: str
    channel: Channel
    channel_message_id: str
    sender: Sender
    subject: str
    description: str
    created_at: datetime
    updated_at: datetime
    status: Status = Status.NEW
    language: str | None = None
    category: str = "general"
    priority: str = "P3"
    team: str | None = None
    tier: str | None = None  # the customer's tier when the complaint arrived (configuration: customer_tiers)
    assignee: str | None = None
    next_due_at: datetime | None = None
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    first_response_at: datetime | None = None
    # When the customer wrote again (a message or a duplicate of it) since our last message that reached them; None
    # once one does. Set by the state machine, so the inbox shows it without reading the history.
    customer_wrote_at: datetime | None = None
    acknowledged_at: datetime | None = None
    ack_sent_at: datetime | None = None  # the acknowledgement was issued with the stored version (sent right after)
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution_code: str | None = None
    root_cause: str | None = None
    breached: bool = False
    screening_outcome: str = "accepted"
    screening_reason: str | None = None
    duplicate_of: str | None = None
    needs_triage: bool = False  # the classifier was unsure: a person should check category and priority
    classification: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    email_thread: tuple[str, ...] = ()  # Message-IDs of the e-mail conversation, oldest first (ours and theirs)
    timers: dict[str, str] = field(default_factory=dict)  # "<clock>-<warning|breach>" -> ISO instant scheduled
    alerts_sent: tuple[str, ...] = ()  # keys of the SLA alerts sent (each alert goes out once)
    token_hash: str | None = None
    version: int = 0

    def evolve(self, **changes: Any) -> "Complaint":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Event:
    """One append-only history entry: who did what, when, with old and new values."""

    reference: str
    seq: int
    at: datetime
    type: str
    actor: str
    actor_role: str
    visibility: Visibility = Visibility.INTERNAL
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> {"old","new"}
    message: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
