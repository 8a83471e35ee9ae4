"""Quality score: normalization, weights, contributions in points, missing indicators, and why a score moved."""
import dataclasses

import pytest

from chalicelib.quality.rollups import DurationStats, kpis
from chalicelib.quality.score import (
    CUSTOMER_FEEDBACK, OUTCOME, PROCESS_EFFICIENCY, Indicator, ScoreConfig, compare, score,
)

HOUR = 3600


def report(**fields):
    """A KPI report with only the given values (everything else has no observations)."""
    return dataclasses.replace(kpis([]), **fields)


GOOD_WEEK = dict(
    csat_average=4.0, csat_satisfied_share=0.8,
    first_response=DurationStats(40, None, 5 * HOUR, None), resolution=DurationStats(30, None, 48 * HOUR, None),
    sla_compliance=0.9, fcr_rate=0.6, reopen_rate=0.11, resolution_rate=1.2,
)


def test_score_lists_each_contribution_in_points():
    result = score(report(**GOOD_WEEK))
    points = {i.name: i.points for i in result.indicators}
    # customer feedback 0.5, csat_average weighs 2 of 3 inside it:
    #   csat 4.0 -> (4.0 - 2.5) / (4.5 - 2.5) = 0.75 -> 100 * 0.5 * 2/3 * 0.75 = 25.0
    #   satisfied 0.8 -> (0.8 - 0.5) / 0.4 = 0.75 -> 100 * 0.5 * 1/3 * 0.75 = 12.5
    assert points["csat_average"] == pytest.approx(25.0)
    assert points["csat_satisfied_share"] == pytest.approx(12.5)
    # process 0.3 over three indicators (0.1 each):
    #   first response 5 h -> (5 - 24) / (1 - 24) = 19/23 -> 10 * 19/23 = 8.2609; resolution 48 h = target -> 10
    #   SLA 0.9 -> (0.9 - 0.7) / 0.25 = 0.8 -> 8
    assert points["first_response_median_hours"] == pytest.approx(10 * 19 / 23)
    assert points["resolution_median_hours"] == pytest.approx(10.0)
    assert points["sla_compliance"] == pytest.approx(8.0)
    # outcome 0.2 over three (0.0667 each): FCR 0.6 -> 0.5; reopen 0.11 -> (0.11 - 0.2) / (0.02 - 0.2) = 0.5;
    #   resolution rate 1.2 is past its target: clamped to 1
    assert points["fcr_rate"] == pytest.approx(20 / 3 * 0.5)
    assert points["reopen_rate"] == pytest.approx(20 / 3 * 0.5)
    assert result.indicator("resolution_rate").normalized == 1.0
    # 25 + 12.5 + 8.2609 + 10 + 8 + 3.3333 + 3.3333 + 6.6667 = 77.0942
    assert result.score == pytest.approx(77.0942, abs=1e-4)
    assert sum(i.weight for i in result.indicators) == pytest.approx(1.0)
    assert result.groups[CUSTOMER_FEEDBACK] == pytest.approx(37.5)
    assert result.indicator("csat_average").max_points == pytest.approx(100 / 3)


def test_missing_values_hand_their_weight_on():
    no_feedback = {k: v for k, v in GOOD_WEEK.items() if not k.startswith("csat")}
    result = score(report(**no_feedback))
    # no CSAT at all: process 0.3 and outcome 0.2 share the whole score -> 0.6 and 0.4 (0.2 and 0.1333 each)
    assert result.indicator("csat_average").weight == 0 and result.indicator("csat_average").normalized is None
    assert result.indicator("sla_compliance").weight == pytest.approx(0.2)
    assert result.indicator("fcr_rate").weight == pytest.approx(0.4 / 3)
    # 100 * (0.2 * (19/23 + 1 + 0.8) + 0.4/3 * (0.5 + 0.5 + 1)) = 52.5217 + 26.6667 = 79.1884
    assert result.score == pytest.approx(79.1884, abs=1e-4)
    # one indicator missing inside a group: the other of the group takes its share
    only_average = score(report(**{**GOOD_WEEK, "csat_satisfied_share": None}))
    assert only_average.indicator("csat_average").weight == pytest.approx(0.5)
    assert score(report()).score is None


def test_compare_names_the_drivers_largest_first():
    last_week = score(report(**{**GOOD_WEEK, "csat_average": 3.5, "sla_compliance": 0.7}))
    this_week = score(report(**GOOD_WEEK))
    change = compare(last_week, this_week)
    # csat 3.5 -> 0.5 -> 16.667 points, now 25: +8.333; SLA 0.7 -> 0 points, now 8: +8; nothing else moved
    assert [d.name for d in change.drivers[:2]] == ["csat_average", "sla_compliance"]
    assert change.drivers[0].delta_points == pytest.approx(25 / 3)
    assert change.drivers[1].delta_points == pytest.approx(8.0)
    assert all(d.delta_points == 0 for d in change.drivers[2:])
    assert change.delta == pytest.approx(25 / 3 + 8)
    assert (change.drivers[0].previous_value, change.drivers[0].current_value) == (3.5, 4.0)


def test_custom_config_and_validation():
    config = ScoreConfig(
        groups={CUSTOMER_FEEDBACK: 0.6, PROCESS_EFFICIENCY: 0.4, OUTCOME: 0.0},
        indicators=(Indicator("csat_average", CUSTOMER_FEEDBACK, 1, 5),
                    Indicator("sla_compliance", PROCESS_EFFICIENCY, 0.5, 1.0)),
    )
    # csat 4.0 -> (4 - 1) / 4 = 0.75 -> 45 points; SLA 0.9 -> 0.8 -> 32 points
    assert score(report(**GOOD_WEEK), config).score == pytest.approx(77.0)
    with pytest.raises(ValueError, match="add up to 1"):
        ScoreConfig(groups={CUSTOMER_FEEDBACK: 0.5, PROCESS_EFFICIENCY: 0.3, OUTCOME: 0.3})
    with pytest.raises(ValueError, match="unknown group"):
        ScoreConfig(indicators=(Indicator("fcr_rate", "luck", 0, 1),))
    with pytest.raises(ValueError, match="differ"):
        ScoreConfig(indicators=(Indicator("fcr_rate", OUTCOME, 1, 1),))
    with pytest.raises(ValueError, match="unknown KPI"):
        score(report(), ScoreConfig(indicators=(Indicator("mood", OUTCOME, 0, 1),)))
