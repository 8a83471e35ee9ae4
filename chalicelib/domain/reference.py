"""Human-friendly complaint references such as CMP-20261122-7QF3K."""
from __future__ import annotations

import re
import secrets
from datetime import datetime

# Crockford base32 without I, L, O, U: easy to read aloud and to type from a phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PATTERN = re.compile(r"^CMP-[0-9]{8}-[0-9A-HJKMNP-TV-Z]{5}\Z")  # ASCII digits; \Z: no trailing newline


def new_reference(now: datetime) -> str:
    suffix = "".join(secrets.choice(ALPHABET) for _ in range(5))
    return f"CMP-{now:%Y%m%d}-{suffix}"


def is_reference(text: str) -> bool:
    return bool(PATTERN.match(text))


# The same pattern, found anywhere in free text (an SMS or e-mail quoting its reference), in any letter case.
_BODY = PATTERN.pattern.removeprefix("^").removesuffix(r"\Z")
_IN_TEXT = re.compile(rf"(?<![0-9A-Z]){_BODY}(?![0-9A-Z])", re.IGNORECASE)


def find_reference(text: str) -> str | None:
    """The first complaint reference quoted in `text`, upper-cased; None if there is none."""
    match = _IN_TEXT.search(text or "")
    return match.group(0).upper() if match else None
