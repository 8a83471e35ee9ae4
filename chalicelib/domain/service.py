"""Use cases: the intake pipeline every channel feeds, and staff actions on a complaint."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from ..i18n import detect_language
from .customer_messages import UNPROCESSABLE
from .deliveries import DeliveryRecorder, extend_thread
from .errors import ConcurrentModification, IllegalTransition, InvalidCommand, NotDelivered
from .lifecycle import CUSTOMER, SYSTEM, Actor, Command, apply, reaches_customer
from .model import Channel, Complaint, Event, IntakeMessage, Status, Visibility
from .ports import AckLimiter, AlertPublisher, Clock, ComplaintRepository, CustomerNotifier, Delivery, DeliveryFailed
from .reference import new_reference
from .stages import Router, SlaKeeper, Triage
from .taxonomy import DEFAULT_TAXONOMY, Taxonomy
from .tokens import access_token, token_fingerprint


@dataclass(frozen=True)
class IntakeResult:
    reference: str
    created: bool
    status: Status
    appended: bool = False  # the message continued an existing complaint


class IntakePipeline:
    """Screen, classify, start the SLA, route, store once, acknowledge."""

    RECENT_LIMIT = 20  # a customer's newest complaints read for duplicates and repeat complaints

    def __init__(
        self,
        repository: ComplaintRepository,
        notifier: CustomerNotifier,
        triage: Triage,
        sla: SlaKeeper,
        router: Router,
        clock: Clock,
        token_secret: bytes,
        ack_limiter: AckLimiter | None = None,
        alerts: AlertPublisher | None = None,
    ):
        self.ack_limiter = ack_limiter
        self.deliveries = DeliveryRecorder(repository, clock, alerts)
        self.repository = repository
        self.notifier = notifier
        self.triage = triage
        self.sla = sla
        self.router = router
        self.clock = clock
        self.token_secret = token_secret

    def process(self, message: IntakeMessage) -> IntakeResult:
        """The message's one stored outcome. A message the state machine refuses (content, never a reason to retry)
        is rejected: stored as invalid with the reason."""
        try:
            return self._process(message)
        except (InvalidCommand, IllegalTransition) as refused:
            return self.reject(message, str(refused))

    def reject(self, message: IntakeMessage, reason: str) -> IntakeResult:
        """Stores a message that could not be processed as an `invalid` complaint with the reason (staff review
        it like any invalid one, and may release it), once per channel message id; the customer is told."""
        existing = self.repository.reference_for_message(message.dedup_key)
        if existing is not None:
            return IntakeResult(existing, False, self.repository.get(existing).status)
        now = self.clock.now()
        reference = message.reference or new_reference(now)
        why = f"{UNPROCESSABLE}: {reason}"[:500]
        complaint = Complaint(
            reference=reference, channel=message.channel, channel_message_id=message.channel_message_id,
            sender=message.sender, subject=message.subject, description=message.text, created_at=message.received_at,
            updated_at=now, status=Status.INVALID, language=_language_of(message), screening_outcome="invalid",
            screening_reason=why, attachments=message.attachments, email_thread=_thread_of(message),
            token_hash=token_fingerprint(access_token(self.token_secret, reference)), version=1,
        )
        received = Event(reference=reference, seq=1, at=now, type="received", actor=SYSTEM.id,
                         actor_role=SYSTEM.role, visibility=Visibility.PUBLIC,
                         message=f"Complaint received via {message.channel.value}",
                         data={"screening": {"outcome": "invalid", "reason": why, "duplicate_of": None},
                               **({"details": message.details} if message.details else {})})
        complaint = self._plan_acknowledgement(complaint, message, received)
        if not self.repository.create(complaint, [received], message.dedup_key):
            return self.reject(message, reason)  # lost the race: the winner's record is the outcome
        self._acknowledge(complaint, message)
        return IntakeResult(reference, True, Status.INVALID)

    def _process(self, message: IntakeMessage) -> IntakeResult:
        existing = self.repository.reference_for_message(message.dedup_key)
        if existing is None:
            named = self._named_thread(message)
            if named is not None:
                return self._append(named, message)
            recent = self._recent(message)
            complaint, events = self._build(message, recent)
            ongoing = None if complaint.duplicate_of else self._ongoing_sms_conversation(message, recent)
            if ongoing is not None:
                return self._append(ongoing, message)
            complaint = self._plan_acknowledgement(complaint, message, events[0])
            if self.repository.create(complaint, events, message.dedup_key):
                self.sla.sync_timers(None, complaint)
                if complaint.duplicate_of:
                    self._link_to_original(complaint, message)
                self._acknowledge(complaint, message)
                return IntakeResult(complaint.reference, True, complaint.status)
            existing = self.repository.reference_for_message(message.dedup_key)
        # Re-delivered message: nothing new is created, but a missing acknowledgement is completed.
        stored = self.repository.get(existing)
        if stored.channel_message_id == message.channel_message_id:
            if stored.duplicate_of:
                self._link_to_original(stored, message)
            if not self._acknowledgement_settled(stored):
                self._acknowledge(stored, message)
        return IntakeResult(stored.reference, False, stored.status)

    def _named_thread(self, message: IntakeMessage) -> Complaint | None:
        """The complaint the message names, while it is open or resolved (a closed one is final: a new complaint
        starts)."""
        if message.thread_reference:
            named = self.repository.find(message.thread_reference)
            if named is not None and (named.status.is_open or named.status == Status.RESOLVED):
                return named
        return None

    def _ongoing_sms_conversation(self, message: IntakeMessage, recent: list[Complaint]) -> Complaint | None:
        """For SMS, which has no threads: the number's newest open complaint, which a new text continues. (A text
        that repeats an open complaint is not asked: screening stores it as a duplicate linked to the original.)"""
        if message.channel == Channel.SMS and message.sender.phone:
            return next((c for c in recent if c.status.is_open), None)  # an SMS sender is known by phone only
        return None

    def _append(self, complaint: Complaint, message: IntakeMessage) -> IntakeResult:
        """Append the customer's message (claiming its dedup key in the same write); a resolved complaint reopens."""
        command = Command("customer_message", message=message.text, attachment_count=len(message.attachments))
        data = {
            "channel": message.channel.value,
            "channel_message_id": message.channel_message_id,
            "subject": message.subject,
            "attachments": [a.__dict__ for a in message.attachments],
            **({"details": message.details} if message.details else {}),
        }
        for attempt in range(ComplaintService.MAX_ATTEMPTS):
            now = self.clock.now()
            changed, event = apply(complaint, command, CUSTOMER, now)
            if message.channel == Channel.EMAIL:
                changed = changed.evolve(email_thread=extend_thread(changed.email_thread, (message.channel_message_id,)))
            event = dataclasses.replace(event, data={**event.data, **data})
            changed = self.sla.stamp(changed, [*self.repository.history(complaint.reference), event], now)
            try:
                stored = self.repository.save(changed, event, claim=message.dedup_key)
                if stored:
                    self.sla.sync_timers(complaint, changed)
                break
            except ConcurrentModification:
                if attempt == ComplaintService.MAX_ATTEMPTS - 1:
                    raise
                complaint = self.repository.get(complaint.reference)
        return IntakeResult(complaint.reference, False, changed.status if stored else complaint.status, stored)

    def _link_to_original(self, duplicate: Complaint, message: IntakeMessage) -> None:
        """The duplicate's text joins the original's history (once, even if this message is re-delivered)."""
        command = Command("duplicate_received", message=message.text)
        data = {"duplicate": duplicate.reference, "channel": message.channel.value, "subject": message.subject}
        for attempt in range(ComplaintService.MAX_ATTEMPTS):
            original = self.repository.get(duplicate.duplicate_of)
            try:
                changed, event = apply(original, command, CUSTOMER, self.clock.now())
            except IllegalTransition:
                return  # closed meanwhile: the duplicate stays linked for staff to review
            try:
                self.repository.save(changed, dataclasses.replace(event, data=data),
                                     claim=f"duplicate#{duplicate.reference}")
                return
            except ConcurrentModification:
                if attempt == ComplaintService.MAX_ATTEMPTS - 1:
                    raise

    def _recent(self, message: IntakeMessage) -> list[Complaint]:
        """The customer's own complaints, newest first: bounded by RECENT_LIMIT per identity (two index queries)."""
        if not (message.sender.email or message.sender.phone):
            return []
        return self.repository.for_customer(message.sender.email, message.sender.phone, limit=self.RECENT_LIMIT)

    def _build(self, message: IntakeMessage, recent: list[Complaint]) -> tuple[Complaint, list[Event]]:
        now = self.clock.now()
        reference = message.reference or new_reference(now)
        screening, classification = self.triage.assess(message, recent, now)
        complaint = Complaint(
            reference=reference,
            channel=message.channel,
            channel_message_id=message.channel_message_id,
            sender=message.sender,
            subject=message.subject,
            description=message.text,
            created_at=message.received_at,
            updated_at=now,
            language=_language_of(message),
            tier=self.sla.tier_of(message.sender),
            category=classification.category,
            priority=classification.priority,
            classification=kept_on_item(classification.as_dict()),
            screening_outcome=screening.outcome,
            screening_reason=screening.reason,
            duplicate_of=screening.duplicate_of,
            needs_triage=classification.needs_triage,
            attachments=message.attachments,
            email_thread=_thread_of(message),
            token_hash=token_fingerprint(access_token(self.token_secret, reference)),
            version=1,
        )
        routing = None
        if screening.outcome == "accepted":
            routing = self.router.route(complaint)
            complaint = complaint.evolve(team=routing.team, assignee=routing.assignee)
        elif screening.outcome == "duplicate":  # in the original's team, with no clock of its own
            complaint = complaint.evolve(status=Status.DUPLICATE, team=self.router.route(complaint).team)
        else:
            complaint = complaint.evolve(status=Status(screening.outcome))
        received = Event(
            reference=reference,
            seq=1,
            at=now,
            type="received",
            actor=SYSTEM.id,
            actor_role=SYSTEM.role,
            visibility=Visibility.PUBLIC,
            message=f"Complaint received via {message.channel.value}",
            data={
                "screening": {"outcome": screening.outcome, "reason": screening.reason,
                              "duplicate_of": screening.duplicate_of},
                "classification": classification.as_dict(),
                "team": complaint.team,
                **({"assignment": {"team": routing.team, "assignee": routing.assignee, "reason": routing.reason}}
                   if routing else {}),
                **({"details": message.details} if message.details else {}),
            },
        )
        complaint = self.sla.stamp(complaint, [received], now)
        received.data["first_response_due_at"] = _iso(complaint.first_response_due_at)
        received.data["resolution_due_at"] = _iso(complaint.resolution_due_at)
        return complaint, [received]

    def _plan_acknowledgement(self, complaint: Complaint, message: IntakeMessage, received: Event) -> Complaint:
        """The acknowledgement is part of the version that stores the complaint (`ack_sent_at` and the received
        event say so), unless the mail asked for no automatic reply (RFC 3834), it is spam (answering confirms the
        address to the spammer) or the sender reached the day's cap (a loop with an auto-responder we did not
        recognise). It goes out right after that write (_acknowledge)."""
        if message.details.get("may_auto_reply") is False or complaint.status == Status.SPAM:
            return complaint
        sender = complaint.sender.email or complaint.sender.phone
        day = f"{self.clock.now():%Y-%m-%d}"
        if sender and self.ack_limiter and not self.ack_limiter.allow(sender, day, complaint.reference):
            return complaint
        received.data["acknowledgement"] = True
        return complaint.evolve(ack_sent_at=received.at)

    def _acknowledgement_settled(self, complaint: Complaint) -> bool:
        """Whether the acknowledgement was found undeliverable before (then a re-delivery does not try again)."""
        return complaint.version > 1 and any(
            e.type in ("customer_unreachable", "delivery_failed") and e.data.get("kind") == "acknowledgement"
            for e in self.repository.history(complaint.reference))

    def _acknowledge(self, complaint: Complaint, message: IntakeMessage) -> None:
        """Sends the acknowledgement the stored version planned, as the complaint was when it was stored: a
        re-delivered message sends the same message again, which the notifier's idempotency sends once. A transient
        failure propagates, so the queue retries the message and this completes the acknowledgement; no contact or
        a permanent failure is recorded (customer_unreachable, delivery_failed)."""
        if complaint.ack_sent_at is None:
            return
        created = complaint.evolve(version=1, email_thread=_thread_of(message))
        delivery = self.notifier.send(created, "acknowledgement", "")  # worded from its outcome
        if delivery is None or delivery.failure:
            self.deliveries.not_delivered(complaint.reference, "acknowledgement", delivery)
        else:
            self.deliveries.remember(complaint.reference, delivery)


class ComplaintService:
    """Staff actions. Each one passes the state machine and appends exactly one event, under optimistic locking."""

    MAX_ATTEMPTS = 3

    def __init__(self, repository: ComplaintRepository, notifier: CustomerNotifier, clock: Clock,
                 alerts: AlertPublisher | None = None, sla: SlaKeeper | None = None, router: Router | None = None,
                 taxonomy: Callable[[], Taxonomy] = lambda: DEFAULT_TAXONOMY):
        self.repository = repository
        self.taxonomy = taxonomy  # the one in force now (run-time configuration)
        self.notifier = notifier
        self.clock = clock
        self.deliveries = DeliveryRecorder(repository, clock, alerts)
        self.sla, self.router = sla, router

    def perform(
        self, reference: str, command: Command, actor: Actor, expected_version: int | None = None
    ) -> tuple[Complaint, Event]:
        if reaches_customer(command):
            return self._perform_with_message(reference, command, actor, expected_version)
        for attempt in range(self.MAX_ATTEMPTS):
            current = self._current(reference, expected_version)
            try:
                return self._record(current, command, actor)
            except ConcurrentModification:
                if expected_version is not None or attempt == self.MAX_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _perform_with_message(self, reference: str, command: Command, actor: Actor,
                              expected_version: int | None) -> tuple[Complaint, Event]:
        """Sending and recording are one unit: the message goes out first, keyed on the version it answers (so a
        retried request finds the send done and sends nothing again), and only a message that was sent is recorded,
        once. A message that cannot be sent records `delivery_failed` (the clocks keep running) and raises
        NotDelivered, so the agent is told at once."""
        current = self._current(reference, expected_version)
        apply(current, command, actor, self.clock.now(), self.taxonomy())  # refused before anything is sent
        try:
            delivery = self.notifier.send(current, command.action, command.message or "")
        except DeliveryFailed as failure:  # transient, after the transport's retries: nothing recorded, retry safe
            raise NotDelivered(f"the message was not sent ({failure.reason}); nothing was recorded, try again",
                               transient=True) from failure
        if delivery is None or delivery.failure:
            reason = delivery.failure if delivery else "no e-mail on file and no phone that accepts SMS"
            self.deliveries.failed(reference, command.action, reason, channel=delivery.channel if delivery else None,
                                   text=command.message)
            raise NotDelivered(f"the message was not delivered to the customer: {reason}")
        self.deliveries.remember(reference, delivery)
        for attempt in range(self.MAX_ATTEMPTS * 2):  # sent: record it, on the newest version if others wrote first
            try:  # the action's own version says how it was delivered (no separate customer_notified version)
                changed, event = self._record(current, command, actor, {"delivery": {
                    "channel": delivery.channel, "message_id": delivery.message_id}}, delivery)
                break
            except ConcurrentModification:
                if attempt == self.MAX_ATTEMPTS * 2 - 1:
                    raise
                current = self.repository.get(reference)
        return changed, event

    def _current(self, reference: str, expected_version: int | None) -> Complaint:
        current = self.repository.get(reference)
        if expected_version is not None and current.version != expected_version:
            raise ConcurrentModification(
                f"complaint is at version {current.version}, not {expected_version}; reload and retry"
            )
        return current

    def _record(self, current: Complaint, command: Command, actor: Actor, data: dict | None = None,
                delivery: Delivery | None = None) -> tuple[Complaint, Event]:
        """Applies the command to `current` and saves it with its event under the optimistic lock (with the
        Message-IDs of the mail it sent, when it sent one, in the complaint's e-mail thread)."""
        now = self.clock.now()
        if command.action == "assign" and self.router is not None and command.assignee:
            problem = self.router.assignment_problem(command.team or current.team, command.assignee)
            if problem:
                raise InvalidCommand(problem[1], field=problem[0])
        changed, event = apply(current, command, actor, now, self.taxonomy())
        if data:
            event = dataclasses.replace(event, data={**event.data, **data})
        if delivery is not None and delivery.thread_ids:
            changed = changed.evolve(email_thread=extend_thread(changed.email_thread, delivery.thread_ids))
        changed, event = self._rerouted(changed, event, command)
        if self.sla is not None:
            changed = self.sla.stamp(changed, [*self.repository.history(current.reference), event], now)
        self.repository.save(changed, event)
        if self.sla is not None:
            self.sla.sync_timers(current, changed)
        return changed, event

    def _rerouted(self, changed: Complaint, event: Event, command: Command) -> tuple[Complaint, Event]:
        """A category correction, an unlinked duplicate or a released complaint is routed again; the event says
        where and why."""
        if self.router is None or command.action not in ("change_category", "unlink_duplicate", "release"):
            return changed, event
        routing = self.router.route(changed)
        if command.action == "change_category" and routing.team == changed.team:
            return changed, event
        assignee = routing.assignee if routing.assignee or routing.team != changed.team else changed.assignee
        data = {**event.data, "assignment": {"team": routing.team, "assignee": assignee, "reason": routing.reason}}
        changes = {**event.changes, **{name: {"old": getattr(changed, name), "new": value}
                                       for name, value in (("team", routing.team), ("assignee", assignee))
                                       if getattr(changed, name) != value}}
        return (changed.evolve(team=routing.team, assignee=assignee),
                dataclasses.replace(event, data=data, changes=changes))


# The triage details that only the complaint page's "why" shows, or that only intake compares: in the `received`
# event (written once), not on the complaint item (rewritten with every version).
RECEIVED_ONLY = ("minhash", "evidence", "top_categories", "priority_reason")


def kept_on_item(classification: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in classification.items() if name not in RECEIVED_ONLY}


def _language_of(message: IntakeMessage) -> str | None:
    """The language the customer chose, else the one they wrote in."""
    return message.language or detect_language(f"{message.subject}\n{message.text}")


def _thread_of(message: IntakeMessage) -> tuple[str, ...]:
    if message.channel != Channel.EMAIL:
        return ()
    return extend_thread(message.references, (message.channel_message_id,))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
