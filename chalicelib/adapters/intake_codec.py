"""JSON form of the IntakeMessage on the queue: bounded to fit a queue message, and clean text only.

Every string is cleaned on the way in and out: a lone surrogate becomes U+FFFD and control characters go (line
breaks and tabs stay), because neither SQS nor DynamoDB nor SES accepts them. An address that is not one clean
mailbox after that is dropped and recorded. A message too large for the queue is cut (the raw mail is in S3 already)
and `details.truncated` records what was cut."""
from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

from ..domain.model import Attachment, Channel, IntakeMessage, Sender
from ..text import clean_text

MAX_BODY_BYTES = 200 * 1024  # under SQS's 256 KiB (and 1 MiB) limit, with room for the attributes
MAX_REFERENCES = 20  # e-mail threading needs the root and the newest Message-IDs
MAX_ATTACHMENTS = 100  # listed on the message; the mail log and S3 keep the rest
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+")


def clean_address(value: str | None) -> str | None:
    """One clean mailbox, or None."""
    if value is None:
        return None
    cleaned = clean_text(value).strip()
    return cleaned if _ADDRESS.fullmatch(cleaned) else None


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _cleaned(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cleaned(v) for v in value]
    return value


def encode(message: IntakeMessage) -> str:
    data = _cleaned(asdict(message))
    data["channel"] = message.channel.value
    data["received_at"] = message.received_at.isoformat()
    _clean_sender(data)
    body = json.dumps(data, ensure_ascii=False)
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        body = json.dumps(_bounded(data), ensure_ascii=False)
    return body


def decode(body: str) -> IntakeMessage:
    data = _cleaned(json.loads(body))
    _clean_sender(data)
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


def _clean_sender(data: dict[str, Any]) -> None:
    sender = data["sender"]
    email = clean_address(sender.get("email"))
    if sender.get("email") and email is None:
        data.setdefault("details", {})["rejected_sender_email"] = sender["email"][:320]
    sender["email"] = email
    if sender.get("name"):
        sender["name"] = " ".join(sender["name"].split())[:200] or None


def _bounded(data: dict[str, Any]) -> dict[str, Any]:
    """Cuts the parts that can grow without limit, records what was cut, and as a last resort shortens the text."""
    cut: dict[str, int] = {}
    references = data.get("references") or []
    if len(references) > MAX_REFERENCES:
        data["references"] = [references[0], *references[-(MAX_REFERENCES - 1):]]
        cut["references"] = len(references) - MAX_REFERENCES
    attachments = data.get("attachments") or []
    if len(attachments) > MAX_ATTACHMENTS:
        data["attachments"] = attachments[:MAX_ATTACHMENTS]
        cut["attachments"] = len(attachments) - MAX_ATTACHMENTS
    details = data.get("details") or {}
    for key in sorted(details, key=lambda k: -len(json.dumps(details[k], ensure_ascii=False))):
        if _size(data) <= MAX_BODY_BYTES:
            break
        if len(json.dumps(details[key], ensure_ascii=False)) > 1024:
            details[key] = "(cut: too large for the queue)"
            cut.setdefault("details", 0)
            cut["details"] += 1
    for field in ("subject", "text"):
        excess = _size(data) - MAX_BODY_BYTES
        if excess > 0:
            keep = max(0, len(data[field]) - excess - 64)
            cut[f"{field}_chars"] = len(data[field]) - keep
            data[field] = data[field][:keep]
    data.setdefault("details", {})["truncated"] = cut
    return data


def _size(data: dict[str, Any]) -> int:
    return len(json.dumps(data, ensure_ascii=False).encode("utf-8")) + 200  # room for the `truncated` record
