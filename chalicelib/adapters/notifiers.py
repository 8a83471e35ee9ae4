"""Messages to the customer through the channel the complaint came from, each sent once."""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable, Protocol

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from ..domain.model import Channel, Complaint
from ..domain.ports import Delivery, SmsConsents

# One config per container; the worker registers the Lambda context on it.
idempotency_config = IdempotencyConfig(expires_after_seconds=7 * 24 * 3600)


@dataclass(frozen=True)
class OutgoingMessage:
    reference: str
    kind: str
    channel: str  # email | sms
    recipient: str
    subject: str
    text: str
    complaint_version: int  # with the reference, makes each message unique: the same text sent twice is two messages


class Transport(Protocol):
    def deliver(self, message: OutgoingMessage) -> str:
        """Send and return the provider's message id."""


def outgoing(
    complaint: Complaint, kind: str, text: str, sms_blocked: Callable[[str], bool] = lambda phone: False
) -> OutgoingMessage | None:
    """E-mail for web and e-mail complaints; SMS for SMS complaints or when there is only a phone, unless the
    number has opted out of SMS (STOP)."""
    email, phone = complaint.sender.email, complaint.sender.phone
    wants_sms = bool(phone) and (complaint.channel == Channel.SMS or not email)
    if wants_sms and not sms_blocked(phone):
        channel, recipient = "sms", phone
    elif email:
        channel, recipient = "email", email
    else:
        return None
    subject = "We received your complaint" if kind == "acknowledgement" else complaint.subject
    return OutgoingMessage(
        complaint.reference, kind, channel, recipient, f"[{complaint.reference}] {subject}", text, complaint.version
    )


class ChannelNotifier:
    """CustomerNotifier: picks the channel, then delivers each message once with Powertools idempotency (keyed on
    the whole message, including the complaint version it belongs to), so a retry never sends it twice."""

    def __init__(
        self, transport: Transport, idempotency_table: str | None = None, sms_consents: SmsConsents | None = None
    ):
        self.transport = transport
        self.sms_consents = sms_consents
        self._deliver_once = self._deliver
        if idempotency_table:
            store = DynamoDBPersistenceLayer(table_name=idempotency_table)
            self._deliver_once = idempotent_function(
                data_keyword_argument="message", persistence_store=store, config=idempotency_config
            )(self._deliver)

    def send(self, complaint: Complaint, kind: str, text: str) -> Delivery | None:
        blocked = self.sms_consents.opted_out if self.sms_consents else (lambda phone: False)
        message = outgoing(complaint, kind, text, sms_blocked=blocked)
        if message is None:
            return None
        result = self._deliver_once(message=asdict(message))
        return Delivery(message.channel, message.recipient, result["message_id"])

    def _deliver(self, message: dict) -> dict:
        return {"message_id": self.transport.deliver(OutgoingMessage(**message))}


def sms_reply(transport: Transport, phone: str, kind: str, text: str) -> str:
    """A service message (HELP, START) to a number, outside any complaint; returns the provider's message id."""
    return transport.deliver(OutgoingMessage("", kind, "sms", phone, "", text, 0))


class OutboxTransport:
    """Local stack: appends each message to <outbox_dir>/customer-messages.jsonl instead of sending it."""

    def __init__(self, outbox_dir: str):
        self.path = os.path.join(outbox_dir, "customer-messages.jsonl")

    def deliver(self, message: OutgoingMessage) -> str:
        message_id = f"<{uuid.uuid4()}@outbox.local>"
        record = {"at": datetime.now(timezone.utc).isoformat(), "message_id": message_id, **asdict(message)}
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as outbox:
            outbox.write(json.dumps(record, ensure_ascii=False) + "\n")
        return message_id


class AwsTransport:
    """AWS: e-mail through SES, SMS through SNS."""

    def __init__(self, sender_email: str, ses=None, sns=None):
        import boto3

        self.sender_email = sender_email
        self._ses = ses or boto3.client("sesv2")
        self._sns = sns or boto3.client("sns")

    def deliver(self, message: OutgoingMessage) -> str:
        if message.channel == "email":
            response = self._ses.send_email(
                FromEmailAddress=self.sender_email,
                Destination={"ToAddresses": [message.recipient]},
                Content={
                    "Simple": {
                        "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
                    }
                },
            )
        else:
            response = self._sns.publish(PhoneNumber=message.recipient, Message=message.text[:1600])
        return response["MessageId"]
