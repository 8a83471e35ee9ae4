"""The resolved SLA terms one complaint is measured against: its policy's targets and the calendar they run on."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from .calendar import BusinessCalendar

CLOCKS = ("first_response", "next_update", "resolution")


@dataclass(frozen=True)
class SlaTerms:
    policy: str  # the matching policy's name, for the record
    first_response: timedelta  # business time on `calendar`
    next_update: timedelta
    resolution: timedelta
    calendar: BusinessCalendar
    warning_at: float = 0.75  # fraction of a target after which a running clock is in warning
    alert_lateness: timedelta = timedelta(0)  # how late the policy lets an alert's timer fire (spread_over)

    def target(self, clock: str) -> timedelta:
        if clock not in CLOCKS:
            raise ValueError(f"unknown clock {clock!r}; one of {', '.join(CLOCKS)}")
        return getattr(self, clock)


def spread_over(reference: str, key: str, lateness: timedelta) -> timedelta:
    """A fixed point of [0, lateness] for this complaint's timer, in whole seconds: uniform over the window across
    complaints, so instants that coincide fire spread out, and the same on every recomputation."""
    return timedelta(seconds=spread_seconds(reference, key, int(lateness.total_seconds())))


def spread_seconds(reference: str, key: str, window: int) -> int:
    if window <= 0:
        return 0
    digest = hashlib.blake2b(f"{reference}#{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (window + 1)
