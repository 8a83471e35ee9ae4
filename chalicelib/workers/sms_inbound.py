"""AWS End User Messaging two-way SMS: each inbound message reaches us as an SNS notification whose Message is
JSON (originationNumber, destinationNumber, messageKeyword, messageBody, inboundMessageId, ...)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from ..domain.sms import InboundSms, media_attachment
from ..observability import logger
from ..phones import sender_phone
from ..wiring import services


def handle_sms_notifications(event: dict[str, Any], context: Any) -> None:
    """Keywords are recorded (and HELP / START answered by SMS); other messages go onto the intake queue.
    An error propagates so Lambda retries the notification; a re-delivery creates nothing new."""
    from ..adapters.notifiers import sms_reply  # imported on use: Powertools idempotency pulls in boto3

    for record in event.get("Records", []):
        sms = inbound_sms(record["Sns"])
        if sms is None:
            continue
        outcome = services.sms_intake.receive(sms)
        logger.info("sms received", extra={"provider": "aws", "action": outcome.action})
        if outcome.reply:
            sms_reply(services.transport, sms.phone, outcome.action, outcome.reply)


def inbound_sms(notification: dict[str, Any]) -> InboundSms | None:
    """The SMS in one SNS notification; None (logged) when it is not a two-way SMS message."""
    try:
        message = json.loads(notification["Message"])
        phone = sender_phone(message["originationNumber"])
    except (KeyError, TypeError, ValueError):
        logger.warning("not a two-way SMS notification: skipped", extra={"sns_message_id": notification.get("MessageId")})
        return None
    text = str(message.get("messageBody") or "")
    timestamp = notification.get("Timestamp")
    received_at = datetime.fromisoformat(timestamp.replace("Z", "+00:00")) if timestamp else datetime.now(timezone.utc)
    # inboundMessageId identifies the SMS; without it (a trimmed test event), the same content gives the same id.
    message_id = message.get("inboundMessageId") or notification.get("MessageId") or hashlib.sha256(
        f"{phone}|{timestamp}|{text}".encode()).hexdigest()[:32]
    urls = message.get("inboundMediaUrls") or message.get("mediaUrls") or []  # MMS (End User Messaging)
    media = tuple(media_attachment(str(url), None, i) for i, url in enumerate(urls[:10]) if url)
    return InboundSms(provider="aws", message_id=message_id, phone=phone, text=text, received_at=received_at,
                      media=media)
