"""Messages to the customer through the channel the complaint came from, each sent once."""
from __future__ import annotations

import dataclasses
import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable, Protocol

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

from ..domain.customer_messages import CustomerLinks, message as customer_message
from ..domain.model import Channel, Complaint
from ..domain.ports import Delivery, DeliveryFailed, SmsConsents
from ..mail.compose import compose, message_id_for, recipient_address
from .idempotency import messages_once


@dataclass(frozen=True)
class OutgoingMessage:
    reference: str
    kind: str
    channel: str  # email | sms
    recipient: str
    subject: str
    text: str
    complaint_version: int  # with the reference, makes each message unique: the same text sent twice is two messages
    message_id: str = ""  # e-mail: our Message-ID (derived from the fields above, so a retry keeps it)
    thread: tuple[str, ...] = ()  # e-mail: the conversation's Message-IDs, oldest first (In-Reply-To, References)


class Transport(Protocol):
    def deliver(self, message: OutgoingMessage) -> str:
        """Send and return the provider's message id; raise DeliveryFailed when it cannot."""


def outgoing(
    complaint: Complaint,
    kind: str,
    text: str,
    sms_blocked: Callable[[str], bool] = lambda phone: False,
    mail_domain: str = "complaints.local",
    links: CustomerLinks | None = None,
) -> OutgoingMessage | None:
    """E-mail for web and e-mail complaints; SMS for SMS complaints or when there is only a phone, unless the
    number has opted out of SMS (STOP). Worded in the customer's language, with the link to their page."""
    email, phone = complaint.sender.email, complaint.sender.phone
    wants_sms = bool(phone) and (complaint.channel == Channel.SMS or not email)
    if wants_sms and not sms_blocked(phone):
        channel, recipient = "sms", phone
    elif email:
        channel, recipient = "email", email
    else:
        return None
    words = customer_message(complaint, kind, text, channel, links)
    message = OutgoingMessage(complaint.reference, kind, channel, recipient, words.subject, words.text,
                              complaint.version)
    if channel == "email":
        own_id = message_id_for(complaint.reference, mail_domain, kind, complaint.version, text)
        message = dataclasses.replace(message, message_id=own_id, thread=complaint.email_thread)
    return message


class ChannelNotifier:
    """CustomerNotifier: picks the channel, then delivers each message once with Powertools idempotency (keyed on
    the whole message, including the complaint version it belongs to), so a retry never sends it twice.
    A permanent failure comes back as a Delivery with `failure`; a transient one (after the transport's own
    retries) raises DeliveryFailed, so the caller's retry mechanism can try again."""

    def __init__(
        self,
        transport: Transport,
        idempotency_table: str | None = None,
        sms_consents: SmsConsents | None = None,
        mail_domain: str = "complaints.local",
        links: CustomerLinks | None = None,
    ):
        self.transport = transport
        self.links = links
        self.sms_consents = sms_consents
        self.mail_domain = mail_domain
        self._deliver_once = self._deliver
        if idempotency_table:
            store = DynamoDBPersistenceLayer(table_name=idempotency_table)
            self._deliver_once = idempotent_function(
                data_keyword_argument="message", persistence_store=store, config=messages_once
            )(self._deliver)

    def send(self, complaint: Complaint, kind: str, text: str) -> Delivery | None:
        blocked = self.sms_consents.opted_out if self.sms_consents else (lambda phone: False)
        message = outgoing(complaint, kind, text, sms_blocked=blocked, mail_domain=self.mail_domain, links=self.links)
        if message is None:
            return None
        try:
            result = self._deliver_once(message=asdict(message))
        except DeliveryFailed as failure:
            if not failure.permanent:
                raise
            return Delivery(message.channel, message.recipient, "", failure=failure.reason)
        return Delivery(message.channel, message.recipient, result["message_id"],
                        thread_ids=tuple(result.get("thread_ids") or ()))

    def send_to_staff(self, email: str, reference: str, version: int, subject: str, text: str) -> Delivery:
        """An e-mail to a staff member about a complaint version, once per version even when the caller retries."""
        message = OutgoingMessage(reference, "staff_update", "email", email, subject, text, version)
        message = dataclasses.replace(message, message_id=message_id_for(reference, self.mail_domain, "staff_update",
                                                                          version, text))
        try:
            result = self._deliver_once(message=asdict(message))
        except DeliveryFailed as failure:
            if not failure.permanent:
                raise  # the stream retries the record
            return Delivery("email", email, "", failure=failure.reason)
        return Delivery("email", email, result["message_id"])

    def _deliver(self, message: dict) -> dict:
        sent = OutgoingMessage(**{**message, "thread": tuple(message.get("thread") or ())})
        provider_id = self.transport.deliver(sent)
        return {"message_id": provider_id, "thread_ids": _thread_ids(sent, provider_id)}


def _thread_ids(message: OutgoingMessage, provider_id: str) -> list[str]:
    """The Message-ID a reply to this mail carries: the one SES puts on the mail it sends (SES replaces ours), or
    ours when the transport keeps it."""
    if message.channel != "email":
        return []
    if provider_id and not provider_id.startswith("<"):
        return [f"<{provider_id}@email.amazonses.com>"]
    return [provider_id or message.message_id]


def sms_reply(transport: Transport, phone: str, kind: str, text: str) -> str:
    """A service message (HELP, START) to a number, outside any complaint; returns the provider's message id."""
    return transport.deliver(OutgoingMessage("", kind, "sms", phone, "", text, 0))


def raw_email(message: OutgoingMessage, sender_email: str, sender_name: str = "Customer Care") -> bytes:
    """The MIME bytes; an address that cannot be written in a header is a permanent failure, not a crash."""
    try:
        recipient_address(message.recipient)
    except ValueError as error:
        raise DeliveryFailed(f"InvalidAddress: {error}", permanent=True) from None
    return compose(reference=message.reference, sender=sender_email, sender_name=sender_name,
                   recipient=message.recipient, subject=message.subject, text=message.text,
                   message_id=message.message_id, thread=message.thread, automatic=message.kind == "acknowledgement")


class OutboxTransport:
    """Local stack: appends each message to <outbox_dir>/customer-messages.jsonl instead of sending it
    (an e-mail with its raw MIME, so a test can answer it like a mail client would)."""

    def __init__(self, outbox_dir: str, sender_email: str = "complaints@example.com"):
        self.path = os.path.join(outbox_dir, "customer-messages.jsonl")
        self.sender_email = sender_email

    def deliver(self, message: OutgoingMessage) -> str:
        message_id = message.message_id or f"<{uuid.uuid4()}@outbox.local>"
        record = {"at": datetime.now(timezone.utc).isoformat(), **asdict(message), "message_id": message_id}
        if message.channel == "email":
            record["raw"] = raw_email(message, self.sender_email).decode("utf-8", "replace")
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as outbox:
            outbox.write(json.dumps(record, ensure_ascii=False) + "\n")
        return message_id


# Provider errors that retrying cannot fix. Throttling and 5xx are retried with backoff by botocore first.
PERMANENT_ERRORS = frozenset({
    "MessageRejected", "MailFromDomainNotVerifiedException", "AccountSuspendedException",
    "SendingPausedException", "NotFoundException", "BadRequestException", "InvalidParameter",
    "InvalidParameterValue", "InvalidParameterException", "OptedOutException", "AuthorizationError",
})


class AwsTransport:
    """AWS: e-mail through SES (raw MIME, for our threading headers), SMS through SNS."""

    def __init__(self, sender_email: str, ses=None, sns=None, configuration_set: str | None = None):
        self.sender_email = sender_email
        self.configuration_set = configuration_set
        self._ses = ses or _client("sesv2")
        self._sns = sns or _client("sns")

    def deliver(self, message: OutgoingMessage) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._send(message)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise DeliveryFailed(f"{code}: {error.response.get('Error', {}).get('Message', '')}",
                                 permanent=code in PERMANENT_ERRORS) from error
        except BotoCoreError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}", permanent=False) from error

    def _send(self, message: OutgoingMessage) -> str:
        if message.channel == "email":
            request = {"FromEmailAddress": self.sender_email, "Destination": {"ToAddresses": [message.recipient]},
                       "Content": {"Raw": {"Data": raw_email(message, self.sender_email)}}}
            if self.configuration_set:
                request["ConfigurationSetName"] = self.configuration_set
            return self._ses.send_email(**request)["MessageId"]
        return self._sns.publish(PhoneNumber=message.recipient, Message=message.text[:1600])["MessageId"]


def _client(service: str):
    """A boto3 client that retries throttling and server errors with exponential backoff and jitter."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 5}))
