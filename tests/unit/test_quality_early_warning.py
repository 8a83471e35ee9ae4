"""Early warnings: each decision fires only past its threshold, once per scope and day, with readable alerts."""
import dataclasses
import json
from datetime import date

from chalicelib.domain.ports import Alert
from chalicelib.quality.early_warning import (
    WarningConfig, backlog_growth, csat_low, csat_low_score, kpi_alerts, negative_sentiment_surge, sla_breach_rate,
    volume_spike,
)
from chalicelib.quality.forecast import SpikeCheck, TermLift
from chalicelib.quality.rollups import SlaCompliance, kpis

DAY = date(2026, 11, 23)


def spike(observed, expected=20.0, upper=30.0, is_spike=True):
    return SpikeCheck("delivery", DAY, observed, expected, 10.0, upper, (observed - expected) / 4, "forecast_interval",
                      56, is_spike)


def test_volume_spike_alert_names_category_counts_and_terms():
    alert = volume_spike(spike(36), [TermLift("lost", 2.2, 3.6, 3, 0)], team="logistics")
    assert isinstance(alert, Alert)
    assert (alert.type, alert.severity, alert.level, alert.category, alert.team) == (
        "volume_spike", "warning", "L2", "delivery", "logistics")
    assert alert.subject == "Volume spike in delivery: 36 complaints on 2026-11-23 (expected 20, normal up to 30)"
    assert alert.dedup_key == "volume_spike#delivery#2026-11-23"
    assert alert.body["top_terms"] == [{"term": "lost", "today": 3, "baseline": 0, "z": 2.2}]
    json.dumps(alert.body)  # JSON-able
    assert alert.attributes == {"type": "volume_spike", "severity": "warning", "team": "logistics",
                                "category": "delivery", "level": "L2"}
    # 20 over expected is twice the interval's half width (10): critical
    assert volume_spike(spike(40)).severity == "critical"
    assert volume_spike(spike(25, is_spike=False)) is None


def test_negative_sentiment_surge():
    # 6 of 10 negative (60 %), usually 20 %: fires; critical only from min(2 x 40 %, 80 %) = 80 %: a warning
    alert = negative_sentiment_surge(DAY, 6, 10, 0.2, category="billing")
    assert (alert.type, alert.severity, alert.dedup_key) == (
        "negative_sentiment_surge", "warning", "negative_sentiment_surge#billing#2026-11-23")
    assert "6 of 10 (60%)" in alert.subject and "usually 20%" in alert.subject
    assert negative_sentiment_surge(DAY, 9, 10, 0.2, category="billing").severity == "critical"
    assert negative_sentiment_surge(DAY, 4, 5, 0.1) is None  # under 5 negative complaints
    assert negative_sentiment_surge(DAY, 6, 20, 0.1) is None  # 30 % < 40 %
    assert negative_sentiment_surge(DAY, 6, 10, 0.5) is None  # 60 % < 1.5 x 50 %: that is normal here


def test_sla_breach_rate():
    alert = sla_breach_rate(DAY, met=12, breached=4, team="billing-team")  # 4 / 16 = 25 % >= 20 %
    assert (alert.severity, alert.team, alert.category) == ("warning", "billing-team", None)
    assert alert.dedup_key == "sla_breach_rate#team:billing-team#2026-11-23"
    assert alert.body["rate"] == 0.25
    assert sla_breach_rate(DAY, met=5, breached=5).severity == "critical"  # 50 % >= 2 x 20 %
    assert sla_breach_rate(DAY, met=2, breached=3) is None  # 5 verdicts < 10
    assert sla_breach_rate(DAY, met=17, breached=3) is None  # 15 %


def test_csat_low_rolling_and_single_score():
    alert = csat_low(DAY, responses=12, average=3.2, category="billing")
    assert (alert.type, alert.severity, alert.level) == ("csat_low", "warning", "L2")
    assert alert.subject == "Low CSAT in billing: 3.20 over 12 answers in the last 7 days (threshold 3.5)"
    assert csat_low(DAY, responses=12, average=2.4).severity == "critical"
    assert csat_low(DAY, responses=9, average=1.0) is None and csat_low(DAY, 12, 3.5) is None
    assert csat_low(DAY, 0, None) is None

    low = csat_low_score("CMP-1", 2, DAY, team="billing-team", category="billing", reason="slow", comment="Too long")
    assert (low.type, low.level, low.team, low.dedup_key) == ("csat_low_score", "L1", "billing-team",
                                                              "csat_low_score#CMP-1")
    assert low.subject == "CMP-1: the customer rated us 2/5 (slow)"
    assert low.body["comment"] == "Too long"
    assert csat_low_score("CMP-1", 3, DAY) is None


def test_backlog_growth():
    alert = backlog_growth(DAY, before=40, now=52, category="delivery")  # +12 and +30 %
    assert (alert.type, alert.severity, alert.body["growth"]) == ("backlog_growth", "warning", 0.3)
    assert alert.subject == "Backlog growing in delivery: 40 -> 52 open complaints in 7 days"
    assert backlog_growth(DAY, before=20, now=40).severity == "critical"  # +100 %
    assert backlog_growth(DAY, before=100, now=115) is None  # +15 %
    assert backlog_growth(DAY, before=2, now=8) is None  # +6 < 10 complaints
    assert backlog_growth(DAY, before=0, now=12).body["growth"] is None


def test_thresholds_come_from_the_config():
    strict = WarningConfig(sla_breach_rate=0.1, sla_min_verdicts=5)
    assert sla_breach_rate(DAY, met=9, breached=1, config=strict) is not None  # 10 %


def test_kpi_alerts_from_rollup_reports():
    empty = kpis([])
    today = dataclasses.replace(empty, volume=10, negative_sentiment=6,
                                sla={"first_response": SlaCompliance(met=6, breached=4)})
    window = dataclasses.replace(empty, volume=70, negative_sentiment=12, csat_responses=15, csat_average=3.0,
                                 backlog_change=15)
    alerts = kpi_alerts(DAY, today, window, backlog_now=45, category="delivery")
    # negative: 60 % today, usually (12 - 6) / (70 - 10) = 10 %; SLA 4 / 10 = 40 %; CSAT 3.0 < 3.5;
    # backlog 30 -> 45 in 7 days: +15, +50 %
    assert [a.type for a in alerts] == ["negative_sentiment_surge", "sla_breach_rate", "csat_low", "backlog_growth"]
    assert len({a.dedup_key for a in alerts}) == 4
    assert all(a.category == "delivery" and a.dedup_key.endswith("#delivery#2026-11-23") for a in alerts)
    quiet = dataclasses.replace(empty, volume=10)
    assert kpi_alerts(DAY, quiet, dataclasses.replace(empty, volume=70), backlog_now=30) == []
