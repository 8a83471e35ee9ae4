"""What the console's complaint page shows, from a complaint and its history: the conversation (customer messages,
replies, internal notes, each with its channel and time), the changes in between, the reply's channel and address,
an SMS's length in segments, and why the complaint is where it is. Pure: no I/O."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from ..domain.model import Complaint, Event

# GSM 03.38 basic character set and its extension (the extension's characters take two places).
GSM_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
             "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = "^{}\\[~]|€\f"
CUSTOMER_TYPES = frozenset({"received", "customer_message", "duplicate_received"})
STAFF_MESSAGES = frozenset({"respond", "wait_on_customer", "resolve", "reopen"})


@dataclass(frozen=True)
class Segments:
    count: int
    characters: int
    encoding: str  # "GSM-7" or "UCS-2"
    per_segment: int


def sms_segments(text: str) -> Segments:
    """How many SMS parts a text takes: 160 GSM-7 characters in one part, 153 each when split; 70 and 67 once a
    character needs UCS-2 (Chinese, most emoji), counted in UTF-16 units."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    count = 0 if units == 0 else 1 if units <= single else math.ceil(units / multi)
    return Segments(count, units, encoding, single if count <= 1 else multi)


@dataclass(frozen=True)
class Entry:
    """One item of the conversation."""

    kind: str  # customer | reply | note | change
    event: Event
    text: str = ""
    channel: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    changes: tuple[tuple[str, Any, Any], ...] = ()


def conversation(complaint: Complaint, history: Iterable[Event]) -> list[Entry]:
    entries = []
    for event in history:
        data = event.data or {}
        changes = tuple((name, change.get("old"), change.get("new")) for name, change in (event.changes or {}).items()
                        if name not in ("updated_at", "next_due_at", "first_response_at"))
        if event.type in CUSTOMER_TYPES:
            text = complaint.description if event.type == "received" else (event.message or "")
            attachments = data.get("attachments") or (
                [a.__dict__ for a in complaint.attachments] if event.type == "received" else [])
            entries.append(Entry("customer", event, text, data.get("channel") or complaint.channel.value,
                                 tuple(attachments)))
        elif event.type in STAFF_MESSAGES and event.message:
            entries.append(Entry("reply", event, event.message, (data.get("delivery") or {}).get("channel"),
                                 changes=changes))
        elif event.type == "note":
            entries.append(Entry("note", event, event.message or ""))
        else:
            entries.append(Entry("change", event, event.message or "", changes=changes))
    return entries


def customer_wrote_last(entries: list[Entry]) -> bool:
    """The customer wrote since the last reply (or has had none)."""
    for entry in reversed(entries):
        if entry.kind == "reply":
            return False
        if entry.kind == "customer":
            return True
    return False


def changed_since(history: Iterable[Event], version: int) -> list[Event]:
    """What others did after the version a form was built from."""
    return [event for event in history if event.seq > version]


@dataclass(frozen=True)
class Why:
    """Why the complaint is where it is: the classifier's and the screening's reasons, in plain fields."""

    category: str
    confidence: float | None
    alternatives: list[tuple[str, float]]
    priority: str
    priority_reason: str | None
    priority_rule: str | None
    signals: list[str]
    evidence: dict[str, Any]
    sentiment: float | None
    sentiment_label: str | None
    emotion: str | None
    screening: str
    screening_reason: str | None
    model: str | None
    needs_triage: bool
    duplicate_of: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def why(complaint: Complaint, history: Iterable[Event] = ()) -> Why:
    """From the classification the `received` event keeps whole (the item keeps its short part)."""
    received = next((e for e in history if e.type == "received"), None)
    c = {**(complaint.classification or {}), **((received.data or {}).get("classification") or {} if received else {})}
    top = [(str(label), float(p)) for label, p in (c.get("top_categories") or [])
           if label != complaint.category][:3]
    return Why(
        category=complaint.category, confidence=c.get("confidence"), alternatives=top, priority=complaint.priority,
        priority_reason=c.get("priority_reason"), priority_rule=c.get("priority_rule"),
        signals=list(c.get("signals") or []), evidence=dict(c.get("evidence") or {}),
        sentiment=c.get("sentiment"), sentiment_label=c.get("sentiment_label"), emotion=c.get("emotion"),
        screening=complaint.screening_outcome, screening_reason=complaint.screening_reason, model=c.get("model"),
        needs_triage=complaint.needs_triage, duplicate_of=complaint.duplicate_of)


def first_reply(history: Iterable[Event]) -> str | None:
    return next((e.message for e in history if e.type in STAFF_MESSAGES and e.message), None)


def time_left(due_at: datetime | None, now: datetime) -> tuple[str, bool]:
    """('3 h 20 min', False) before the due time, ('45 min', True) after it: clock time."""
    if due_at is None:
        return "", False
    seconds = int((due_at - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    days, hours = divmod(hours, 24)
    text = " ".join(part for part in (f"{days} d" if days else "", f"{hours} h" if hours else "",
                                      f"{minutes} min" if not days else "") if part) or "0 min"
    return text, seconds < 0
