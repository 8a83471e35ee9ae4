"""Daily volume forecasts, spike detection, the terms behind a spike, and the rolling-origin backtest."""
import random
from datetime import date, timedelta

import pytest

from chalicelib.quality.forecast import (
    SpikeConfig, backtest, daily_counts, detect_spike, forecast, holt_winters, seasonal_naive, tokens, top_terms,
)

PROFILE = [20, 22, 21, 23, 25, 8, 6]  # Monday .. Sunday


def weekly(days, noise=3.0, seed=0, trend=0.01):
    rng = random.Random(seed)
    return [max(0, round(PROFILE[i % 7] + trend * i + rng.gauss(0, noise))) for i in range(days)]


def test_daily_counts_fill_the_days_without_complaints():
    d = date(2026, 11, 23)
    start, counts = daily_counts([d, d, d + timedelta(days=3)])
    assert (start, counts) == (d, [2, 0, 0, 1])
    assert daily_counts([d], d - timedelta(days=1), d + timedelta(days=1))[1] == [0, 1, 0]
    with pytest.raises(ValueError):
        daily_counts([])


def test_seasonal_naive_repeats_last_week():
    history = list(range(10))  # ... 3 4 5 6 7 8 9
    assert seasonal_naive(history, 9) == [3, 4, 5, 6, 7, 8, 9, 3, 4]


def test_holt_winters_learns_an_exact_weekly_profile():
    history = PROFILE * 4 + PROFILE[:3]  # ends on a Wednesday: next is Thursday
    result = holt_winters(history, 7)
    assert result.values == pytest.approx([23, 25, 8, 6, 20, 22, 21])
    assert result.sigma == pytest.approx(0, abs=1e-9)


def test_model_beats_seasonal_naive_on_a_noisy_weekly_series():
    results = [backtest(weekly(240, seed=seed), horizon=7, folds=8) for seed in range(5)]
    for result in results:
        assert result["model"] == "holt_winters" and result["n"] == 56
        assert result["mase"] < 1.0  # seasonal naive carries last week's noise; the profile averages it out
    assert sum(r["mase"] for r in results) / 5 < 0.9


def test_forecast_interval_and_model_choice():
    result = forecast(weekly(120), horizon=7, level=0.95)
    assert result.model == "holt_winters" and len(result.values) == 7
    assert all(lo <= v <= hi for lo, v, hi in zip(result.lower, result.values, result.upper))
    widths = [hi - lo for lo, hi in zip(result.lower, result.upper) if lo > 0]
    assert widths == sorted(widths)  # later days are less certain
    assert forecast([5, 6, 7, 5, 6, 7, 5, 6], 2).model == "seasonal_naive"
    assert forecast([4, 6], 1).values == (5.0,)


def test_an_injected_spike_is_detected_and_a_normal_day_is_not():
    history = weekly(56)  # 8 weeks, ends on a Sunday: today is a Monday (about 20 expected)
    spike = detect_spike("delivery", history, 60, day=date(2026, 11, 23))
    assert spike.is_spike and spike.method == "forecast_interval"
    assert spike.expected == pytest.approx(20, abs=4)
    assert spike.observed > spike.upper and spike.z > 5
    normal = detect_spike("delivery", history, 22)
    assert not normal.is_spike and normal.lower <= 22 <= normal.upper


def test_robust_z_on_short_history():
    history = [4, 5, 3, 4, 6, 4, 5, 4, 3, 5]  # 10 days < 14
    # median 4; |x - 4| = 0 1 1 0 2 0 1 0 1 1 -> MAD 1 -> scale 1.4826; 12: z = (12 - 4) / 1.4826 = 5.396
    spike = detect_spike("billing", history, 12)
    assert spike.method == "robust_z" and spike.is_spike
    assert spike.z == pytest.approx(5.396, abs=1e-3)
    assert spike.expected == 4 and spike.upper == pytest.approx(4 + 3.5 * 1.4826)
    assert not detect_spike("billing", history, 8).is_spike  # z = 4 / 1.4826 = 2.70 < 3.5


def test_small_counts_and_tiny_history_never_alarm():
    quiet = [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert not detect_spike("rare", quiet, 4).is_spike  # far above normal, but under min_count 5
    assert detect_spike("rare", quiet, 4, config=SpikeConfig(min_count=1)).is_spike
    assert detect_spike("new", [3, 2], 40).method == "too_little_history"
    # MAD 0 (every day the same): the Poisson sd sqrt(5) is the scale -> z = (15 - 5) / 2.236 = 4.47
    flat = detect_spike("flat", [5, 5, 5, 5], 15)
    assert flat.is_spike and flat.z == pytest.approx(4.472, abs=1e-3)


def test_tokens_words_and_cjk_bigrams():
    words = tokens("My PARCEL never arrived! XXXX, the parcel's box")
    assert words == {"parcel", "never", "arrived", "parcel's", "box"}  # stopwords and redactions dropped
    assert tokens("包裹丢失了") == {"包裹", "裹丢", "丢失", "失了"}
    assert tokens("的 我") == set()  # CJK stop characters alone


def test_top_terms_name_what_is_new_today():
    today = ["Parcel lost by the courier", "my parcel is lost", "courier lost parcel again", "包裹丢失", "包裹丢失了",
             "refund please"]
    baseline = ["question about my invoice", "invoice is wrong", "parcel arrived late", "登录问题", "password reset",
                "refund not received"] * 3
    terms = top_terms(today, baseline, k=6)
    names = [t.term for t in terms]
    # ties (2 of 6 texts today, none in the baseline) by term; "parcel" is common in the baseline too: last
    assert names == ["lost", "courier", "丢失", "包裹", "裹丢", "parcel"]
    # "lost": in 3 of 6 texts today, 0 of 18 before. Cells + 0.5: 3.5, 3.5, 0.5, 18.5
    # log odds = ln(3.5/3.5) - ln(0.5/18.5) = 3.6109; se = sqrt(1/3.5 + 1/3.5 + 1/0.5 + 1/18.5) = 1.6203
    lost = terms[0]
    assert (lost.today, lost.baseline) == (3, 0)
    assert (lost.log_odds, lost.z) == (pytest.approx(3.6109, abs=1e-4), pytest.approx(2.2285, abs=1e-4))
    assert "refund" not in names  # one text today: below min_texts
    assert all(a.z >= b.z for a, b in zip(terms, terms[1:]))


def test_backtest_needs_enough_days():
    with pytest.raises(ValueError, match="at least 21 days"):
        backtest([1] * 20)
    result = backtest([3, 1, 4, 1, 5, 9, 2] * 3 + [3, 1, 4, 1, 5, 9, 2], folds=10)
    assert result["folds"] == 2 and result["n"] == 14  # (28 - 14) // 7 folds fit
