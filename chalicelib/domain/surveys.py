"""CSAT surveys: send the customer a survey link after a resolution, and take their answer.

Sending happens once per resolution: the "survey_sent" event claims `survey-sent#{reference}#{resolved_at}`.
The token of a resolution is derived from it (same id, issued at the due time), so a retried send repeats the
very same message and the notifier's own idempotency drops it.

Answering happens once per token: the "survey_answered" event claims SurveyClaim.used_key. A customer who says
the problem is not solved reopens a resolved complaint; a score of 2 or less alerts the team lead.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.quality.survey import DEFAULT_TTL, SurveyAnswer, SurveyClaim, SurveyTokenError, issue, verify

from .customer_messages import survey_invitation
from .deliveries import DeliveryRecorder, extend_thread
from .errors import ConcurrentModification, IllegalTransition
from .lifecycle import CUSTOMER, SYSTEM, Actor, Command
from .model import Complaint, Event, Status, Visibility
from .ports import Alert, AlertPublisher, Clock, ComplaintRepository, CustomerNotifier
from .service import ComplaintService

SURVEY_SENT, SURVEY_ANSWERED = "survey_sent", "survey_answered"
LOW_SCORE = 2  # an answer at or below this alerts the team lead
EARLY_TOLERANCE = timedelta(minutes=1)  # a timer may fire this much before the due time and still send
MAX_ATTEMPTS = 3


class SurveyAlreadyAnswered(SurveyTokenError):
    """The link was used: an answer is stored for it."""

    reason = "used"


@dataclass(frozen=True)
class SendResult:
    """outcome: sent | not_found | not_resolved | not_due | too_late | already_sent | unreachable."""

    reference: str
    outcome: str
    token_id: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class AnswerResult:
    """reopen: reopened | closed (a new complaint is needed) | open (it is open already) | None (not asked)."""

    reference: str
    score: int
    reopen: str | None = None
    alerted: bool = False


class SurveyService:
    def __init__(
        self,
        repository: ComplaintRepository,
        notifier: CustomerNotifier,
        clock: Clock,
        complaints: ComplaintService,
        secret: bytes,
        base_url: str,
        delay: timedelta = timedelta(minutes=60),
        alerts: AlertPublisher | None = None,
        ttl: timedelta = DEFAULT_TTL,
    ):
        if delay < timedelta(0):
            raise ValueError("the survey delay cannot be negative")
        self.repository, self.notifier, self.complaints = repository, notifier, complaints
        self.deliveries = DeliveryRecorder(repository, clock, alerts)
        self.secret, self.base_url = secret, base_url.rstrip("/")
        self.delay, self.ttl, self.alerts = delay, ttl, alerts

    # sending ----------------------------------------------------------------
    def due_after_resolution(self, complaint: Complaint) -> datetime:
        """When the survey of this resolution should go out."""
        if complaint.resolved_at is None:
            raise ValueError(f"{complaint.reference} is not resolved")
        return complaint.resolved_at + self.delay

    def send(self, reference: str, now: datetime) -> SendResult:
        """Sends the survey link of the current resolution, once. A stale or repeated trigger is a no-op.
        A transient DeliveryFailed propagates, so the caller's queue retries (nothing was claimed yet)."""
        complaint = self.repository.find(reference)
        if complaint is None:
            return SendResult(reference, "not_found")
        if complaint.status not in (Status.RESOLVED, Status.CLOSED) or complaint.resolved_at is None:
            return SendResult(reference, "not_resolved")  # reopened before the delay ran out
        due = self.due_after_resolution(complaint)
        if now < due - EARLY_TOLERANCE:
            return SendResult(reference, "not_due")  # a trigger of an earlier resolution
        claim_key = f"survey-sent#{reference}#{complaint.resolved_at.isoformat()}"
        if self.repository.reference_for_message(claim_key) is not None:
            return SendResult(reference, "already_sent")
        survey = issue(self.secret, reference, due, self.ttl, token_id=self._token_id(claim_key))
        if now >= survey.claim.expires_at:
            return SendResult(reference, "too_late")
        if not self.base_url:
            raise RuntimeError("PUBLIC_BASE_URL is required to send survey links")
        delivery = self.notifier.send(complaint, "survey", self._invitation(complaint, survey.token, survey.claim))
        if delivery is None or delivery.failure:
            self.deliveries.not_delivered(reference, "survey", delivery)
            return SendResult(reference, "unreachable", survey.claim.token_id)
        data = {"token_id": survey.claim.token_id, "expires_at": survey.claim.expires_at.isoformat(),
                "channel": delivery.channel, "delivery": {"channel": delivery.channel,
                                                          "message_id": delivery.message_id}}
        self.deliveries.remember(reference, delivery)
        stored = self._append(reference, now, SURVEY_SENT, SYSTEM, "Satisfaction survey sent", data, claim_key,
                              thread=delivery.thread_ids)
        if not stored:
            return SendResult(reference, "already_sent")
        return SendResult(reference, "sent", survey.claim.token_id, delivery.channel)

    def survey_link(self, token: str) -> str:
        return f"{self.base_url}/survey/{token}"

    def _invitation(self, complaint: Complaint, token: str, claim: SurveyClaim) -> str:
        return survey_invitation(complaint.reference, self.survey_link(token), claim.expires_at, complaint.language)

    def _token_id(self, claim_key: str) -> str:
        """The same token id for the same resolution (keyed with the secret, so it cannot be guessed)."""
        digest = hmac.new(self.secret, b"survey-token-id:" + claim_key.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:12]).decode()

    # answering --------------------------------------------------------------
    def check(self, token: str, now: datetime) -> SurveyClaim:
        """The claim of a link that can still be answered; raises SurveyTokenMalformed, SurveyTokenInvalid,
        SurveyTokenExpired or SurveyAlreadyAnswered."""
        claim = verify(self.secret, token, now)
        if self.repository.reference_for_message(claim.used_key) is not None:
            raise SurveyAlreadyAnswered("this survey has already been answered")
        return claim

    def answer(self, token: str, answer: SurveyAnswer, now: datetime) -> AnswerResult:
        """Stores the answer once (raises SurveyAlreadyAnswered for a used link); then reopens and alerts."""
        claim = self.check(token, now)
        data = {**answer.as_event_data(), "token_id": claim.token_id}
        message = f"The customer rated the handling {answer.score}/5" + (f" ({answer.reason})" if answer.reason else "")
        alerted = self._alert_low_score(self.repository.get(claim.reference), answer, claim)  # before the answer is
        if not self._append(claim.reference, now, SURVEY_ANSWERED, CUSTOMER, message, data,  # stored: never lost
                            claim.used_key):
            raise SurveyAlreadyAnswered("this survey has already been answered")
        complaint = self.repository.get(claim.reference)
        reopen = self._reopen(complaint) if answer.not_solved else None
        return AnswerResult(claim.reference, answer.score, reopen, alerted)

    def _reopen(self, complaint: Complaint) -> str:
        if complaint.status == Status.CLOSED:
            return "closed"
        if complaint.status != Status.RESOLVED:
            return "open"
        command = Command("reopen", message="The customer says the problem is not solved (satisfaction survey).")
        try:
            self.complaints.perform(complaint.reference, command, CUSTOMER)
        except IllegalTransition:  # reopened (or closed) meanwhile
            return "closed" if self.repository.get(complaint.reference).status == Status.CLOSED else "open"
        return "reopened"

    def _alert_low_score(self, complaint: Complaint, answer: SurveyAnswer, claim: SurveyClaim) -> bool:
        if answer.score > LOW_SCORE or self.alerts is None:
            return False
        reference = complaint.reference
        self.alerts.publish(Alert(
            type="csat_low_score", severity="warning", team=complaint.team, category=complaint.category, level="L1",
            subject=f"{reference}: the customer rated us {answer.score}/5" + (f" ({answer.reason})" if answer.reason else ""),
            body={"reference": reference, "score": answer.score, "reason": answer.reason, "comment": answer.comment,
                  "link": f"{self.base_url}/console/complaints/{reference}"},
            dedup_key=f"csat_low_score#{reference}#{claim.token_id}",
        ))
        return True

    # storage ----------------------------------------------------------------
    def _append(self, reference: str, now: datetime, type_: str, actor: Actor, message: str,
                data: dict[str, Any], claim: str, thread: tuple[str, ...] = ()) -> bool:
        """Appends one event under the optimistic lock, claiming `claim` in the same write; False if claimed before.
        `thread`: the Message-IDs of the mail sent, for the complaint's e-mail thread."""
        for attempt in range(MAX_ATTEMPTS):
            current = self.repository.get(reference)
            event = Event(reference=reference, seq=current.version + 1, at=now, type=type_, actor=actor.id,
                          actor_role=actor.role, visibility=Visibility.INTERNAL, message=message, data=data)
            changed = dataclasses.replace(current, updated_at=now, version=event.seq,
                                          email_thread=extend_thread(current.email_thread, thread))
            try:
                return self.repository.save(changed, event, claim=claim)
            except ConcurrentModification:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
        return False
