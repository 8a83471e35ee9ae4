"""Our e-mail threading markers: what we put on outgoing mail, and how we find it again in replies.

Outgoing mail carries three markers, so that a reply can be matched even when the customer's mail client
drops one of them:
- the header ``X-Complaints-Mailer`` (also our loop protection: mail that carries it is our own);
- a Message-ID that encodes the reference: ``<CMP-20261122-7QF3K-<uuid hex>@domain>``, which comes back
  in In-Reply-To and References;
- the subject tag ``[CMP-20261122-7QF3K]`` and the body marker line ``[ref:CMP-20261122-7QF3K]``.
"""
from __future__ import annotations

import re
import uuid

from chalicelib.domain.reference import PATTERN, find_reference, is_reference

OWN_MAILER_HEADER = "X-Complaints-Mailer"

# PATTERN without its anchors, so that the alphabet is defined in one place only. Crockford base32 is
# case-insensitive by design: customers may type a reference in lower case.
_REFERENCE = PATTERN.pattern.removeprefix("^").removesuffix(r"\Z")
_IN_BODY = re.compile(r"\[\s*ref\s*:\s*" + f"({_REFERENCE})" + r"\s*\]", re.IGNORECASE)
_IN_MESSAGE_ID = re.compile(r"^<?\s*" + f"({_REFERENCE})" + r"-[0-9a-f]{32}@", re.IGNORECASE)


def subject_tag(reference: str) -> str:
    return f"[{_checked(reference)}]"


def tag_subject(subject: str, reference: str) -> str:
    """The subject with our tag appended, unless it already names the reference."""
    if reference_in_subject(subject) == reference:
        return subject
    return f"{subject} {subject_tag(reference)}".strip()


def body_marker(reference: str) -> str:
    return f"[ref:{_checked(reference)}]"


def new_message_id(reference: str, domain: str) -> str:
    return f"<{_checked(reference)}-{uuid.uuid4().hex}@{domain}>"


def reference_in_subject(subject: str | None) -> str | None:
    """The first reference in a subject, tagged ``[CMP-…]`` or typed bare by the customer."""
    found = find_reference(subject or "")
    return found if found and is_reference(found) else None


def reference_in_body(text: str | None) -> str | None:
    """The first ``[ref:CMP-…]`` marker line in a body (our marker, usually in the quoted part of a reply)."""
    return _first(_IN_BODY, text)


def reference_in_message_id(message_id: str | None) -> str | None:
    """The reference encoded in one of our Message-IDs, else None."""
    return _first(_IN_MESSAGE_ID, message_id)


def _first(pattern: re.Pattern[str], text: str | None) -> str | None:
    for match in pattern.finditer(text or ""):
        candidate = match.group(1).upper()
        if is_reference(candidate):
            return candidate
    return None


def _checked(reference: str) -> str:
    if not is_reference(reference):
        raise ValueError(f"not a complaint reference: {reference!r}")
    return reference
