"""Early warnings: pure decisions that return chalicelib.domain.ports.Alert values (or None).

    volume_spike              a category's count today is above its forecast interval (forecast.detect_spike)
    negative_sentiment_surge  many of today's complaints are negative, well above the usual share
    sla_breach_rate           too many SLA clocks stopped late
    csat_low                  the rolling CSAT average is below the threshold
    csat_low_score            one survey answer at or below 2: the team lead should call the customer
    backlog_growth            the open backlog grew fast over the window

Every alert carries type, severity (warning | critical), level (L1 team lead, L2 manager), team and/or category,
a readable subject, a JSON-able body and a dedup key "type#scope#day" (one per scope per day; the publisher drops
a key it has sent before). csat_low_score is keyed by complaint instead: one per survey answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Sequence

from chalicelib.domain.ports import Alert

from .forecast import SpikeCheck, SpikeConfig, TermLift
from .rollups import KpiReport

TEAM_LEAD, MANAGER = "L1", "L2"


@dataclass(frozen=True)
class WarningConfig:
    spike: SpikeConfig = field(default_factory=SpikeConfig)
    negative_share: float = 0.4  # share of today's complaints that are negative...
    negative_ratio: float = 1.5  # ...and at least this many times the usual share
    negative_min_count: int = 5
    sla_breach_rate: float = 0.2  # breached / (met + breached)
    sla_min_verdicts: int = 10
    csat_threshold: float = 3.5  # rolling average below this
    csat_min_responses: int = 10
    csat_low_score: int = 2  # a single answer at or below this
    backlog_growth: float = 0.25  # (now - before) / before over the window
    backlog_min_increase: int = 10
    critical_factor: float = 2.0  # this many times past a threshold is critical


def volume_spike(check: SpikeCheck, terms: Sequence[TermLift] = (), team: str | None = None) -> Alert | None:
    if not check.is_spike:
        return None
    day = _day(check.day)
    half_width = check.upper - check.expected
    critical = check.observed - check.expected >= 2 * half_width if half_width > 0 else True
    return _alert(
        "volume_spike", "critical" if critical else "warning", MANAGER, day, team, check.category,
        f"Volume spike in {check.category}: {check.observed} complaints on {day} "
        f"(expected {check.expected:.0f}, normal up to {check.upper:.0f})",
        {"observed": check.observed, "expected": round(check.expected, 2), "lower": round(check.lower, 2),
         "upper": round(check.upper, 2), "z": round(check.z, 2), "method": check.method,
         "history_days": check.history_days,
         "top_terms": [{"term": t.term, "today": t.today, "baseline": t.baseline, "z": round(t.z, 2)} for t in terms]},
    )


def negative_sentiment_surge(day: date | str, negative: int, total: int, usual_share: float | None,
                             category: str | None = None, team: str | None = None,
                             config: WarningConfig = WarningConfig()) -> Alert | None:
    share = negative / total if total else 0.0
    if negative < config.negative_min_count or share < config.negative_share:
        return None
    if usual_share is not None and share < config.negative_ratio * usual_share:
        return None
    critical = share >= min(config.critical_factor * config.negative_share, 0.8)
    return _alert(
        "negative_sentiment_surge", "critical" if critical else "warning", MANAGER, _day(day), team, category,
        f"Negative complaints surge in {_scope_words(category, team)}: {negative} of {total} ({share:.0%}) "
        f"on {_day(day)}" + (f", usually {usual_share:.0%}" if usual_share is not None else ""),
        {"negative": negative, "total": total, "share": round(share, 4),
         "usual_share": None if usual_share is None else round(usual_share, 4), "threshold": config.negative_share},
    )


def sla_breach_rate(day: date | str, met: int, breached: int, category: str | None = None, team: str | None = None,
                    config: WarningConfig = WarningConfig()) -> Alert | None:
    verdicts = met + breached
    rate = breached / verdicts if verdicts else 0.0
    if verdicts < config.sla_min_verdicts or rate < config.sla_breach_rate:
        return None
    critical = rate >= config.critical_factor * config.sla_breach_rate
    return _alert(
        "sla_breach_rate", "critical" if critical else "warning", MANAGER, _day(day), team, category,
        f"SLA breaches in {_scope_words(category, team)}: {breached} of {verdicts} clocks late ({rate:.0%}) "
        f"on {_day(day)}",
        {"met": met, "breached": breached, "rate": round(rate, 4), "threshold": config.sla_breach_rate},
    )


def csat_low(day: date | str, responses: int, average: float | None, window_days: int = 7,
             category: str | None = None, team: str | None = None,
             config: WarningConfig = WarningConfig()) -> Alert | None:
    if average is None or responses < config.csat_min_responses or average >= config.csat_threshold:
        return None
    critical = average < config.csat_threshold - 1
    return _alert(
        "csat_low", "critical" if critical else "warning", MANAGER, _day(day), team, category,
        f"Low CSAT in {_scope_words(category, team)}: {average:.2f} over {responses} answers in the last "
        f"{window_days} days (threshold {config.csat_threshold})",
        {"average": round(average, 3), "responses": responses, "window_days": window_days,
         "threshold": config.csat_threshold},
    )


def csat_low_score(reference: str, score: int, day: date | str, team: str | None = None,
                   category: str | None = None, reason: str | None = None, comment: str | None = None,
                   config: WarningConfig = WarningConfig()) -> Alert | None:
    if score > config.csat_low_score:
        return None
    return Alert(
        type="csat_low_score", severity="warning", level=TEAM_LEAD, team=team, category=category,
        subject=f"{reference}: the customer rated us {score}/5" + (f" ({reason})" if reason else ""),
        body={"reference": reference, "score": score, "reason": reason, "comment": comment, "day": _day(day),
              "team": team, "category": category},
        dedup_key=f"csat_low_score#{reference}",
    )


def backlog_growth(day: date | str, before: int, now: int, window_days: int = 7, category: str | None = None,
                   team: str | None = None, config: WarningConfig = WarningConfig()) -> Alert | None:
    increase = now - before
    growth = increase / before if before > 0 else float("inf") if increase > 0 else 0.0
    if increase < config.backlog_min_increase or growth < config.backlog_growth:
        return None
    critical = growth >= config.critical_factor * config.backlog_growth
    return _alert(
        "backlog_growth", "critical" if critical else "warning", MANAGER, _day(day), team, category,
        f"Backlog growing in {_scope_words(category, team)}: {before} -> {now} open complaints in {window_days} days",
        {"before": before, "now": now, "increase": increase, "growth": None if before == 0 else round(growth, 4),
         "window_days": window_days, "threshold": config.backlog_growth},
    )


def kpi_alerts(day: date | str, today: KpiReport, window: KpiReport, backlog_now: int, window_days: int = 7,
               category: str | None = None, team: str | None = None,
               config: WarningConfig = WarningConfig()) -> list[Alert]:
    """The KPI-based warnings of one scope (a category or a team), from its rollups: `today` (the day bucket) and
    `window` (the last `window_days` day buckets, today included). Volume spikes come from volume_spike()."""
    scope = {"category": category, "team": team, "config": config}
    earlier = window.volume - today.volume  # the usual negative share: the window's days before today
    usual = (window.negative_sentiment - today.negative_sentiment) / earlier if earlier > 0 else None
    sla = list(today.sla.values())
    candidates = [
        negative_sentiment_surge(day, today.negative_sentiment, today.volume, usual, **scope),
        sla_breach_rate(day, sum(s.met for s in sla), sum(s.breached for s in sla), **scope),
        csat_low(day, window.csat_responses, window.csat_average, window_days, **scope),
        backlog_growth(day, backlog_now - window.backlog_change, backlog_now, window_days, **scope),
    ]
    return [alert for alert in candidates if alert is not None]


def _alert(kind: str, severity: str, level: str, day: str, team: str | None, category: str | None, subject: str,
           body: dict[str, Any]) -> Alert:
    scope = category or (f"team:{team}" if team else "all")
    return Alert(type=kind, severity=severity, subject=subject, level=level, team=team, category=category,
                 body={"day": day, "category": category, "team": team, **body}, dedup_key=f"{kind}#{scope}#{day}")


def _scope_words(category: str | None, team: str | None) -> str:
    return category or (f"team {team}" if team else "all complaints")


def _day(day: date | str | None) -> str:
    return day.isoformat() if isinstance(day, date) else (day or "")
