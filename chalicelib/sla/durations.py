"""Durations as written in the SLA file: '30m', '4h', '1d', '1d4h30m', or ISO-8601 'PT4H', 'P1DT2H'."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_COMPACT = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
_ISO = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")
HINT = "use e.g. 30m, 4h, 1d, 1d4h or ISO-8601 PT4H, P1D"


@dataclass(frozen=True)
class Duration:
    """A target as written: whole days plus a time part. A day means the calendar's business day
    (8h on a 09:00-17:00 calendar, 24h on 24x7), so '3d' reads as 'three business days'."""

    days: int
    time: timedelta
    text: str

    def on(self, day_length: timedelta) -> timedelta:
        return self.days * day_length + self.time

    def __str__(self) -> str:
        return self.text


def parse_duration(value: object) -> Duration:
    """Parse '4h', '1d4h', 'PT30M'... into a Duration; raises ValueError with a hint otherwise."""
    if isinstance(value, Duration):
        return value
    if isinstance(value, timedelta):
        return Duration(0, value, format_duration(value))
    text = str(value).strip()
    match = _COMPACT.match(text.lower().replace(" ", "")) or _ISO.match(text.upper())
    if not text or match is None or not any(match.groupdict().values()):
        raise ValueError(f"invalid duration {value!r}; {HINT}")
    parts = {k: int(v or 0) for k, v in match.groupdict().items()}
    duration = Duration(parts["d"], timedelta(hours=parts["h"], minutes=parts["m"], seconds=parts["s"]), text)
    if duration.days == 0 and duration.time <= timedelta(0):
        raise ValueError(f"duration {value!r} must be longer than zero")
    return duration


def parse_timedelta(value: object) -> timedelta:
    """A plain (clock-time) duration, where a day is 24 hours."""
    if isinstance(value, timedelta):
        return value
    return parse_duration(value).on(timedelta(hours=24))


def format_duration(value: timedelta, days: bool = False) -> str:
    """timedelta(hours=26, minutes=5) -> '26h 5m' (or '1d 2h 5m' with days=True). Seconds are dropped, except
    under a minute ('30s')."""
    if 0 < value.total_seconds() < 60:
        return f"{int(value.total_seconds())}s"
    minutes = int(value.total_seconds() // 60)
    d, rest = divmod(minutes, 24 * 60) if days else (0, minutes)
    h, m = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((d, "d"), (h, "h"), (m, "m")) if n]
    return " ".join(parts) or "0m"
