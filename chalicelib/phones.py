"""Phone numbers in E.164, the one form every channel stores (web form, SMS providers)."""
from __future__ import annotations

import os

DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "US")


def normalize_phone(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 form of an international or national number (national numbers are read in `region`)."""
    import phonenumbers  # imported on use: keeps cold start lean

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number; use international format, e.g. +44 20 7946 0958") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number; use international format, e.g. +44 20 7946 0958")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sender_phone(value: str) -> str:
    """An SMS sender: providers send E.164 already; what phonenumbers cannot validate (a short code) is kept as sent."""
    try:
        return normalize_phone(value)
    except ValueError:
        return value.strip()
