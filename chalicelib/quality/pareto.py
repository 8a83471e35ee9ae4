"""Pareto analysis of categories and root causes, the fishbone (Ishikawa) taxonomy of causes, and 5-why chains.

A cause label is "cause" or "cause/sub-cause" (e.g. "process/handoff"); ROOT_CAUSES are the fishbone's bones
(chalicelib.domain.taxonomy), each with its sub-causes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

from chalicelib.domain.errors import InvalidCommand
from chalicelib.domain.taxonomy import CAUSE_LABEL, ROOT_CAUSES
from .rollups import RollupBucket, kpis


VITAL_SHARE = 0.8
MAX_WHYS = 5
MAX_WHY_LENGTH = 500


@dataclass(frozen=True)
class ParetoItem:
    name: str
    count: int
    share: float  # of the total
    cumulative: float  # share of this item and all before it
    vital: bool  # among the vital few


@dataclass(frozen=True)
class Pareto:
    total: int
    items: tuple[ParetoItem, ...]  # largest first; ties by name

    @property
    def vital_few(self) -> list[str]:
        return [item.name for item in self.items if item.vital]


def pareto(counts: Mapping[str, int] | Iterable[str], threshold: float = VITAL_SHARE) -> Pareto:
    """Counts (or the raw labels) sorted largest first with shares and cumulative shares. The vital few are the
    items up to and including the one whose cumulative share reaches the threshold. Zero counts are dropped."""
    tally = Counter(dict(counts)) if isinstance(counts, Mapping) else Counter(counts)
    if any(n < 0 for n in tally.values()):
        raise ValueError("counts cannot be negative")
    ranked = sorted(((name, n) for name, n in tally.items() if n > 0), key=lambda item: (-item[1], item[0]))
    total = sum(n for _, n in ranked)
    needed = Fraction(threshold).limit_denominator(10 ** 6) * total  # exact: 80 % of 15 is 12, not 12.000001
    items, running, reached = [], 0, False
    for name, n in ranked:
        running += n
        items.append(ParetoItem(name, n, n / total, running / total, vital=not reached))
        reached = reached or running >= needed
    return Pareto(total, tuple(items))


def parse_cause(label: str) -> tuple[str, str | None]:
    """"process/handoff" -> ("process", "handoff"). Only the form is checked (a known bone, a sub-cause name):
    reports keep the labels past complaints carry, whatever today's taxonomy says."""
    if not CAUSE_LABEL.match(label):
        raise InvalidCommand(f"not a cause label: {label!r}; write a root cause ({', '.join(ROOT_CAUSES)}), "
                             "optionally with /sub_cause", field="root_cause")
    cause, _, sub = label.partition("/")
    return cause, sub or None


def cause_pareto(labels: Mapping[str, int] | Iterable[str], level: str = "cause",
                 threshold: float = VITAL_SHARE) -> Pareto:
    """Pareto of cause labels at the "cause" level (sub-causes roll up into their bone) or the "sub" level
    (only labels with a sub-cause). Accepts labels, or label -> count (e.g. KpiReport.root_causes, where each
    resolution is counted under "cause" and, when it has one, again under "cause/sub")."""
    if level not in ("cause", "sub"):
        raise ValueError("level is 'cause' or 'sub'")
    tally = Counter(dict(labels)) if isinstance(labels, Mapping) else Counter(labels)
    counted = isinstance(labels, Mapping)
    rolled: Counter[str] = Counter()
    for label, n in tally.items():
        cause, sub = parse_cause(label)
        if level == "sub" and sub:
            rolled[label] += n
        elif level == "cause" and (sub is None or not counted):
            rolled[cause] += n
    return pareto(rolled, threshold)


def category_pareto(buckets_by_category: Mapping[str, Iterable[RollupBucket]],
                    threshold: float = VITAL_SHARE) -> Pareto:
    """Pareto of complaint volume by category, from each category's rollup buckets over the same window."""
    return pareto({category: kpis(buckets).volume for category, buckets in buckets_by_category.items()}, threshold)


def validate_five_whys(chain: Sequence[str] | None) -> tuple[str, ...]:
    """An optional 5-why chain: 1 to 5 non-empty answers (stripped), each at most MAX_WHY_LENGTH characters."""
    if chain is None:
        return ()
    if isinstance(chain, str) or not 1 <= len(chain) <= MAX_WHYS:
        raise InvalidCommand(f"five whys: give 1 to {MAX_WHYS} answers as a list", field="five_whys")
    answers = []
    for number, answer in enumerate(chain, start=1):
        text = answer.strip() if isinstance(answer, str) else ""
        if not text:
            raise InvalidCommand(f"why #{number} is empty", field="five_whys")
        if len(text) > MAX_WHY_LENGTH:
            raise InvalidCommand(f"why #{number} is longer than {MAX_WHY_LENGTH} characters", field="five_whys")
        answers.append(text)
    return tuple(answers)
