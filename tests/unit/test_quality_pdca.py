"""PDCA improvement actions: validated stages, cycles with history, and the before/after check of the target."""
from datetime import date, datetime, timezone

import pytest

from chalicelib.domain.errors import InvalidCommand
from chalicelib.quality.pdca import ACT, CHECK, CLOSED, DO, PLAN, act, advance, check, new_action
from chalicelib.quality.rollups import RollupBucket, RollupKey

AT = datetime(2026, 11, 16, 9, 0, tzinfo=timezone.utc)
START = date(2026, 11, 16)  # a Monday


def day(iso, counters, dimension="category", value="delivery", period="day"):
    return RollupBucket(RollupKey(period, iso, dimension, value), counters)


def faster_answers(**changes):
    fields = dict(id="PDCA-1", title="Courier hand-off checklist", owner="maria", plan="Daily hand-off call",
                  target_kpi="first_response_mean_hours", target_value=4.0, direction="lower", start=START,
                  due=date(2026, 12, 31), by="maria", at=AT, category="delivery")
    return new_action(**{**fields, **changes})


BEFORE = [
    day("2026-11-05", {"frt_count": 9, "frt_sum_s": 9 * 99000}),  # outside a 7-day window
    day("2026-11-10", {"frt_count": 4, "frt_sum_s": 4 * 21600}),  # 4 answers of 6 h
    day("2026-11-12", {"frt_count": 2, "frt_sum_s": 2 * 36000}),  # 2 answers of 10 h
    day("2026-11-12", {"frt_count": 50, "frt_sum_s": 50}, value="billing"),  # another category
    day("2026-11-09", {"frt_count": 50, "frt_sum_s": 50}, period="week"),  # not a day bucket
]
AFTER = [
    day("2026-11-17", {"frt_count": 5, "frt_sum_s": 5 * 10800}),  # 5 answers of 3 h
    day("2026-11-19", {"frt_count": 3, "frt_sum_s": 3 * 14400}),  # 3 answers of 4 h
]


def test_check_compares_equal_windows_before_and_after_the_start():
    result = check(faster_answers(), BEFORE, AFTER, window_days=7)
    # before 9-15 Nov: (4 x 6 h + 2 x 10 h) / 6 = 44 / 6 = 7.3333 h; after 16-22 Nov: (5 x 3 + 3 x 4) / 8 = 3.375 h
    assert (result.before.first_day, result.before.last_day) == (date(2026, 11, 9), date(2026, 11, 15))
    assert (result.after.first_day, result.after.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    assert result.before.value == pytest.approx(44 / 6) and result.before.count == 6
    assert result.after.value == pytest.approx(3.375) and result.after.count == 8
    assert result.change == pytest.approx(3.375 - 44 / 6)  # -3.9583 h
    assert (result.improved, result.met, result.enough_data) == (True, True, True)
    assert result.segment == "category delivery"
    assert check(faster_answers(), BEFORE + AFTER, BEFORE + AFTER, window_days=7) == result  # windows pick their days
    # a stricter target is not met, though it improved
    assert not check(faster_answers(target_value=3.0), BEFORE, AFTER, window_days=7).met
    assert not check(faster_answers(), BEFORE, AFTER, window_days=7, min_count=7).enough_data


def test_window_defaults_to_the_days_since_the_start():
    result = check(faster_answers(), BEFORE, AFTER)
    # the last after-bucket is 19 Nov: 4 days (16-19); before: 12-15 Nov holds only the 2 answers of 10 h
    assert result.window_days == 4
    assert (result.before.value, result.before.count) == (10.0, 2)


def test_check_without_data_after_the_start():
    result = check(faster_answers(), BEFORE, [], window_days=7)
    assert (result.after.value, result.met, result.improved, result.enough_data) == (None, None, None, False)
    assert result.verdict == "not_enough_data"  # never "met" (nor "not met") without the data to say it


def test_root_cause_share_check():
    action = faster_answers(category=None, root_cause="process/handoff", target_kpi="cause_share", target_value=0.1)
    before = [day("2026-11-10", {"res_count": 10, "cause:process": 6, "cause:process/handoff": 4}, "all", "all")]
    after = [day("2026-11-18", {"res_count": 12, "cause:process": 2, "cause:process/handoff": 1}, "all", "all")]
    result = check(action, before, after, window_days=7)
    # before 4 / 10 = 0.4 of resolutions; after 1 / 12 = 0.0833 <= 0.1
    assert (result.before.value, result.before.count) == (0.4, 10)
    assert result.after.value == pytest.approx(1 / 12) and result.met and result.improved
    assert result.segment == "all complaints, root cause process/handoff"
    counted = check(faster_answers(category=None, root_cause="process/handoff", target_kpi="cause_count",
                                   target_value=2, direction="lower"), before, after, window_days=7, min_count=1)
    assert (counted.before.value, counted.after.value, counted.met) == (4, 1, True)


def test_stages_cycles_and_history():
    action = faster_answers()
    assert (action.stage, action.cycle, len(action.history)) == (PLAN, 1, 1)
    action = advance(action, DO, "maria", AT, "checklist live")
    action = advance(action, CHECK, "maria", AT)
    action = advance(action, DO, "maria", AT, "too early to judge")  # check -> do is allowed
    action = advance(advance(action, CHECK, "maria", AT), ACT, "lead", AT, "target met on 8 answers")
    again = act(action, "replan", "lead", AT, "extend to returns", plan="Checklist for returns too",
                due=date(2027, 2, 28), target_value=3.0)
    assert (again.stage, again.cycle, again.plan, again.target_value) == (PLAN, 2, "Checklist for returns too", 3.0)
    assert [(c.stage_from, c.stage_to, c.cycle) for c in again.history] == [
        (None, PLAN, 1), (PLAN, DO, 1), (DO, CHECK, 1), (CHECK, DO, 1), (DO, CHECK, 1), (CHECK, ACT, 1),
        (ACT, PLAN, 2),
    ]
    assert again.history[-1].note == "extend to returns" and again.history[-1].by == "lead"
    done = act(advance(advance(advance(again, DO, "m", AT), CHECK, "m", AT), ACT, "m", AT), "standardize", "lead", AT)
    assert (done.stage, done.outcome, done.cycle) == (CLOSED, "standardized", 2)
    with pytest.raises(InvalidCommand, match="closed"):
        advance(done, DO, "m", AT)


def test_invalid_transitions_and_decisions():
    action = faster_answers()
    with pytest.raises(InvalidCommand) as error:
        advance(action, CHECK, "m", AT)
    assert error.value.field == "stage" and "allowed: do" in str(error.value)
    with pytest.raises(InvalidCommand, match="act stage"):
        act(action, "standardize", "m", AT)
    in_act = advance(advance(advance(action, DO, "m", AT), CHECK, "m", AT), ACT, "m", AT)
    with pytest.raises(InvalidCommand, match="decide with act"):
        advance(in_act, PLAN, "m", AT)
    with pytest.raises(InvalidCommand) as error:
        act(in_act, "shrug", "m", AT)
    assert error.value.field == "decision"


@pytest.mark.parametrize("changes, field", [
    (dict(title="  "), "title"),
    (dict(category=None), "category"),
    (dict(target_kpi="happiness"), "target_kpi"),
    (dict(category=None, root_cause="process"), "target_kpi"),  # rollups are not kept per root cause
    (dict(target_kpi="cause_count"), "root_cause"),
    (dict(root_cause="luck"), "root_cause"),
    (dict(direction="sideways"), "direction"),
    (dict(due=date(2026, 11, 1)), "due"),
])
def test_new_action_validation(changes, field):
    with pytest.raises(InvalidCommand) as error:
        faster_answers(**changes)
    assert error.value.field == field


def test_a_check_from_too_few_complaints_says_not_enough_data_instead_of_met():
    action = faster_answers(category=None, root_cause="process/handoff", target_kpi="cause_count", target_value=2,
                            direction="lower")
    before = [day("2026-11-10", {"res_count": 10, "cause:process": 6, "cause:process/handoff": 4}, "all", "all")]
    after = [day("2026-11-18", {"res_count": 1, "cause:process": 1, "cause:process/handoff": 1}, "all", "all")]
    result = check(action, before, after, window_days=7)
    assert (result.enough_data, result.met, result.verdict) == (False, None, "not_enough_data")
