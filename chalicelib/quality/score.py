"""A weighted service quality score from 0 to 100 that explains itself.

Each indicator (a named KPI from rollups.METRICS) is normalized linearly between a "worst" value (0) and a
"target" value (1), clamped; worst > target means lower is better. Indicators sit in three groups with weights
(customer feedback 0.5, process efficiency 0.3, outcome 0.2 by default); inside a group they share its weight in
proportion to their own weights. An indicator without a value (no observations) drops out and the others of its
group take its share; a group with no values at all passes its weight to the other groups in proportion.

The report lists, per indicator: value, normalized score, effective weight and contribution in points (weight x
normalized x 100). compare() gives each indicator's change in points, largest first: why the score moved.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .rollups import KpiReport, metric

CUSTOMER_FEEDBACK, PROCESS_EFFICIENCY, OUTCOME = "customer_feedback", "process_efficiency", "outcome"


@dataclass(frozen=True)
class Indicator:
    name: str  # a key of rollups.METRICS
    group: str
    worst: float  # normalized to 0 at or beyond this
    target: float  # normalized to 1 at or beyond this
    weight: float = 1.0  # relative, inside its group

    def normalize(self, value: float) -> float:
        return min(max((value - self.worst) / (self.target - self.worst), 0.0), 1.0)


DEFAULT_INDICATORS = (
    Indicator("csat_average", CUSTOMER_FEEDBACK, worst=2.5, target=4.5, weight=2),
    Indicator("csat_satisfied_share", CUSTOMER_FEEDBACK, worst=0.5, target=0.9),
    Indicator("first_response_median_hours", PROCESS_EFFICIENCY, worst=24, target=1),
    Indicator("resolution_median_hours", PROCESS_EFFICIENCY, worst=240, target=48),
    Indicator("sla_compliance", PROCESS_EFFICIENCY, worst=0.7, target=0.95),
    Indicator("fcr_rate", OUTCOME, worst=0.4, target=0.8),
    Indicator("reopen_rate", OUTCOME, worst=0.2, target=0.02),
    Indicator("resolution_rate", OUTCOME, worst=0.6, target=1.0),
)


@dataclass(frozen=True)
class ScoreConfig:
    groups: dict[str, float] = field(
        default_factory=lambda: {CUSTOMER_FEEDBACK: 0.5, PROCESS_EFFICIENCY: 0.3, OUTCOME: 0.2})
    indicators: tuple[Indicator, ...] = DEFAULT_INDICATORS

    def __post_init__(self) -> None:
        if not math.isclose(sum(self.groups.values()), 1.0, abs_tol=1e-9) or min(self.groups.values()) < 0:
            raise ValueError("group weights must be non-negative and add up to 1")
        for indicator in self.indicators:
            if indicator.group not in self.groups:
                raise ValueError(f"{indicator.name}: unknown group {indicator.group!r}")
            if indicator.worst == indicator.target or indicator.weight <= 0:
                raise ValueError(f"{indicator.name}: worst must differ from target, and the weight be positive")


@dataclass(frozen=True)
class IndicatorScore:
    name: str
    group: str
    value: float | None
    normalized: float | None  # 0..1; None without a value
    weight: float  # effective share of the whole score (all shares add up to 1)
    points: float  # contribution: weight x normalized x 100
    max_points: float  # weight x 100
    worst: float
    target: float


@dataclass(frozen=True)
class QualityScore:
    score: float | None  # 0..100; None when no indicator has a value
    indicators: tuple[IndicatorScore, ...]
    groups: dict[str, float]  # group -> points

    def indicator(self, name: str) -> IndicatorScore:
        return next(i for i in self.indicators if i.name == name)


@dataclass(frozen=True)
class Driver:
    name: str
    group: str
    previous_value: float | None
    current_value: float | None
    previous_points: float
    current_points: float
    delta_points: float


@dataclass(frozen=True)
class ScoreChange:
    previous: float | None
    current: float | None
    delta: float | None
    drivers: tuple[Driver, ...]  # by absolute impact, largest first


def score(report: KpiReport, config: ScoreConfig = ScoreConfig()) -> QualityScore:
    values = {i.name: metric(report, i.name)[0] for i in config.indicators}
    present = [i for i in config.indicators if values[i.name] is not None]
    live_groups = {i.group for i in present}
    group_total = sum(w for g, w in config.groups.items() if g in live_groups)
    scored = []
    for indicator in config.indicators:
        value = values[indicator.name]
        weight = 0.0
        if value is not None and group_total > 0:
            inside = sum(i.weight for i in present if i.group == indicator.group)
            weight = config.groups[indicator.group] / group_total * indicator.weight / inside
        normalized = indicator.normalize(value) if value is not None else None
        scored.append(IndicatorScore(
            name=indicator.name, group=indicator.group, value=value, normalized=normalized, weight=weight,
            points=100 * weight * (normalized or 0.0), max_points=100 * weight,
            worst=indicator.worst, target=indicator.target,
        ))
    groups = {g: sum(s.points for s in scored if s.group == g) for g in config.groups}
    total = sum(s.points for s in scored) if present else None
    return QualityScore(total, tuple(scored), groups)


def compare(previous: QualityScore, current: QualityScore) -> ScoreChange:
    """Each indicator's change in points, largest absolute change first (ties by name)."""
    before = {i.name: i for i in previous.indicators}
    drivers = []
    for now in current.indicators:
        then = before.get(now.name)
        then_points = then.points if then else 0.0
        drivers.append(Driver(now.name, now.group, then.value if then else None, now.value, then_points,
                              now.points, now.points - then_points))
    drivers.sort(key=lambda d: (-abs(d.delta_points), d.name))
    delta = None if previous.score is None or current.score is None else current.score - previous.score
    return ScoreChange(previous.score, current.score, delta, tuple(drivers))
