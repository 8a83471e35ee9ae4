"""Edits to the configuration document (TOML) section by section, keeping its comments and layout (tomlkit), for
the console's forms. The result is validated like any other version (chalicelib.sla.live)."""
from __future__ import annotations

from datetime import date
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def calendar_values(text: str, name: str) -> dict[str, Any] | None:
    """The calendar's settings as the form shows them, or None when there is no such calendar."""
    import tomllib

    calendar = tomllib.loads(text).get("calendars", {}).get(name)
    if calendar is None:
        return None
    hours = calendar.get("hours", {})
    return {
        "timezone": calendar.get("timezone", ""),
        "day_length": calendar.get("day_length", "8h"),
        **{day: ", ".join([hours[day]] if isinstance(hours.get(day), str) else hours.get(day, [])) for day in WEEKDAYS},
        "holidays": "\n".join(d.isoformat() for d in calendar.get("holidays", [])),
    }


def with_calendar(text: str, name: str, form: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The document with calendar `name` set from the form's fields, and the problems the form
    itself has (a holiday that is not a date); the calendar rules are checked when the document is validated."""
    import tomlkit

    problems: dict[str, str] = {}
    holidays = []
    for word in form.get("holidays", "").replace(",", " ").split():
        try:
            holidays.append(date.fromisoformat(word))
        except ValueError:
            problems.setdefault("holidays", f"not a date: {word!r}; write YYYY-MM-DD, one a line")
    document = tomlkit.parse(text)
    calendars = document.setdefault("calendars", tomlkit.table(is_super_table=True))
    calendar = calendars.get(name)
    if calendar is None:
        calendar = tomlkit.table()
        calendars[name] = calendar
    calendar["timezone"] = form.get("timezone", "").strip()
    calendar["day_length"] = form.get("day_length", "").strip() or "8h"
    hours = tomlkit.inline_table()
    for day in WEEKDAYS:
        ranges = [r.strip() for r in form.get(day, "").replace(",", " ").split() if r.strip()]
        if ranges:
            hours[day] = ranges[0] if len(ranges) == 1 else ranges
    calendar["hours"] = hours
    array = tomlkit.array()
    array.extend(holidays)
    array.multiline(len(holidays) > 8)
    calendar["holidays"] = array
    return tomlkit.dumps(document), problems
