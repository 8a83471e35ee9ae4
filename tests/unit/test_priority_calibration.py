"""Retraining's priority half: rule levels learnt from staff corrections, weighed against the rules' volume."""
from collections import Counter
from dataclasses import dataclass, field

import pytest

from chalicelib.triage.severity import DEFAULT_RULES, RULE_LEVELS, assess_severity
from functions.retrain.priority import PrioritySettings, calibrate, volume_by_rule

LEVELS = DEFAULT_RULES.levels()  # media P2, legal_alone P2, baseline P3, safety P1, ...


@dataclass(frozen=True)
class Correction:
    label: str
    context: dict = field(default_factory=dict)


def corrections(rule: str, given: str, label: str, n: int, raised: int = 0) -> list[Correction]:
    context = {"priority_rule": rule, "triage_priority": given, "priority_raised": raised}
    return [Correction(label, context) for _ in range(n)]


def test_a_rule_moves_when_most_of_its_complaints_were_set_to_another_level():
    volume = {"media": Counter(P2=10)}
    result = calibrate(LEVELS, volume, corrections("media", "P2", "P1", 6))
    assert result.levels["media"] == 1 and result.changes == {"media": "P2 -> P1"}
    assert {k: v for k, v in result.levels.items() if k != "media"} == {k: v for k, v in LEVELS.items()
                                                                           if k != "media"}
    [media] = result.rules
    assert media["votes"] == {"P1": 6, "P2": 4} and media["corrections_to"] == {"P1": 6}
    assert result.used == 6 and result.unused == {}


@pytest.mark.parametrize("volume, moves, why", [
    (30, {"P1": 6}, "stayed at or were set to P2"),  # 6 of 30 media complaints raised: most were left at P2
    (12, {"P1": 5, "P3": 4}, "P1 has 5 of 12 complaints, not a majority"),  # staff disagree with each other
    (6, {"P1": 4}, "rests on 4 corrections"),  # a majority, but too few corrections to move a rule
])
def test_a_rule_stays_without_a_majority_or_enough_corrections(volume, moves, why):
    made = [c for label, n in moves.items() for c in corrections("media", "P2", label, n)]
    result = calibrate(LEVELS, {"media": Counter(P2=volume)}, made)
    assert result.levels == LEVELS and result.changes == {}
    assert why in result.rules[0]["reason"]


def test_safety_is_locked_and_unknown_volume_moves_nothing():
    locked = calibrate(LEVELS, {"safety": Counter(P1=8)}, corrections("safety", "P1", "P2", 8))
    assert locked.levels["safety"] == 1 and "locked" in locked.rules[0]["reason"]
    uncounted = calibrate(LEVELS, {}, corrections("legal_alone", "P2", "P1", 9))
    assert uncounted.levels == LEVELS and "volume counters do not cover" in uncounted.rules[0]["reason"]
    unlocked = calibrate(LEVELS, {"safety": Counter(P1=8)}, corrections("safety", "P1", "P2", 8),
                         PrioritySettings(locked=()))
    assert unlocked.levels["safety"] == 2


def test_raised_and_unrecorded_corrections_are_counted_but_not_used():
    result = calibrate(LEVELS, {"baseline": Counter(P3=2)}, [
        *corrections("baseline", "P2", "P4", 5, raised=1),  # judged the raise as much as the rule
        Correction("P1", {}),  # triaged before rules were recorded
        Correction("P1", {"priority_rule": "no-such-rule", "triage_priority": "P3"}),
    ])
    assert result.levels == LEVELS and result.used == 0
    assert result.unused == {"raised priority": 5, "triaged before rules were recorded": 2}


def test_votes_follow_the_level_each_complaint_got_when_a_level_moved_before():
    # media was P2 for 10 complaints (7 raised to P1 by staff), then P1 for 4: P1 holds 11 of 14.
    volume = volume_by_rule({"priority_rule:media/P2": 10, "priority_rule:media/P1": 4, "volume": 99})
    result = calibrate({**LEVELS, "media": 1}, volume, corrections("media", "P2", "P1", 7))
    assert result.levels["media"] == 1 and result.changes == {}
    assert result.rules[0]["votes"] == {"P1": 11, "P2": 3}


def test_a_lowered_level_is_learnt_too():
    result = calibrate(LEVELS, {"legal_alone": Counter(P2=9)}, corrections("legal_alone", "P2", "P3", 5))
    assert result.levels["legal_alone"] == 3 and result.changes == {"legal_alone": "P2 -> P3"}


def test_assessments_name_their_deciding_rule_and_raise():
    legal = assess_severity("I will take legal action over this")
    assert (legal.rule, legal.priority, legal.raised) == ("legal_alone", "P2", 0)
    raised = assess_severity("My elderly mother will take legal action over this")
    assert (raised.rule, raised.priority, raised.raised) == ("legal_with_other", "P1", 0)
    vulnerable = assess_severity("The parcel was late and I am a pensioner")
    assert (vulnerable.rule, vulnerable.priority, vulnerable.raised) == ("baseline", "P2", 1)
    fire = assess_severity("The heater caught fire")
    assert (fire.rule, fire.priority) == ("safety", "P1")


def test_learnt_levels_change_what_the_rules_decide_and_bad_levels_are_refused():
    rules = DEFAULT_RULES.with_levels({"legal_alone": 1})
    assert assess_severity("I will take legal action over this", rules=rules).priority == "P1"
    assert rules.levels() == {**LEVELS, "legal_alone": 1} and set(LEVELS) == set(RULE_LEVELS)
    with pytest.raises(ValueError, match="unknown priority rule 'sue'"):
        DEFAULT_RULES.with_levels({"sue": 1})
    with pytest.raises(ValueError, match="must be 1-4"):
        DEFAULT_RULES.with_levels({"media": 0})
