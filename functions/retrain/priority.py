"""Priority rule levels learnt from staff priority corrections: the priority half of a retraining run.

A complaint's priority comes from one deciding severity rule (safety, legal_alone, media, ..., the keys of
`chalicelib.triage.severity.RULE_LEVELS`), then raises (vulnerable customer, repeat complaints, strong feeling).
For the complaints a rule decided without a raise, every complaint is a vote for a level:
- the KPI rollups count them by rule and level (`priority_rule:<rule>/<P>`): each votes for the level it got;
- a staff correction moves its complaint's vote from the level triage gave to the level staff chose.

A rule's level becomes the level with the most votes when that level has a majority of the rule's complaints
and at least `min_corrections` corrections chose it. Rules in `locked` never move (a safety risk stays P1 however
staff triage it). Corrections of raised complaints are counted but not used: they judge the raise as much as the
rule. Pure functions of their inputs: tests need no AWS.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Protocol

from chalicelib.quality.rollups import PRIORITY_RULE_PREFIX
from chalicelib.triage.severity import PRIORITIES



class PriorityCorrection(Protocol):
    label: str  # the priority staff chose
    context: dict  # triage_priority, priority_rule, priority_raised: how triage decided


@dataclass(frozen=True)
class PrioritySettings:
    min_corrections: int = 5  # corrections that must have chosen a level before a rule moves to it
    locked: tuple[str, ...] = ("safety",)


@dataclass(frozen=True)
class Calibration:
    levels: dict[str, int]  # every rule's level after this run
    changes: dict[str, str]  # rule -> "P2 -> P1", for the rules that moved
    rules: list[dict]  # per rule with evidence: votes, corrections and why it moved or stayed
    used: int  # corrections used
    unused: dict[str, int]  # corrections not used, by reason

    def as_dict(self) -> dict:
        return {"levels": self.levels, "changes": self.changes, "rules": self.rules,
                "corrections_used": self.used, "corrections_unused": self.unused}


def volume_by_rule(counters: Mapping[str, int]) -> dict[str, Counter]:
    """{"priority_rule:media/P2": 40, ...} (rollup counters) -> {"media": Counter({"P2": 40})}."""
    volume: dict[str, Counter] = {}
    for name, count in counters.items():
        if name.startswith(PRIORITY_RULE_PREFIX) and "/" in name:
            rule, priority = name[len(PRIORITY_RULE_PREFIX):].rsplit("/", 1)
            volume.setdefault(rule, Counter())[priority] += count
    return volume


def calibrate(levels: Mapping[str, int], volume: Mapping[str, Counter], corrections: Iterable[PriorityCorrection],
              settings: PrioritySettings = PrioritySettings()) -> Calibration:
    """The rules' levels after weighing `corrections` (one per complaint) against `volume` (see the module)."""
    moves: dict[str, list[tuple[str, str]]] = {}  # rule -> (triage priority, staff priority)
    unused: Counter = Counter()
    for correction in corrections:
        context = correction.context or {}
        rule, given = context.get("priority_rule"), context.get("triage_priority")
        if rule not in levels or given not in PRIORITIES or correction.label not in PRIORITIES:
            unused["triaged before rules were recorded"] += 1
        elif context.get("priority_raised"):
            unused["raised priority"] += 1
        else:
            moves.setdefault(rule, []).append((given, correction.label))

    new_levels, changes, report = dict(levels), {}, []
    for rule in sorted(set(moves) | {r for r, counts in volume.items() if r in levels and sum(counts.values())}):
        current = PRIORITIES[levels[rule] - 1]
        votes, chosen = Counter(volume.get(rule, {})), Counter()
        for given, staff in moves.get(rule, []):
            votes[given] -= 1
            votes[staff] += 1
            chosen[staff] += 1
        winner, reason = _verdict(rule, current, votes, chosen, settings)
        if winner != current:
            new_levels[rule] = PRIORITIES.index(winner) + 1
            changes[rule] = f"{current} -> {winner}"
        report.append({"rule": rule, "level": current, "new_level": winner, "complaints": sum(votes.values()),
                       "votes": dict(sorted(votes.items())), "corrections_to": dict(sorted(chosen.items())),
                       "reason": reason})
    return Calibration(new_levels, changes, report, sum(map(len, moves.values())), dict(unused))


def _verdict(rule: str, current: str, votes: Counter, chosen: Counter,
             settings: PrioritySettings) -> tuple[str, str]:
    """(the rule's level after this run, why)."""
    if any(count < 0 for count in votes.values()):
        return current, "the volume counters do not cover these corrections (complaints triaged before them)"
    total = sum(votes.values())
    winner, top = max(votes.items(), key=lambda item: (item[1], item[0] == current))
    if winner == current:
        return current, f"{top} of {total} complaints stayed at or were set to {current}"
    if rule in settings.locked:
        return current, f"locked: {top} of {total} complaints were set to {winner}, but this rule never moves"
    if top * 2 <= total:
        return current, f"{winner} has {top} of {total} complaints, not a majority"
    if chosen[winner] < settings.min_corrections:
        return current, f"{winner} rests on {chosen[winner]} corrections; {settings.min_corrections} are needed"
    return winner, f"{top} of {total} complaints ({chosen[winner]} by correction) were set to {winner}"
