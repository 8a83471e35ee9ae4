"""Evaluate an artifact on a labelled CSV with the SERVED runtime; prints one JSON object.

    python -m models.evaluate --model DIR --test CSV [--text-col text --label-col label]

- quality (`n`, `accuracy`, `macro_f1`, `per_class`) from the lean runtime's predictions;
- `p50_ms` / `p99_ms`: one `predict(text)` call at a time with the lean runtime;
- `load_ms`: importing `chalicelib.triage.text_model` plus loading the artifact (and, for a model on the sentence
  encoder, loading the encoder), in a fresh Python process (median of 5), so nothing is already cached;
- `parity`: share of texts where the runtime's label equals the label of the scikit-learn pipeline saved next
  to the artifact (`sklearn_pipeline.joblib`, loaded here only, never by the runtime).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from models.train import SKLEARN_COPY, load_csv, per_class_figures

ROOT = Path(__file__).resolve().parents[1]
LOAD_ROUNDS = 5

_LOAD_SNIPPET = """
import json, sys, time
start = time.perf_counter()
from chalicelib.triage.text_model import load_for_serving
load_for_serving(sys.argv[1])
print(json.dumps((time.perf_counter() - start) * 1000))
"""


def measure_load_ms(model_dir: str | Path, rounds: int = LOAD_ROUNDS) -> float:
    """Median ms for import + artifact load, each in a new interpreter (bytecode cache warmed first)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    timings = []
    for _ in range(rounds + 1):
        out = subprocess.run(
            [sys.executable, "-c", _LOAD_SNIPPET, str(model_dir)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )
        timings.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return statistics.median(timings[1:])  # the first run only warms the bytecode cache


def measure_latency_ms(model, texts: list[str]) -> list[float]:
    """Per-text ms of model.predict, one text at a time."""
    timings = []
    for text in texts:
        start = time.perf_counter()
        model.predict(text)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def evaluate(model_dir: str | Path, texts: list[str], labels: list[str]) -> dict:
    from chalicelib.triage.text_model import TextModel

    model = TextModel.load_uncached(model_dir)
    model.predict(texts[0])  # warm-up
    timings = measure_latency_ms(model, texts)
    predicted = [model.predict(text).label for text in texts]

    names = sorted(set(labels) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(labels, predicted, labels=names, zero_division=0)
    result = {
        "model": str(model_dir),
        "version": model.version,
        "encoder": model.encoder,
        "n": len(texts),
        "accuracy": round(accuracy_score(labels, predicted), 4),
        "macro_f1": round(f1_score(labels, predicted, labels=sorted(set(labels)), average="macro", zero_division=0), 4),
        "per_class": per_class_figures(names, precision, recall, f1, support),
        "p50_ms": round(percentile(timings, 0.50), 4),
        "p99_ms": round(percentile(timings, 0.99), 4),
        "load_ms": round(measure_load_ms(model_dir), 2),
        "artifact_bytes": sum(
            (Path(model_dir) / name).stat().st_size for name in ["manifest.json", *model.manifest["files"].values()]
        ),
    }
    sklearn_copy = Path(model_dir) / SKLEARN_COPY
    if sklearn_copy.exists():
        import joblib  # pickle, acceptable here: evaluate is never on the serving path

        reference = joblib.load(sklearn_copy).predict(texts)
        result["parity"] = round(sum(a == b for a, b in zip(predicted, reference)) / len(texts), 6)
        result["parity_reference"] = SKLEARN_COPY
    else:
        result["parity"] = None
        result["parity_reference"] = f"missing {SKLEARN_COPY}"
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="artifact directory written by models.train")
    parser.add_argument("--test", required=True, help="CSV with a text and a label column")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="label")
    args = parser.parse_args(argv)
    texts, labels = load_csv(args.test, args.text_col, args.label_col)
    if not texts:
        raise SystemExit(f"{args.test}: no labelled rows")
    print(json.dumps(evaluate(args.model, texts, labels)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
