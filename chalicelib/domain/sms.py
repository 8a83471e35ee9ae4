"""Inbound SMS, whichever provider delivered it: keywords (STOP / START / HELP) are honoured and recorded and are
never complaints; anything else goes onto the intake queue, continuing the complaint whose reference it quotes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .customer_messages import keyword_reply
from .model import Attachment, Channel, IntakeMessage, Sender
from .ports import IntakeQueue, SmsConsentChange, SmsConsents
from .reference import find_reference

KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), "stop"),
    **dict.fromkeys(("START", "UNSTOP", "YES"), "start"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
}
CHINESE_KEYWORDS = {  # answered in Chinese; "TD" (退订) is how Chinese SMS are unsubscribed
    **dict.fromkeys(("TD", "退订", "取消订阅"), "stop"),
    **dict.fromkeys(("订阅", "恢复"), "start"),
    **dict.fromkeys(("帮助",), "help"),
}
STATES = {"stop": "opted_out", "start": "opted_in"}
SUBJECT_LENGTH = 60


@dataclass(frozen=True)
class InboundSms:
    provider: str  # aws | twilio
    message_id: str  # the provider's id: a re-delivery carries the same one
    phone: str  # E.164
    text: str
    received_at: datetime
    media: tuple[Attachment, ...] = ()  # MMS: the provider's media links (a photo may come with no text at all)


@dataclass(frozen=True)
class SmsOutcome:
    action: str  # stop | start | help | message
    reply: str | None = None  # what to answer the sender with, if anything (once: not for a re-delivery)
    language: str = "en"  # the keyword's


def media_attachment(url: str, content_type: str | None, index: int) -> Attachment:
    """An MMS media item, kept as a link to where the provider holds it."""
    name = url.rsplit("/", 1)[-1].split("?", 1)[0] or f"media-{index + 1}"
    return Attachment(filename=name[:200], content_type=content_type or "application/octet-stream", size=0,
                      location=url[:2048])


def keyword(text: str) -> str | None:
    """The keyword a message consists of (surrounding blanks and punctuation ignored), upper-cased, or None."""
    word = (text or "").strip().strip(".!。！").strip().upper()
    return word if word in KEYWORDS or word in CHINESE_KEYWORDS else None


def intake_message(sms: InboundSms) -> IntakeMessage:
    first_line = sms.text.strip().splitlines()[0] if sms.text.strip() else ""
    subject = first_line if len(first_line) <= SUBJECT_LENGTH else first_line[: SUBJECT_LENGTH - 1] + "…"
    return IntakeMessage(
        channel=Channel.SMS,
        channel_message_id=sms.message_id,
        sender=Sender(phone=sms.phone),
        subject=subject or ("MMS" if sms.media else "SMS"),
        text=sms.text,
        received_at=sms.received_at,
        attachments=sms.media,
        thread_reference=find_reference(sms.text),
    )


class SmsIntake:
    def __init__(self, queue: IntakeQueue, consents: SmsConsents):
        self.queue = queue
        self.consents = consents

    def receive(self, sms: InboundSms) -> SmsOutcome:
        word = keyword(sms.text)
        if word is None:
            self.queue.send(intake_message(sms))
            return SmsOutcome("message")
        language = "zh" if word in CHINESE_KEYWORDS else "en"
        action = KEYWORDS.get(word) or CHINESE_KEYWORDS[word]
        state = STATES.get(action) or ("opted_out" if self.consents.opted_out(sms.phone) else "opted_in")
        change = SmsConsentChange(sms.phone, word, action, state, sms.received_at, sms.message_id, sms.provider)
        first_time = self.consents.record(change)
        return SmsOutcome(action, keyword_reply(action, language) if first_time else None, language)
