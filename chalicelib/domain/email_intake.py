"""The e-mail gateway: what becomes of each SES notification.

Every inbound mail gets one record in the mail log, whatever it is (the audit trail). Mail from a person goes
onto the intake queue, threaded onto its complaint when it answers one; everything else (auto-replies, bulk mail
such as newsletters and SES's test mail, bounces, feedback reports, empty or unreadable mail, SES spam/virus FAILs)
never becomes a complaint and is never acknowledged: the log records its disposition and why. A bounce of our own
mail, or SES feedback about it, is recorded on its complaint as a delivery failure.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Mapping, Protocol

from ..mail import Kind, classify, parse_email
from ..mail.markers import reference_in_message_id
from ..mail.parse import ParsedEmail
from ..mail.ses import SesNotification
from .deliveries import DeliveryRecorder, email_key
from .model import Attachment, Channel, IntakeMessage, Sender
from .ports import ComplaintRepository, IntakeQueue

MAX_TEXT_CHARS = 20_000  # a complaint's text; longer mail is cut (the full mail stays in S3)
MAX_THREAD_LOOKUPS = 20  # Message-IDs of In-Reply-To and References looked up, newest first
MAX_STORED_ATTACHMENTS = 50  # per mail: past these, attachments are listed, not copied out (S3 writes per mail)


@dataclass(frozen=True)
class InboundMailRecord:
    """One line of the mail log (the audit trail): what came in and what we did with it."""

    ses_message_id: str
    received_at: datetime
    outcome: str  # queued | quarantined | ignored | delivery_failure | rejected
    disposition: str  # the parse-email disposition, or "missing" when the raw mail could not be read
    reason: str
    sender: str | None = None
    subject: str | None = None
    message_id: str | None = None
    reference: str | None = None  # the complaint it was threaded onto or is about
    object_key: str | None = None
    verdicts: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[dict[str, Any], ...] = ()
    problems: tuple[str, ...] = ()


class MailStore(Protocol):
    def raw(self, bucket: str, key: str) -> bytes | None:
        """The stored raw mail, or None when the object does not exist."""

    def put_attachment(self, key: str, data: bytes, content_type: str) -> str:
        """Stores an attachment and returns its location."""


class MailLog(Protocol):
    def record(self, entry: InboundMailRecord) -> None:
        """Stores the entry (a re-delivered notification overwrites its own entry with the same facts)."""


@dataclass(frozen=True)
class EmailOutcome:
    outcome: str
    disposition: str
    reference: str | None = None


class EmailIntake:
    def __init__(self, queue: IntakeQueue, repository: ComplaintRepository, deliveries: DeliveryRecorder,
                 store: MailStore, log: MailLog, attachment_limit: int = 5 * 1024 * 1024):
        self.queue, self.repository, self.deliveries = queue, repository, deliveries
        self.store, self.log, self.attachment_limit = store, log, attachment_limit

    def receive(self, note: SesNotification) -> EmailOutcome:
        if not note.is_inbound:
            return self._feedback(note)
        raw = note.content
        if raw is None and note.bucket and note.object_key:
            raw = self.store.raw(note.bucket, note.object_key)
        if raw is None:
            where = f"s3://{note.bucket}/{note.object_key}" if note.object_key else "the notification"
            return self._logged(note, None, "rejected", "missing", f"raw mail not found in {where}")
        parsed = parse_email(raw, payload_limit=self.attachment_limit)
        disposition = classify(parsed, {f"{name}Verdict": status for name, status in note.verdicts.items()})
        kind = disposition.kind
        if kind in (Kind.SPAM, Kind.VIRUS):
            return self._logged(note, parsed, "quarantined", kind.value, disposition.reason)
        if kind == Kind.BOUNCE:
            reference = self._thread_of((disposition.bounced_message_id,)) or disposition.thread_reference
            if reference and self.repository.find(reference):
                self.deliveries.failed(reference, "reply", f"bounced: {disposition.diagnostic or disposition.reason}",
                                       channel="email",
                                       claim=f"bounce#{note.ses_message_id}")
                return self._logged(note, parsed, "delivery_failure", kind.value, disposition.reason, reference)
            return self._logged(note, parsed, "ignored", kind.value, disposition.reason)
        if kind not in (Kind.COMPLAINT, Kind.REPLY):
            reference = disposition.thread_reference
            return self._logged(note, parsed, "ignored", kind.value, disposition.reason, reference)
        reference = self._thread_of((parsed.in_reply_to, *reversed(parsed.references))) or disposition.thread_reference
        message = self._intake_message(note, parsed, reference, disposition.may_auto_reply)
        self.queue.send(message)
        kind_done = Kind.REPLY.value if reference else kind.value
        return self._logged(note, parsed, "queued", kind_done, disposition.reason, reference,
                            attachments=message.attachments)

    def _feedback(self, note: SesNotification) -> EmailOutcome:
        """SES feedback about a mail we sent: a bounce or complaint is recorded on the complaint it answered."""
        reference = self._thread_of((f"<{note.ses_message_id}@email.amazonses.com>",))
        if note.kind in ("bounce", "complaint") and reference:
            self.deliveries.failed(reference, "reply", note.detail, channel="email",
                                   claim=f"ses-{note.kind}#{note.ses_message_id}")
            return EmailOutcome("delivery_failure", note.kind, reference)
        return EmailOutcome("ignored", note.kind, reference)

    def _thread_of(self, message_ids: tuple[str | None, ...]) -> str | None:
        """The complaint of the first Message-ID we know: ours (the index, or the reference it encodes), or an
        earlier mail of the conversation."""
        for message_id in [m for m in message_ids if m][:MAX_THREAD_LOOKUPS]:
            reference = self.repository.reference_for_message(email_key(message_id)) or reference_in_message_id(
                message_id)
            if reference:
                return reference
        return None

    def _intake_message(self, note: SesNotification, parsed: ParsedEmail, reference: str | None,
                        may_auto_reply: bool) -> IntakeMessage:
        text = (parsed.text.strip() or parsed.full_text.strip())
        details: dict[str, Any] = {
            "ses_message_id": note.ses_message_id,
            "object_key": note.object_key,
            "verdicts": dict(note.verdicts),
            "may_auto_reply": may_auto_reply,
            "charset": parsed.charset,
        }
        if len(text) > MAX_TEXT_CHARS:
            text, details["text_cut_at"] = text[:MAX_TEXT_CHARS], MAX_TEXT_CHARS
        references = tuple(dict.fromkeys((*parsed.references, *(x for x in (parsed.in_reply_to,) if x))))
        return IntakeMessage(
            channel=Channel.EMAIL,
            channel_message_id=parsed.message_id or f"<{note.ses_message_id}@ses.inbound>",
            sender=Sender(name=parsed.from_name, email=parsed.from_address),
            subject=(parsed.subject or "(no subject)")[:300],
            text=text,
            received_at=note.timestamp,
            attachments=self._stored_attachments(note, parsed),
            thread_reference=reference,
            references=references,
            details=details,
        )

    def _stored_attachments(self, note: SesNotification, parsed: ParsedEmail) -> tuple[Attachment, ...]:
        """The first MAX_STORED_ATTACHMENTS attachments up to the size limit go to the store; the others are recorded
        without a location (the raw mail keeps them all)."""
        stored = []
        for index, attachment in enumerate(parsed.attachments):
            data = parsed.attachment_payloads.get(attachment.filename)
            if data is not None and len(data) <= self.attachment_limit and index < MAX_STORED_ATTACHMENTS:
                key = f"attachments/{note.ses_message_id}/{attachment.filename}"
                attachment = replace(attachment, location=self.store.put_attachment(key, data, attachment.content_type))
            stored.append(attachment)
        return tuple(stored)

    def _logged(self, note: SesNotification, parsed: ParsedEmail | None, outcome: str, disposition: str,
                reason: str, reference: str | None = None,
                attachments: tuple[Attachment, ...] | None = None) -> EmailOutcome:
        listed = attachments if attachments is not None else (parsed.attachments if parsed else ())
        self.log.record(InboundMailRecord(
            ses_message_id=note.ses_message_id,
            received_at=note.timestamp,
            outcome=outcome,
            disposition=disposition,
            reason=reason,
            sender=parsed.from_address if parsed else None,
            subject=parsed.subject if parsed else None,
            message_id=parsed.message_id if parsed else None,
            reference=reference,
            object_key=note.object_key,
            verdicts=dict(note.verdicts),
            attachments=tuple({"name": a.filename, "type": a.content_type, "size": a.size, "location": a.location}
                              for a in listed),
            problems=parsed.problems if parsed else (),
        ))
        return EmailOutcome(outcome, disposition, reference)
