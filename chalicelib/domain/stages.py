"""Intake pipeline stages: their interfaces, and the simple defaults the foundation ships.

Later work replaces a default (ML classifier, SLA calendars, skill routing) without touching the pipeline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from .model import Complaint, Event, IntakeMessage, Sender

DEFAULT_CATEGORIES = ("product", "service_attitude", "billing", "delivery", "technical", "policy", "general")
DEFAULT_TEAMS = {
    "product": "product-care",
    "service_attitude": "customer-care",
    "billing": "billing",
    "delivery": "logistics",
    "technical": "technical-support",
    "policy": "customer-care",
    "general": "customer-care",
}


@dataclass(frozen=True)
class Screening:
    outcome: str  # accepted | invalid | spam | duplicate
    reason: str | None = None
    duplicate_of: str | None = None


@dataclass(frozen=True)
class Classification:
    category: str
    priority: str
    sentiment: float | None = None
    confidence: float | None = None
    signals: tuple[str, ...] = ()
    model: str = "default-rules"
    details: dict[str, Any] = field(default_factory=dict)  # e.g. evidence per signal, emotion, needs_triage

    @property
    def needs_triage(self) -> bool:
        return bool(self.details.get("needs_triage"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "priority": self.priority,
            "sentiment": self.sentiment,
            "confidence": self.confidence,
            "signals": list(self.signals),
            "model": self.model,
            **self.details,
        }


@dataclass(frozen=True)
class SlaTargets:
    first_response_due_at: datetime
    resolution_due_at: datetime


@dataclass(frozen=True)
class Routing:
    team: str
    assignee: str | None = None
    reason: str | None = None  # in words, kept with the assignment


class Screener(Protocol):
    def screen(self, message: IntakeMessage) -> Screening: ...


class Classifier(Protocol):
    def classify(self, message: IntakeMessage) -> Classification: ...


class Triage(Protocol):
    def assess(self, message: IntakeMessage, recent: list[Complaint], now: datetime) -> tuple[Screening, Classification]:
        """Screen and classify; `recent` is the same customer's complaints (by e-mail or phone), newest first."""


@dataclass
class SimpleTriage:
    """A Triage from a Screener and a Classifier that need no customer history (the foundation's defaults)."""

    screener: Screener
    classifier: Classifier

    def assess(self, message: IntakeMessage, recent: list[Complaint], now: datetime) -> tuple[Screening, Classification]:
        return self.screener.screen(message), self.classifier.classify(message)


class SlaKeeper(Protocol):
    def stamp(self, complaint: Complaint, history: list[Event], now: datetime) -> Complaint:
        """The complaint with its SLA deadlines and next due instant recomputed from `history` (which includes
        the event about to be saved)."""

    def sync_timers(self, before: Complaint | None, after: Complaint) -> int:
        """Brings the one-time timers in step with `after` (after it was saved)."""

    def tier_of(self, sender: Sender) -> str | None:
        """The customer's tier, which policies may name (None: no tier)."""


class Router(Protocol):
    def route(self, complaint: Complaint) -> Routing: ...

    def assignment_problem(self, team: str | None, assignee: str) -> tuple[str, str] | None:
        """(field, message) when `assignee` is not an active member of `team`; None when the assignment may stand."""


_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_WORD = re.compile(r"\w", re.UNICODE)


class BasicScreener:
    """Rejects messages with no real content (empty, or only links). Spam and duplicates come later."""

    def __init__(self, min_word_chars: int = 3):
        self.min_word_chars = min_word_chars

    def screen(self, message: IntakeMessage) -> Screening:
        without_links = _URL.sub(" ", f"{message.subject} {message.text}")
        if len(_WORD.findall(without_links)) < self.min_word_chars:
            reason = "only a link" if _URL.search(message.text) else "empty or too short"
            return Screening("invalid", reason)
        return Screening("accepted")


class RequestedCategoryClassifier:
    """Takes the category the customer chose when it is known, else 'general'; priority P3."""

    def __init__(self, categories: tuple[str, ...] = DEFAULT_CATEGORIES, default_priority: str = "P3"):
        self.categories = categories
        self.default_priority = default_priority

    def classify(self, message: IntakeMessage) -> Classification:
        category = message.requested_category if message.requested_category in self.categories else "general"
        signals = ("customer_selected_category",) if category == message.requested_category else ()
        return Classification(category=category, priority=self.default_priority, signals=signals)


@dataclass
class FixedTargetsSla:
    """Calendar-time targets per priority: (first response, resolution)."""

    targets: dict[str, tuple[timedelta, timedelta]] = field(
        default_factory=lambda: {
            "P1": (timedelta(hours=1), timedelta(hours=8)),
            "P2": (timedelta(hours=4), timedelta(days=1)),
            "P3": (timedelta(hours=8), timedelta(days=3)),
            "P4": (timedelta(days=1), timedelta(days=5)),
        }
    )

    def start(self, complaint: Complaint, now: datetime) -> SlaTargets:
        first, resolution = self.targets[complaint.priority]
        return SlaTargets(now + first, now + resolution)

    def stamp(self, complaint: Complaint, history: list[Event], now: datetime) -> Complaint:
        """Deadlines set once, when the complaint is accepted; then next_due follows the lifecycle."""
        from .lifecycle import next_due

        if complaint.status.value in ("invalid", "spam", "duplicate"):
            return complaint.evolve(next_due_at=None)
        if complaint.first_response_due_at is None:
            targets = self.start(complaint, now)
            complaint = complaint.evolve(first_response_due_at=targets.first_response_due_at,
                                         resolution_due_at=targets.resolution_due_at)
        return complaint.evolve(next_due_at=next_due(complaint))

    def sync_timers(self, before: Complaint | None, after: Complaint) -> int:
        return 0

    def tier_of(self, sender: Sender) -> str | None:
        return None


@dataclass
class CategoryTeamRouter:
    """Routes by category to a team; agent assignment within the team comes later."""

    teams: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TEAMS))
    fallback_team: str = "customer-care"

    def route(self, complaint: Complaint) -> Routing:
        return Routing(team=self.teams.get(complaint.category, self.fallback_team))
