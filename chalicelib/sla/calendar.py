"""Business calendars: how much business time lies between two instants, and when a business duration ends.

Opening hours are local wall-clock times in the calendar's IANA timezone, so a 09:00–17:00 day stays 09:00–17:00
across DST changes. All arithmetic happens in UTC (subtracting two aware datetimes that share a ZoneInfo compares
wall-clock times and is wrong across a DST change). Work is done day by day, never minute by minute.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

UTC = timezone.utc
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS = 366 * 5  # a deadline further away than this means a calendar with (almost) no open hours

Hours = tuple[tuple[time, time | None], ...]  # (open, close) local times; close None means midnight (24:00)


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly opening hours in one timezone, minus holidays. `always_open` is the 24x7 calendar."""

    name: str
    timezone: str = "UTC"
    weekly: Mapping[int, Hours] = field(default_factory=dict)  # weekday (0 = Monday) -> opening intervals
    holidays: frozenset[date] = frozenset()
    day_length: timedelta = timedelta(hours=8)  # what "1d" of business time means in targets
    always_open: bool = False

    @classmethod
    def twenty_four_seven(cls, name: str = "24x7", tz: str = "UTC") -> "BusinessCalendar":
        return cls(name=name, timezone=tz, day_length=timedelta(hours=24), always_open=True)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # -- the two questions -----------------------------------------------------------------------------------
    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants (zero when end is not after start)."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return timedelta(0)
        if self.always_open:
            return end - start
        total = timedelta(0)
        for opens, closes in self._intervals(start, end):
            total += min(closes, end) - max(opens, start)
        return total

    def add_business(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of business time has passed since `start` (UTC-aware).

        A deadline that uses up a day exactly ends at that day's closing time, not the next opening.
        """
        start = _utc(start)
        if duration <= timedelta(0):
            return start
        if self.always_open:
            return start + duration
        remaining = duration
        for opens, closes in self._intervals(start, None):
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise ValueError(f"calendar {self.name!r} has no business hours within {_MAX_DAYS} days of {start}")

    # -- helpers ---------------------------------------------------------------------------------------------
    def is_open(self, at: datetime) -> bool:
        at = _utc(at)
        return self.always_open or any(o <= at < c for o, c in self._intervals(at, at + timedelta(seconds=1)))

    def local(self, at: datetime) -> datetime:
        return _utc(at).astimezone(self.zone)

    def describe(self) -> str:
        """Plain words, e.g. 'Mon–Fri 09:00–17:00 Europe/London' or '24x7'."""
        if self.always_open:
            return "24x7"
        groups: list[tuple[int, int, Hours]] = []  # runs of consecutive weekdays with the same hours
        for day in range(7):
            hours = self.weekly.get(day, ())
            if not hours:
                continue
            if groups and groups[-1][1] == day - 1 and groups[-1][2] == hours:
                groups[-1] = (groups[-1][0], day, hours)
            else:
                groups.append((day, day, hours))
        parts = []
        for first, last, hours in groups:
            days = WEEKDAYS[first].title() if first == last else f"{WEEKDAYS[first].title()}–{WEEKDAYS[last].title()}"
            parts.append(f"{days} {', '.join(_hours_text(o, c) for o, c in hours)}")
        text = "; ".join(parts) or "no opening hours"
        return f"{text} {self.timezone}" + (" excluding holidays" if self.holidays else "")

    def _intervals(self, start: datetime, end: datetime | None) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals (UTC) of each local day from start's day on, in order, until `end` (or _MAX_DAYS)."""
        zone = self.zone
        day = start.astimezone(zone).date() - timedelta(days=1)  # an interval of the day before may reach into start
        last = (end.astimezone(zone).date() if end is not None else day + timedelta(days=_MAX_DAYS))
        while day <= last:
            next_day = day + timedelta(days=1)
            if day not in self.holidays:
                for opens, closes in self.weekly.get(day.weekday(), ()):
                    opens_at = _at(day, opens, zone)
                    closes_at = _at(day, closes, zone) if closes is not None else _at(next_day, time(0), zone)
                    if closes_at > start and (end is None or opens_at < end):
                        yield opens_at, closes_at
            day = next_day


def weekly_hours(spec: Mapping[str, Sequence[str] | str]) -> dict[int, Hours]:
    """{'mon': ['09:00-12:30', '13:30-17:00'], 'sat': '10:00-14:00'} -> {0: ((09:00, 12:30), ...), 5: ...}."""
    weekly: dict[int, Hours] = {}
    for name, ranges in spec.items():
        key = name.strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday {name!r}; use mon, tue, wed, thu, fri, sat, sun")
        items = [ranges] if isinstance(ranges, str) else list(ranges)
        parsed = sorted(parse_range(item) for item in items)
        for (_, close), (next_open, _) in zip(parsed, parsed[1:]):
            if close is None or close > next_open:
                raise ValueError(f"{name}: opening hours overlap")
        weekly[WEEKDAYS.index(key)] = tuple(parsed)
    return weekly


def parse_range(text: str) -> tuple[time, time | None]:
    """'09:00-17:00' -> (09:00, 17:00); '00:00-24:00' -> (00:00, None). Must not cross midnight."""
    try:
        left, right = (part.strip() for part in text.replace("–", "-").split("-"))
        opens = time.fromisoformat(left)
        closes = None if right == "24:00" else time.fromisoformat(right)
    except ValueError:
        raise ValueError(f"invalid opening hours {text!r}; use 'HH:MM-HH:MM', e.g. '09:00-17:00'") from None
    if closes is not None and closes <= opens:
        raise ValueError(f"opening hours {text!r} must close after they open (split ranges that cross midnight)")
    return opens, closes


def _at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant (a time skipped by DST resolves to the instant after the gap)."""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("business calendar arithmetic needs timezone-aware datetimes")
    return value.astimezone(UTC)


def _hours_text(opens: time, closes: time | None) -> str:
    return f"{opens:%H:%M}–{'24:00' if closes is None else format(closes, '%H:%M')}"
