"""PDCA improvement actions: Plan -> Do -> Check -> Act, with a before/after check of the target KPI.

An action is linked to a category and/or a root cause ("process" or "process/handoff") and names a target KPI
(a key of rollups.METRICS, or cause_count / cause_share: resolutions with the linked root cause, as a count or as a
share of all resolutions), a target value and whether lower or higher is better.

check() compares the KPI over two equal windows of day buckets: the `window_days` before the start date and the
`window_days` from it. The segment is the category's rollup series when a category is linked, else all complaints
(rollups are not split by root cause: a root cause alone can only be checked with cause_count / cause_share).

act() ends a cycle: "standardize" closes the action, "replan" starts cycle + 1 back at Plan. Every stage change
is kept in the history with who, when and a note. Invalid changes raise domain.errors.InvalidCommand.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from chalicelib.domain.errors import InvalidCommand

from chalicelib.domain.taxonomy import DEFAULT_TAXONOMY, Taxonomy
from .rollups import CAUSE_PREFIX, METRICS, RES, RollupBucket, kpis, metric

PLAN, DO, CHECK, ACT, CLOSED = "plan", "do", "check", "act", "closed"
STAGES = (PLAN, DO, CHECK, ACT)
# stage -> where advance() may take it; Act ends through act(). Check -> Do: too early to judge, keep doing.
NEXT_STAGES = {PLAN: (DO,), DO: (CHECK,), CHECK: (ACT, DO), ACT: ()}
DIRECTIONS = ("lower", "higher")
CAUSE_KPIS = ("cause_count", "cause_share")
DECISIONS = ("standardize", "replan")
MIN_OBSERVATIONS = 3  # observations (complaints, answers) in each window before a check says met or not met


@dataclass(frozen=True)
class StageChange:
    stage_from: str | None  # None for the creation
    stage_to: str
    cycle: int
    by: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class ImprovementAction:
    id: str
    title: str
    owner: str
    plan: str
    target_kpi: str
    target_value: float
    direction: str  # lower | higher (is better)
    start: date  # when the change takes effect (the Do starts)
    due: date
    category: str | None = None
    root_cause: str | None = None  # "process" or "process/handoff"
    stage: str = PLAN
    cycle: int = 1
    history: tuple[StageChange, ...] = ()
    outcome: str | None = None  # "standardized" once closed


@dataclass(frozen=True)
class KpiWindow:
    first_day: date
    last_day: date
    value: float | None
    count: int  # observations behind the value (complaints, resolutions, answers ...)


@dataclass(frozen=True)
class CheckResult:
    kpi: str
    segment: str  # "category billing", "all complaints", with "root cause process/handoff" when linked
    direction: str
    target_value: float
    window_days: int
    before: KpiWindow
    after: KpiWindow
    change: float | None  # after - before
    improved: bool | None  # after is better than before
    met: bool | None  # after reaches the target; None when there is not enough data to say
    enough_data: bool  # both windows have at least min_count observations
    verdict: str  # "met", "not_met" or "not_enough_data" (never a verdict from too few observations)


def new_action(id: str, title: str, owner: str, plan: str, target_kpi: str, target_value: float, direction: str,
               start: date, due: date, *, by: str, at: datetime, category: str | None = None,
               root_cause: str | None = None, taxonomy: Taxonomy = DEFAULT_TAXONOMY) -> ImprovementAction:
    for name, value in (("id", id), ("title", title), ("owner", owner), ("plan", plan)):
        _require(value, name)
    if not category and not root_cause:
        raise InvalidCommand("link the action to a category or a root cause", field="category")
    if root_cause:
        taxonomy.check_cause_label(root_cause)
    _check_kpi(target_kpi, category, root_cause)
    if direction not in DIRECTIONS:
        raise InvalidCommand(f"direction must be one of {', '.join(DIRECTIONS)}", field="direction")
    if due < start:
        raise InvalidCommand("the due date is before the start date", field="due")
    return ImprovementAction(
        id=id, title=title.strip(), owner=owner, plan=plan.strip(), target_kpi=target_kpi,
        target_value=float(target_value), direction=direction, start=start, due=due, category=category or None,
        root_cause=root_cause or None, history=(StageChange(None, PLAN, 1, by, at, "created"),),
    )


def advance(action: ImprovementAction, to: str, by: str, at: datetime, note: str | None = None) -> ImprovementAction:
    """Moves to the next stage (Plan -> Do -> Check -> Act, or Check back to Do)."""
    if action.stage == CLOSED:
        raise InvalidCommand("the action is closed", field="stage")
    if to not in NEXT_STAGES[action.stage]:
        allowed = ", ".join(NEXT_STAGES[action.stage]) or "none (decide with act: standardize or replan)"
        raise InvalidCommand(f"cannot go from {action.stage} to {to}; allowed: {allowed}", field="stage")
    return _moved(action, to, action.cycle, by, at, note)


def act(action: ImprovementAction, decision: str, by: str, at: datetime, note: str | None = None, *,
        plan: str | None = None, start: date | None = None, due: date | None = None,
        target_value: float | None = None) -> ImprovementAction:
    """Standardize (close the action) or replan (a new cycle from Plan, optionally with a new plan, dates, target)."""
    if action.stage != ACT:
        raise InvalidCommand(f"act needs the action in the act stage, not {action.stage}", field="stage")
    if decision not in DECISIONS:
        raise InvalidCommand(f"decision must be one of {', '.join(DECISIONS)}", field="decision")
    if decision == "standardize":
        return dataclasses.replace(_moved(action, CLOSED, action.cycle, by, at, note), outcome="standardized")
    if plan is not None:
        _require(plan, "plan")
    changed = dataclasses.replace(
        action, plan=(plan or action.plan).strip(), start=start or action.start, due=due or action.due,
        target_value=action.target_value if target_value is None else float(target_value),
    )
    if changed.due < changed.start:
        raise InvalidCommand("the due date is before the start date", field="due")
    return _moved(changed, PLAN, action.cycle + 1, by, at, note)


def check(action: ImprovementAction, before_buckets: Iterable[RollupBucket], after_buckets: Iterable[RollupBucket],
          *, window_days: int | None = None, min_count: int = MIN_OBSERVATIONS) -> CheckResult:
    """The target KPI of the action's segment over equal windows before and from its start date. Only day buckets
    of the segment inside each window count, so both arguments may be the same list (e.g. the category's day
    buckets of the last months). window_days defaults to the days from the start to the last after-bucket."""
    dimension, value = ("category", action.category) if action.category else ("all", "all")
    before = _segment(before_buckets, dimension, value)
    after = _segment(after_buckets, dimension, value)
    if window_days is None:
        last = max((date.fromisoformat(b.key.start) for b in after), default=action.start)
        window_days = max((last - action.start).days + 1, 1)
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    length = timedelta(days=window_days)
    before_window = _window(action, before, action.start - length, action.start - timedelta(days=1))
    after_window = _window(action, after, action.start, action.start + length - timedelta(days=1))
    b, a = before_window.value, after_window.value
    better = (lambda x, y: x < y) if action.direction == "lower" else (lambda x, y: x > y)
    enough = min(before_window.count, after_window.count) >= min_count and a is not None and b is not None
    met = a is not None and (a == action.target_value or better(a, action.target_value))
    return CheckResult(
        kpi=action.target_kpi, segment=_segment_words(action), direction=action.direction,
        target_value=action.target_value, window_days=window_days, before=before_window, after=after_window,
        change=None if a is None or b is None else a - b,
        improved=None if a is None or b is None else better(a, b),
        met=met if enough else None,
        enough_data=enough,
        verdict=("met" if met else "not_met") if enough else "not_enough_data",
    )


def _window(action: ImprovementAction, buckets: list[RollupBucket], first: date, last: date) -> KpiWindow:
    inside = [b for b in buckets if first.isoformat() <= b.key.start <= last.isoformat()]
    report = kpis(inside)
    if action.target_kpi in CAUSE_KPIS:
        causes = report.counters.get(CAUSE_PREFIX + (action.root_cause or ""), 0)
        resolved = report.counters.get(f"{RES}_count", 0)
        if action.target_kpi == "cause_count":
            return KpiWindow(first, last, float(causes), causes)
        return KpiWindow(first, last, causes / resolved if resolved else None, resolved)
    value, count = metric(report, action.target_kpi)
    return KpiWindow(first, last, value, count)


def _segment(buckets: Iterable[RollupBucket], dimension: str, value: str) -> list[RollupBucket]:
    return [b for b in buckets if b.key.period == "day" and b.key.dimension == dimension and b.key.value == value]


def _segment_words(action: ImprovementAction) -> str:
    words = f"category {action.category}" if action.category else "all complaints"
    return f"{words}, root cause {action.root_cause}" if action.root_cause else words


def _check_kpi(kpi: str, category: str | None, root_cause: str | None) -> None:
    if kpi in CAUSE_KPIS:
        if not root_cause:
            raise InvalidCommand(f"{kpi} needs a root cause", field="root_cause")
        return
    if kpi not in METRICS:
        raise InvalidCommand(f"target KPI must be one of {', '.join((*METRICS, *CAUSE_KPIS))}", field="target_kpi")
    if not category:
        raise InvalidCommand("KPIs are not kept per root cause: link a category, or use cause_count or cause_share",
                             field="target_kpi")


def _moved(action: ImprovementAction, to: str, cycle: int, by: str, at: datetime,
           note: str | None) -> ImprovementAction:
    change = StageChange(action.stage, to, cycle, by, at, note)
    return dataclasses.replace(action, stage=to, cycle=cycle, history=(*action.history, change))


def _require(value: str | None, name: str) -> None:
    if not value or not value.strip():
        raise InvalidCommand(f"{name} is required", field=name)
