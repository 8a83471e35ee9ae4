"""What happened to a message we sent the customer, appended to the complaint's history.

A message a staff action or the survey sends is recorded in that action's own version (its event's `delivery`); the
acknowledgement is issued with the version that stores the complaint (domain.service). The Message-ID a reply may
carry joins the message index (`remember`). A message that does not arrive adds `delivery_failed` (and alerts the
managers) or `customer_unreachable`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from .errors import ConcurrentModification
from .lifecycle import SYSTEM
from .model import Complaint, Event, Visibility
from .ports import Alert, AlertPublisher, Clock, ComplaintRepository, Delivery

MAX_ATTEMPTS = 3
MAX_THREAD_IDS = 30  # Message-IDs kept per complaint: the root and the newest ones


def email_key(message_id: str) -> str:
    """The message-index key of an e-mail Message-ID (inbound mail claims the same key as its dedup key)."""
    return f"email#{message_id.strip()}"


class DeliveryRecorder:
    def __init__(self, repository: ComplaintRepository, clock: Clock, alerts: AlertPublisher | None = None):
        self.repository, self.clock, self.alerts = repository, clock, alerts

    def not_delivered(self, reference: str, kind: str, delivery: Delivery | None) -> None:
        """Records a message that did not reach the customer: a failed delivery goes to failed(); no delivery at
        all (no e-mail on file, no phone that accepts SMS) appends 'customer_unreachable'. A delivered message is
        recorded in its action's own version instead."""
        if delivery is not None:
            self.failed(reference, kind, delivery.failure or "not delivered", channel=delivery.channel)
            return

        def change(current: Complaint, now: datetime) -> tuple[dict[str, Any], Event]:
            return {}, _event(current, now, "customer_unreachable",
                              Visibility.PUBLIC if kind == "acknowledgement" else Visibility.INTERNAL,
                              f"{_what(kind)} not sent: no e-mail on file and no phone that accepts SMS",
                              {"kind": kind})

        self._append(reference, change)

    def remember(self, reference: str, delivery: Delivery | None) -> None:
        """A reply to the mail sent finds its complaint by the Message-ID it answers (the message index)."""
        for message_id in delivery.thread_ids if delivery else ():
            self.repository.remember_message(email_key(message_id), reference, self.clock.now())

    def failed(self, reference: str, kind: str, reason: str, *, channel: str | None = None,
               claim: str | None = None, text: str | None = None) -> bool:
        """Appends 'delivery_failed' (with the unsent `text`, when there is one) and alerts. `claim` (e.g. a bounce
        notification's id) makes it happen once."""
        def change(current: Complaint, now: datetime) -> tuple[dict[str, Any], Event]:
            note = f"{_what(kind)} could not be delivered{f' by {channel}' if channel else ''}: {reason}"
            return {}, _event(current, now, "delivery_failed", Visibility.INTERNAL, note,
                              {"kind": kind, "channel": channel, "reason": reason,
                               **({"unsent_text": text} if text else {})})

        if claim and self.repository.reference_for_message(claim) is not None:
            return False  # recorded and alerted before (a re-delivered bounce notification)
        complaint = self.repository.get(reference)
        if self.alerts is not None:  # published before it is recorded: a failed publish is retried, never lost
            self.alerts.publish(Alert(
                type="delivery_failed", severity="warning",
                subject=f"{reference}: {_what(kind).lower()} could not be delivered",
                body={"reference": reference, "kind": kind, "channel": channel, "reason": reason,
                      "team": complaint.team, "assignee": complaint.assignee},
                team=complaint.team, category=complaint.category,
                dedup_key=f"{reference}#delivery#{claim or f'{kind}@{complaint.version}'}",
            ))
        stored = self._append(reference, change, claim=claim)
        return stored

    def _append(self, reference: str, change, claim: str | None = None) -> bool:
        """Applies `change` to the newest version under the optimistic lock, retrying lost races."""
        for attempt in range(MAX_ATTEMPTS):
            current = self.repository.get(reference)
            now = self.clock.now()
            updates, event = change(current, now)
            try:
                changed = current.evolve(**updates, updated_at=now, version=event.seq)
                return self.repository.save(changed, event, claim=claim) if claim else self.repository.save(changed, event)
            except ConcurrentModification:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
        return False


def extend_thread(thread: tuple[str, ...], message_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The thread with new Message-IDs appended once; the root and the newest ones are kept."""
    merged = list(thread)
    merged.extend(m for m in message_ids if m and m not in merged)
    if len(merged) > MAX_THREAD_IDS:
        merged = [merged[0], *merged[-(MAX_THREAD_IDS - 1):]]
    return tuple(merged)


def _event(current: Complaint, now: datetime, type_: str, visibility: Visibility, message: str,
           data: dict[str, Any]) -> Event:
    return Event(reference=current.reference, seq=current.version + 1, at=now, type=type_, actor=SYSTEM.id,
                 actor_role=SYSTEM.role, visibility=visibility, message=message, data=data)


def _what(kind: str) -> str:
    return "Acknowledgement" if kind == "acknowledgement" else "Message to the customer"
