"""Outgoing e-mail: the raw MIME we send, with our threading markers (see markers.py)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from email.header import decode_header, make_header
from email.headerregistry import Address
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
    """A text/plain UTF-8 mail answering the thread: In-Reply-To is its newest Message-ID, References the chain.
    The subject tag and the body marker name the complaint (a mail about none, `reference=""`, has neither)."""
    mail = EmailMessage()
    mail["From"] = formataddr((header_text(sender_name), sender))
    mail["To"] = str(recipient_address(recipient))
    mail["Subject"] = header_text(tag_subject(subject, reference) if reference else subject)
    mail["Date"] = format_datetime(date or datetime.now(timezone.utc))
    mail["Message-ID"] = message_id
    if thread:
        mail["In-Reply-To"] = thread[-1]
        mail["References"] = " ".join(_trimmed(thread))
    mail[OWN_MAILER_HEADER] = reference or "service"  # a mail about no complaint: a sign-in link
    if automatic:
        mail["Auto-Submitted"] = "auto-replied"  # RFC 3834: an auto-responder must not answer our acknowledgement
    marker = f"\n\n{body_marker(reference)}" if reference else ""
    mail.set_content(f"{text.rstrip()}{marker}\n", charset="utf-8")
    return mail.as_bytes()


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def header_text(value: str) -> str:
    """Text that can only ever be one header's value: encoded-words are decoded (at most 3 rounds, as a mail client
    would show them), then every line break and control character (CR, LF, U+2028, ...) becomes a space and what
    is left of encoded-word syntax is broken up, so nothing a customer wrote can add a header."""
    for _ in range(3):
        decoded = _ENCODED_WORD.sub(_decoded_word, value)
        if decoded == value:
            break
        value = decoded
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") else ch for ch in value)
    return " ".join(cleaned.replace("=?", "= ?").split())


def _decoded_word(word: re.Match) -> str:
    try:
        return str(make_header(decode_header(word.group(0))))
    except (ValueError, LookupError, UnicodeError):
        return word.group(0)


def recipient_address(recipient: str) -> Address:
    """The customer's address as one mailbox; ValueError when it cannot be written in a To header."""
    if recipient != header_text(recipient) or recipient.count("@") != 1:
        raise ValueError(f"not a single mailbox: {recipient!r}")
    return Address(addr_spec=recipient)


def _trimmed(thread: tuple[str, ...]) -> tuple[str, ...]:
    """The first Message-ID (the thread's root) and the newest ones."""
    if len(thread) <= MAX_REFERENCES:
        return thread
    return (thread[0], *thread[-(MAX_REFERENCES - 1):])
