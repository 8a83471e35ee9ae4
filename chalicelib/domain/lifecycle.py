"""The complaint state machine: staff commands, allowed transitions, and the event each one appends."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import IllegalTransition, InvalidCommand
from .model import OPEN_STATUSES, PRIORITIES, Complaint, Event, Status, Visibility
from .taxonomy import CAUSE_LABELS, DEFAULT_TAXONOMY, FISHBONE, ROOT_CAUSES, Taxonomy  # noqa: F401 (re-exported)

S = Status
_OPEN = frozenset(OPEN_STATUSES)
_WORKING = frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER})


@dataclass(frozen=True)
class Actor:
    id: str
    role: str  # agent | manager | admin | customer | system


SYSTEM = Actor("system", "system")
CUSTOMER = Actor("customer", "customer")


@dataclass(frozen=True)
class Rule:
    allowed_from: frozenset[Status]
    to: Status | None  # None keeps the current status
    visibility: Visibility


# action -> which statuses allow it, where it leads, and whether the customer sees it.
TRANSITIONS: dict[str, Rule] = {
    "acknowledge": Rule(frozenset({S.NEW}), S.ACKNOWLEDGED, Visibility.PUBLIC),
    "respond": Rule(_OPEN, S.IN_PROGRESS, Visibility.PUBLIC),
    "note": Rule(frozenset(Status), None, Visibility.INTERNAL),
    "change_category": Rule(_OPEN | {S.RESOLVED}, None, Visibility.INTERNAL),
    "change_priority": Rule(_OPEN, None, Visibility.INTERNAL),
    "assign": Rule(_OPEN, None, Visibility.INTERNAL),
    "wait_on_customer": Rule(_OPEN - {S.WAITING_ON_CUSTOMER}, S.WAITING_ON_CUSTOMER, Visibility.PUBLIC),
    "resolve": Rule(_OPEN, S.RESOLVED, Visibility.PUBLIC),
    "close": Rule(frozenset({S.RESOLVED, S.SPAM, S.INVALID}), S.CLOSED, Visibility.PUBLIC),  # reviewed: done
    "reopen": Rule(frozenset({S.RESOLVED}), S.IN_PROGRESS, Visibility.PUBLIC),
    # The customer writes again: appended to the history; a resolved complaint reopens.
    "customer_message": Rule(_OPEN | {S.RESOLVED}, None, Visibility.PUBLIC),
    # A complaint linked as a duplicate becomes a complaint of its own (its SLA starts now).
    "unlink_duplicate": Rule(frozenset({S.DUPLICATE}), S.NEW, Visibility.INTERNAL),
    # Staff review of a complaint screening set aside (spam or invalid): it was a real one after all.
    "release": Rule(frozenset({S.SPAM, S.INVALID}), S.NEW, Visibility.INTERNAL),
    # Staff review the other way: an open complaint screening let through was spam, or not a complaint at all. It
    # leaves every open queue and its clocks stop; `release` undoes it.
    "mark_spam": Rule(_OPEN, S.SPAM, Visibility.INTERNAL),
    "mark_invalid": Rule(_OPEN, S.INVALID, Visibility.INTERNAL),
    # A duplicate's text, appended to the original it repeats.
    "duplicate_received": Rule(_OPEN, None, Visibility.PUBLIC),
}

# Staff decisions kept as labelled examples: action -> the field a person decided (retraining reads them).
LABELLED_DECISIONS = {"change_category": "category", "change_priority": "priority", "release": "screening_outcome",
                      "mark_spam": "screening_outcome", "mark_invalid": "screening_outcome"}

# Actions whose message goes to the customer through the channel of origin (and counts as a staff response).
CUSTOMER_FACING = frozenset({"respond", "wait_on_customer", "resolve"})

RESOLUTION_CODES = ("fixed", "refunded", "replaced", "explained", "compensated", "no_fault_found", "withdrawn")


@dataclass(frozen=True)
class Command:
    action: str
    message: str | None = None
    category: str | None = None
    priority: str | None = None
    assignee: str | None = None
    team: str | None = None
    resolution_code: str | None = None
    root_cause: str | None = None
    sub_cause: str | None = None  # from the fishbone taxonomy (chalicelib.domain.taxonomy)
    five_whys: tuple[str, ...] | None = None
    attachment_count: int = 0  # a customer's message may be only attachments (an MMS photo, a mail with a file)


def next_due(complaint: Complaint) -> datetime | None:
    """The deadline that matters now: first response until there is one, then resolution; none once closed."""
    if not complaint.status.is_open:
        return None
    return complaint.first_response_due_at if complaint.first_response_at is None else complaint.resolution_due_at


def reaches_customer(command: Command) -> bool:
    """A staff action whose message is sent to the customer (and so counts as a response)."""
    return command.action in CUSTOMER_FACING and bool(command.message and command.message.strip())


CUSTOMER_ACTIONS = frozenset({"customer_message", "duplicate_received"})
DERIVED = frozenset({"updated_at", "next_due_at", "customer_wrote_at"})  # kept on the complaint, not in event changes


def allowed_actions(status: Status) -> list[str]:
    """What staff may do next (customers' own actions come through the channels, not the staff API)."""
    return [a for a, rule in TRANSITIONS.items() if status in rule.allowed_from and a not in CUSTOMER_ACTIONS]


def apply(complaint: Complaint, command: Command, actor: Actor, now: datetime,
          taxonomy: Taxonomy = DEFAULT_TAXONOMY) -> tuple[Complaint, Event]:
    """Validate a command against the state machine and the taxonomy; return the changed complaint and its event."""
    rule = TRANSITIONS.get(command.action)
    if rule is None:
        raise InvalidCommand(f"unknown action '{command.action}'", field="action")
    if complaint.status not in rule.allowed_from:
        allowed = ", ".join(allowed_actions(complaint.status)) or "none"
        raise IllegalTransition(
            f"cannot {command.action.replace('_', ' ')} a complaint that is {complaint.status.value}; "
            f"allowed actions: {allowed}"
        )
    updates = _updates_for(complaint, command, actor, now, taxonomy)
    if reaches_customer(command):
        updates["first_response_at"] = complaint.first_response_at or now
        updates["customer_wrote_at"] = None  # answered
    if command.action in CUSTOMER_ACTIONS:
        updates["customer_wrote_at"] = complaint.customer_wrote_at or now  # the oldest unanswered message
    if rule.to is not None and rule.to != complaint.status:
        updates["status"] = rule.to
    updates["updated_at"] = now
    updates["next_due_at"] = next_due(complaint.evolve(**updates))
    changes = {
        name: {"old": _plain(getattr(complaint, name)), "new": _plain(value)}
        for name, value in updates.items()
        if name not in DERIVED and getattr(complaint, name) != value
    }
    new_version = complaint.version + 1
    changed = complaint.evolve(**updates, version=new_version)
    event = Event(
        reference=complaint.reference,
        seq=new_version,
        at=now,
        type=command.action,
        actor=actor.id,
        actor_role=actor.role,
        visibility=rule.visibility,
        changes=changes,
        message=command.message,
        data=_event_data(complaint, command),
    )
    return changed, event


def _updates_for(complaint: Complaint, command: Command, actor: Actor, now: datetime,
                 taxonomy: Taxonomy) -> dict[str, Any]:
    action = command.action
    if action in ("respond", "note"):
        _require(command.message, "message", f"{action} needs a message")
    if action == "acknowledge":
        return {"acknowledged_at": now}
    if action == "change_category":
        _require(command.category, "category", "category is required")
        if command.category == complaint.category:
            raise InvalidCommand("category is unchanged", field="category")
        taxonomy.check_category(command.category)
        return {"category": command.category, "needs_triage": False}
    if action == "change_priority":
        if command.priority not in PRIORITIES:
            raise InvalidCommand(f"priority must be one of {', '.join(PRIORITIES)}", field="priority")
        if command.priority == complaint.priority:
            raise InvalidCommand("priority is unchanged", field="priority")
        return {"priority": command.priority, "needs_triage": False}
    if action == "unlink_duplicate":
        return {"duplicate_of": None}
    if action == "release":
        return {"screening_outcome": "accepted", "screening_reason": None}
    if action in ("mark_spam", "mark_invalid"):
        outcome = action.removeprefix("mark_")
        reason = (command.message or "").strip()
        why = f"marked {outcome} by {actor.id}" + (f": {reason}" if reason else "")
        return {"screening_outcome": outcome, "screening_reason": why[:500]}
    if action == "duplicate_received":  # the link itself is the news, with or without text
        return {}
    if action == "assign":
        _require(command.assignee, "assignee", "assignee is required")
        return {"assignee": command.assignee, "team": command.team or complaint.team}
    if action == "resolve":
        if command.resolution_code not in RESOLUTION_CODES:
            raise InvalidCommand(f"resolution_code must be one of {', '.join(RESOLUTION_CODES)}", "resolution_code")
        taxonomy.check_cause(command.root_cause, command.sub_cause)
        return {"resolved_at": now, "resolution_code": command.resolution_code, "root_cause": command.root_cause}
    if action == "close":
        return {"closed_at": now}
    if action == "reopen":
        return {"resolved_at": None, "resolution_code": None, "root_cause": None}
    if action == "customer_message":
        if not command.attachment_count:
            _require(command.message, "message", "a customer message needs text or an attachment")
        if complaint.status == S.RESOLVED:
            return {"status": S.IN_PROGRESS, "resolved_at": None, "resolution_code": None, "root_cause": None}
        if complaint.status == S.WAITING_ON_CUSTOMER:
            return {"status": S.IN_PROGRESS}
    return {}


def _event_data(complaint: Complaint, command: Command) -> dict[str, Any]:
    """Extra facts kept with the event. Corrections and screening reviews become labelled examples."""
    if command.action == "resolve" and (command.sub_cause or command.five_whys):
        return {k: v for k, v in (("sub_cause", command.sub_cause),
                                  ("five_whys", list(command.five_whys or ()) or None)) if v}
    decided = LABELLED_DECISIONS.get(command.action)
    if decided:
        stored = complaint.classification or {}
        predicted = {"category": complaint.category, "priority": complaint.priority,  # before this change
                     "triage_priority": stored.get("priority"),  # what triage gave, by this rule and raise:
                     "priority_rule": stored.get("priority_rule"), "priority_raised": stored.get("priority_raised")}
        if decided == "screening_outcome":
            predicted.update(screening_outcome=complaint.screening_outcome, screening_reason=complaint.screening_reason)
        return {"labelled_example": True, "example_for": decided,
                "text": f"{complaint.subject}\n{complaint.description}", "predicted": predicted}
    return {}


def _require(value: str | None, field: str, message: str) -> None:
    if not value or not value.strip():
        raise InvalidCommand(message, field=field)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Status):
        return value.value
    return value
