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
