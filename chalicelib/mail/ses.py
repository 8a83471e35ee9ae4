"""Amazon SES notifications, read into one plain shape.

Two kinds reach the e-mail gateway:
- "Received": an inbound mail. Our receipt rule stores the raw MIME in S3 and notifies the topic (action S3 with a
  topic); an SNS action instead carries the mail in `content` (small mails only). The Lambda action's `ses` record
  has the same `mail` and `receipt`, but no content.
- "Bounce" / "Complaint" / "Delivery": SES feedback about mail we sent (configuration set event destination, or
  identity notifications), keyed by the SES message id of our mail.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

VERDICTS = ("spam", "virus", "spf", "dkim", "dmarc")


@dataclass(frozen=True)
class SesNotification:
    kind: str  # received | bounce | complaint | delivery | ... (lower case)
    ses_message_id: str
    timestamp: datetime
    bucket: str | None = None
    object_key: str | None = None
    content: bytes | None = None  # the raw mail, when the notification carries it
    verdicts: Mapping[str, str] = field(default_factory=dict)  # spam/virus/spf/dkim/dmarc -> PASS | FAIL | GRAY | ...
    recipients: tuple[str, ...] = ()
    permanent: bool = False  # a bounce that will not go away by retrying
    detail: str = ""  # bounce or complaint in words

    @property
    def is_inbound(self) -> bool:
        return self.kind == "received"


def read_notification(message: Mapping[str, Any]) -> SesNotification:
    """An SES notification (the SNS Message, parsed, or a Lambda action's `ses` record). Raises ValueError."""
    try:
        mail = message["mail"]
        kind = str(message.get("notificationType") or message.get("eventType") or "received").lower()
        ses_message_id = str(mail["messageId"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"not an SES notification: missing {error}") from error
    receipt = message.get("receipt") or {}
    action = receipt.get("action") or {}
    stamp = receipt.get("timestamp") or mail.get("timestamp")
    return SesNotification(
        kind=kind,
        ses_message_id=ses_message_id,
        timestamp=_timestamp(stamp),
        bucket=action.get("bucketName"),
        object_key=action.get("objectKey"),
        content=_content(message.get("content"), action.get("encoding")),
        verdicts={name: str((receipt.get(f"{name}Verdict") or {}).get("status", "")).upper()
                  for name in VERDICTS if receipt.get(f"{name}Verdict")},
        recipients=tuple(receipt.get("recipients") or mail.get("destination") or ()),
        **_feedback(kind, message),
    )


def _feedback(kind: str, message: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "bounce":
        bounce = message.get("bounce") or {}
        recipients = bounce.get("bouncedRecipients") or []
        codes = "; ".join(filter(None, (r.get("diagnosticCode") or r.get("status") for r in recipients)))
        detail = f"{bounce.get('bounceType', 'Unknown')} bounce ({bounce.get('bounceSubType', 'General')})"
        return {"permanent": bounce.get("bounceType") == "Permanent", "detail": f"{detail}: {codes}" if codes else detail}
    if kind == "complaint":
        complaint = message.get("complaint") or {}
        return {"detail": f"recipient reported our mail as {complaint.get('complaintFeedbackType') or 'unwanted'}"}
    return {}


def _content(content: Any, encoding: str | None) -> bytes | None:
    if not content:
        return None
    if (encoding or "").upper() == "BASE64":
        try:
            return base64.b64decode(content, validate=False)
        except ValueError:
            return None
    return str(content).encode("utf-8", "surrogateescape")


def _timestamp(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(timezone.utc)
