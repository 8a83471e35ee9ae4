"""Business calendars: weekends, holidays, DST in London and New York, 24x7, lunch breaks."""
import random
import time as stopwatch
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib.sla.calendar import BusinessCalendar, weekly_hours

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc
H = timedelta(hours=1)
WEEKDAYS_9_TO_5 = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
UK_HOLIDAYS = frozenset({date(2026, 4, 3), date(2026, 4, 6), date(2026, 12, 25), date(2026, 12, 28)})


def office(tz="Europe/London", hours=None, holidays=frozenset()):
    return BusinessCalendar("office", tz, weekly_hours(hours or WEEKDAYS_9_TO_5), holidays)


def london(*args):
    return datetime(*args, tzinfo=LONDON)


def test_weekend_is_skipped_both_ways():
    cal = office()
    friday_4pm, monday_10am = london(2026, 11, 27, 16), london(2026, 11, 30, 10)
    assert cal.elapsed(friday_4pm, monday_10am) == 2 * H
    assert cal.add_business(friday_4pm, 2 * H) == monday_10am


def test_start_outside_hours_counts_from_the_next_opening():
    cal = office()
    assert cal.add_business(london(2026, 11, 28, 12), H) == london(2026, 11, 30, 10)  # Saturday noon
    assert cal.add_business(london(2026, 11, 30, 7), H) == london(2026, 11, 30, 10)  # Monday before opening
    assert cal.add_business(london(2026, 11, 30, 18), H) == london(2026, 12, 1, 10)  # Monday after closing
    assert cal.elapsed(london(2026, 11, 28, 0), london(2026, 11, 29, 23)) == timedelta(0)


def test_a_deadline_that_uses_up_the_day_ends_at_closing_time():
    assert office().add_business(london(2026, 11, 30, 9), 8 * H) == london(2026, 11, 30, 17)


def test_deadline_spans_the_easter_holiday_weekend():
    cal = office(holidays=UK_HOLIDAYS)
    thursday_4pm = london(2026, 4, 2, 16)
    # 1h on Thursday; Good Friday, the weekend and Easter Monday are closed; 3h on Tuesday.
    assert cal.add_business(thursday_4pm, 4 * H) == london(2026, 4, 7, 12)
    assert cal.elapsed(thursday_4pm, london(2026, 4, 7, 12)) == 4 * H


def test_deadline_spans_christmas_with_a_substitute_bank_holiday():
    cal = office(holidays=UK_HOLIDAYS)
    # Thu 24 Dec 15:00 + 1 business day: 2h Thursday, Fri 25 / weekend / Mon 28 closed, 6h Tuesday 29.
    assert cal.add_business(london(2026, 12, 24, 15), 8 * H) == london(2026, 12, 29, 15)


def test_london_spring_forward_weekend():
    cal = office()
    friday = london(2026, 3, 27, 16)  # GMT
    monday = london(2026, 3, 30, 10)  # BST
    assert monday.utcoffset() == H and friday.utcoffset() == timedelta(0)
    assert cal.add_business(friday, 2 * H) == monday
    assert cal.add_business(friday, 2 * H).astimezone(UTC) == datetime(2026, 3, 30, 9, tzinfo=UTC)
    assert cal.elapsed(friday, monday) == 2 * H


@pytest.mark.parametrize("day, hours", [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 7), 24)])
def test_london_all_day_sunday_has_23_or_25_hours_on_dst_days(day, hours):
    cal = office(hours={"sun": "00:00-24:00"})
    start = datetime.combine(day, datetime.min.time(), tzinfo=LONDON)
    assert cal.elapsed(start, start + timedelta(days=2)) == hours * H


def test_new_york_hours_inside_the_dst_gap_and_overlap():
    cal = office("America/New_York", hours={"sun": "01:00-05:00"})
    spring = datetime(2026, 3, 8, 0, tzinfo=NEW_YORK)  # 02:00-03:00 does not exist
    autumn = datetime(2026, 11, 1, 0, tzinfo=NEW_YORK)  # 01:00-02:00 happens twice
    assert cal.elapsed(spring, spring + timedelta(days=1)) == 3 * H
    assert cal.elapsed(autumn, autumn + timedelta(days=1)) == 5 * H
    assert cal.add_business(spring, 3 * H).astimezone(NEW_YORK) == datetime(2026, 3, 8, 5, tzinfo=NEW_YORK)


def test_new_york_fall_back_weekend_deadline():
    cal = office("America/New_York")
    friday = datetime(2026, 10, 30, 16, tzinfo=NEW_YORK)  # EDT, UTC-4
    deadline = cal.add_business(friday, 2 * H)
    assert deadline == datetime(2026, 11, 2, 15, tzinfo=UTC)  # Monday 10:00 EST, UTC-5
    assert deadline.astimezone(NEW_YORK).hour == 10


def test_twenty_four_seven_is_plain_elapsed_time_even_across_dst():
    cal = BusinessCalendar.twenty_four_seven()
    start = london(2026, 3, 28, 12)
    end = london(2026, 3, 29, 12)
    assert cal.elapsed(start, end) == 23 * H
    assert cal.add_business(start, 23 * H) == end
    assert cal.is_open(london(2026, 12, 25, 3)) and cal.describe() == "24x7"


def test_lunch_break_is_not_business_time():
    cal = office(hours={"mon": ["09:00-12:30", "13:30-17:00"]})
    assert cal.add_business(london(2026, 11, 30, 12), H) == london(2026, 11, 30, 14)
    assert cal.elapsed(london(2026, 11, 30, 9), london(2026, 11, 30, 17)) == 7 * H
    assert not cal.is_open(london(2026, 11, 30, 13)) and cal.is_open(london(2026, 11, 30, 13, 30))


def test_elapsed_and_add_business_are_inverse_for_many_starts():
    cal = office(holidays=UK_HOLIDAYS)
    rng = random.Random(7)
    for _ in range(300):
        start = london(2026, 1, 1) + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        duration = timedelta(minutes=rng.randrange(1, 60 * 60))
        assert cal.elapsed(start, cal.add_business(start, duration)) == duration


def test_long_deadlines_are_computed_day_by_day_not_minute_by_minute():
    cal = office(holidays=UK_HOLIDAYS)
    began = stopwatch.perf_counter()
    deadline = cal.add_business(london(2026, 1, 5, 9), 250 * 8 * H)  # about a working year
    assert cal.elapsed(london(2026, 1, 5, 9), deadline) == 250 * 8 * H
    assert stopwatch.perf_counter() - began < 0.5


def test_edge_cases():
    cal = office()
    start = london(2026, 11, 30, 10)
    assert cal.elapsed(start, start - H) == timedelta(0)
    assert cal.add_business(start, timedelta(0)) == start
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.elapsed(datetime(2026, 11, 30, 10), start)
    assert cal.describe() == "Mon–Fri 09:00–17:00 Europe/London"


@pytest.mark.parametrize(
    "hours, message",
    [
        ({"mon": "17:00-09:00"}, "must close after they open"),
        ({"mon": "9am-5pm"}, "invalid opening hours"),
        ({"funday": "09:00-17:00"}, "unknown weekday"),
        ({"mon": ["09:00-13:00", "12:00-17:00"]}, "overlap"),
    ],
)
def test_bad_opening_hours_are_rejected(hours, message):
    with pytest.raises(ValueError, match=message):
        weekly_hours(hours)
