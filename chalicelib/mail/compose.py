"""Outgoing e-mail: the raw MIME we send, with our threading markers (see markers.py)."""
from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from datetime import datetime, timezone

from chalicelib.mail.markers import OWN_MAILER_HEADER, body_marker, tag_subject

MAX_REFERENCES = 10  # newest Message-IDs kept in References (RFC 5322 allows trimming the middle)


def message_id_for(reference: str, domain: str, *parts: object) -> str:
    """Our Message-ID for one message: the same parts give the same id, so a retried send keeps its identity."""
    digest = hashlib.sha256("|".join(map(str, (reference, *parts))).encode()).hexdigest()[:32]
    return f"<{reference}-{digest}@{domain}>"


def compose(
    *,
    reference: str,
    sender: str,
    sender_name: str,
    recipient: str,
    subject: str,
    text: str,
    message_id: str,
    thread: tuple[str, ...] = (),
    automatic: bool = False,
    date: datetime | None = None,
) -> bytes:
    """A text/plain UTF-8 mail answering the thread: In-Reply-To is its newest Message-ID, References the chain."""
    mail = EmailMessage()
    mail["From"] = formataddr((sender_name, sender))
    mail["To"] = recipient
    mail["Subject"] = tag_subject(subject, reference)
    mail["Date"] = format_datetime(date or datetime.now(timezone.utc))
    mail["Message-ID"] = message_id
    if thread:
        mail["In-Reply-To"] = thread[-1]
        mail["References"] = " ".join(_trimmed(thread))
    mail[OWN_MAILER_HEADER] = reference
    if automatic:
        mail["Auto-Submitted"] = "auto-replied"  # RFC 3834: an auto-responder must not answer our acknowledgement
    mail.set_content(f"{text.rstrip()}\n\n{body_marker(reference)}\n", charset="utf-8")
    return mail.as_bytes()


def _trimmed(thread: tuple[str, ...]) -> tuple[str, ...]:
    """The first Message-ID (the thread's root) and the newest ones."""
    if len(thread) <= MAX_REFERENCES:
        return thread
    return (thread[0], *thread[-(MAX_REFERENCES - 1):])
