"""One retraining run of the category model: the base data plus staff corrections -> a candidate -> published or not.

The steps, each a plain function of its inputs so tests need no AWS:
1. `training_set`: the base rows, then one row per corrected complaint. A correction whose text equals a base row
   relabels that row instead of adding a second, contradictory one.
2. `should_train`: only when enough new corrections arrived since the last run (or when forced).
3. Train with the project's own `models.train.train` (cross-validation, export, model card).
4. `gate`: publish only if the candidate's cross-validated macro-F1 is not worse than the serving model's by more
   than `max_drop`, and its runtime parity is at least `min_parity`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence


class Example(Protocol):
    text: str
    label: str


@dataclass(frozen=True)
class RetrainSettings:
    min_new_corrections: int = 10  # fewer new corrections than this since the last run: nothing to learn yet
    max_drop: float = 0.02  # the candidate's CV macro-F1 may be at most this much below the serving model's
    min_parity: float = 0.999  # runtime vs scikit-learn on the training rows
    folds: int = 5


@dataclass(frozen=True)
class Decision:
    publish: bool
    reason: str


def training_set(base_texts: Sequence[str], base_labels: Sequence[str],
                 corrections: Iterable[Example]) -> tuple[list[str], list[str], dict]:
    """(texts, labels, counts). Texts are compared after whitespace and case folding."""
    texts, labels = list(base_texts), list(base_labels)
    row_of = {_key(text): row for row, text in enumerate(texts)}
    relabelled = added = 0
    for example in corrections:
        row = row_of.get(_key(example.text))
        if row is None:
            row_of[_key(example.text)] = len(texts)
            texts.append(example.text)
            labels.append(example.label)
            added += 1
        elif labels[row] != example.label:
            labels[row] = example.label
            relabelled += 1
    return texts, labels, {"base_rows": len(base_texts), "corrections_added": added,
                           "base_rows_relabelled": relabelled, "rows": len(texts)}


def should_train(corrections: int, last_run_corrections: int, settings: RetrainSettings, force: bool) -> Decision:
    new = corrections - last_run_corrections
    if force:
        return Decision(True, f"forced ({new} new corrections)")
    if new < settings.min_new_corrections:
        return Decision(False, f"{new} new corrections since the last run; at least "
                               f"{settings.min_new_corrections} are needed")
    return Decision(True, f"{new} new corrections")


def gate(candidate_card: dict, serving_card: dict | None, settings: RetrainSettings) -> Decision:
    """Whether the candidate may replace the serving model, with the figures that decided it."""
    cv = candidate_card["metrics"].get("cross_validation")
    if not cv:
        return Decision(False, "no cross-validation: some label has fewer than 2 rows")
    metrics = candidate_card["metrics"]
    # on the encoder, also the sample the served runtime encoded itself (models.train.runtime_parity)
    parity = min(metrics["runtime_parity_on_training_rows"],
                 (metrics.get("runtime_parity_encoding_each_text") or {}).get("parity", 1.0))
    if parity < settings.min_parity:
        return Decision(False, f"runtime parity {parity} is below {settings.min_parity}")
    candidate = cv["macro_f1_mean"]
    serving = ((serving_card or {}).get("metrics", {}).get("cross_validation") or {}).get("macro_f1_mean")
    if serving is not None and candidate < serving - settings.max_drop:
        return Decision(False, f"CV macro-F1 {candidate:.4f} is more than {settings.max_drop} below the serving "
                               f"model's {serving:.4f}")
    versus = f" (serving model: {serving:.4f})" if serving is not None else ""
    return Decision(True, f"CV macro-F1 {candidate:.4f}{versus}, parity {parity}")


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()
