"""JSON form of the IntakeMessage on the queue."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from ..domain.model import Attachment, Channel, IntakeMessage, Sender


def encode(message: IntakeMessage) -> str:
    data = asdict(message)
    data["channel"] = message.channel.value
    data["received_at"] = message.received_at.isoformat()
    return json.dumps(data, ensure_ascii=False)


def decode(body: str) -> IntakeMessage:
    data = json.loads(body)
    return IntakeMessage(
        channel=Channel(data["channel"]),
        channel_message_id=data["channel_message_id"],
        sender=Sender(**data["sender"]),
        subject=data["subject"],
        text=data["text"],
        received_at=datetime.fromisoformat(data["received_at"]),
        language=data.get("language"),
        requested_category=data.get("requested_category"),
        attachments=tuple(Attachment(**a) for a in data.get("attachments") or ()),
        reference=data.get("reference"),
        thread_reference=data.get("thread_reference"),
        references=tuple(data.get("references") or ()),
        details=data.get("details") or {},
    )
