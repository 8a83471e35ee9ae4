"""Reports read from the rollups (never the complaints table): KPIs per segment, the quality score and why it moved,
Pareto of categories and root causes, daily trends with a forecast, and the daily early-warning checks.

Every read is a Query of one rollup series (a partition), so a report costs a few queries whatever the data size.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol, Sequence

from ..domain.ports import Alert
from .early_warning import kpi_alerts, volume_spike
from .forecast import Forecast, SpikeCheck, detect_spike, forecast, top_terms
from .pareto import Pareto, cause_pareto, pareto
from .rollups import BALANCE, KpiReport, RollupBucket, kpis
from .score import QualityScore, ScoreChange, compare, score

HISTORY_DAYS = 56  # daily history behind a forecast or a spike check


class StatsReader(Protocol):
    def query(self, period: str, dimension: str = "all", value: str = "all", start: str | None = None,
              end: str | None = None) -> list[RollupBucket]: ...


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Window":
        return Window(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


class Reports:
    def __init__(self, stats: StatsReader, categories: Sequence[str], teams: Sequence[str]):
        self.stats, self.categories, self.teams = stats, tuple(categories), tuple(teams)

    def days(self, dimension: str, value: str, window: Window) -> list[RollupBucket]:
        return self.stats.query("day", dimension, value, window.start.isoformat(), window.end.isoformat())

    def kpis(self, window: Window, dimension: str = "all", value: str = "all") -> KpiReport:
        """KPIs of one segment over a window of days. The opening backlog is the series' running balance less what
        opened and closed since the window began: reads follow the window and the days after it, not the history."""
        since = self.stats.query("day", dimension, value, window.start.isoformat(), None)
        balance = self.stats.query(BALANCE, dimension, value)
        moved = sum(b.counters.get("opened", 0) - b.counters.get("closed", 0) for b in since)
        total = sum(b.counters.get("opened", 0) - b.counters.get("closed", 0) for b in balance)
        inside = [b for b in since if b.key.start <= window.end.isoformat()]
        return kpis(inside, opening_backlog=total - moved)

    def quality(self, window: Window) -> tuple[QualityScore, ScoreChange]:
        current, previous = score(self.kpis(window)), score(self.kpis(window.previous()))
        return current, compare(previous, current)

    def pareto_categories(self, window: Window) -> Pareto:
        return pareto({c: self.kpis(window, "category", c).volume for c in self.categories})

    def pareto_causes(self, window: Window, level: str = "cause") -> Pareto:
        return cause_pareto(self.kpis(window).root_causes, level=level)

    def daily_series(self, dimension: str, value: str, window: Window, counter: str = "volume") -> list[int]:
        by_day = {b.key.start: b.counters.get(counter, 0) for b in self.days(dimension, value, window)}
        return [by_day.get((window.start + timedelta(days=n)).isoformat(), 0) for n in range(window.days)]

    def trend(self, category: str, window: Window, horizon: int = 7) -> tuple[list[int], Forecast]:
        series = self.daily_series("category", category, window)
        return series, forecast(series, horizon)

    # -- early warning ----------------------------------------------------------------------------------------
    def spike(self, category: str, day: date) -> SpikeCheck:
        history = self.daily_series("category", category, Window(day - timedelta(days=HISTORY_DAYS), day - timedelta(days=1)))
        observed = self.daily_series("category", category, Window(day, day))[0]
        first = next((n for n, count in enumerate(history) if count), len(history))
        return detect_spike(category, history[first:], observed, day)

    def early_warnings(self, day: date, texts_today: dict[str, list[str]] | None = None,
                       texts_before: dict[str, list[str]] | None = None) -> list[Alert]:
        """The day's alerts: a volume spike per category (with its top terms), then the KPI triggers
        (negative sentiment, SLA breach rate, rolling CSAT, backlog growth) for all complaints and per category."""
        alerts: list[Alert] = []
        for category in self.categories:
            check = self.spike(category, day)
            if check.is_spike:
                terms = top_terms((texts_today or {}).get(category, []), (texts_before or {}).get(category, []), k=5)
                alerts.append(volume_spike(check, terms))
        today, week = Window(day, day), Window(day - timedelta(days=6), day)
        for dimension, value in (("all", "all"), *(("category", c) for c in self.categories)):
            todays = self.kpis(today, dimension, value)  # its backlog is the backlog now
            alerts += kpi_alerts(day, todays, self.kpis(week, dimension, value), todays.backlog,
                                 **({"category": value} if dimension == "category" else {}))
        return [alert for alert in alerts if alert is not None]

