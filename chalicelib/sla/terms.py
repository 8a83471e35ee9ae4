"""The resolved SLA terms one complaint is measured against: its policy's targets and the calendar they run on."""
from __future__ import annotations

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

    def target(self, clock: str) -> timedelta:
        if clock not in CLOCKS:
            raise ValueError(f"unknown clock {clock!r}; one of {', '.join(CLOCKS)}")
        return getattr(self, clock)
