"""Train the triage text classifier on a CSV and write the artifact plus its model card.

    python -m models.train --train data.csv --out models/artifacts/NAME/v1 [--text-col text --label-col label]

Steps: hashed n-gram features once, k-fold stratified cross-validation of the rest of the pipeline (figures for the
model card, and out-of-fold scores to fit the softmax temperature), a final fit on all rows, the export to the
lean runtime format, and a scikit-learn copy (`sklearn_pipeline.joblib`) that only `models.evaluate` loads.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import platform
import time
from collections import Counter
from pathlib import Path

import joblib
import numpy as np
import sklearn
from joblib import Parallel, delayed
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from chalicelib.triage.features import FeatureConfig
from chalicelib.triage.text_model import TextModel
from models.data import describe_file, load_csv
from chalicelib.triage.encoder import load_encoder
from chalicelib.triage.text_model import LEXICAL_FALLBACK
from models.pipeline import build_pipeline, decision_matrix, encoder_version, export_runtime

SKLEARN_COPY = "sklearn_pipeline.joblib"


ENCODING_PARITY_ROWS = 500  # rows the served runtime encodes itself, one at a time, in the parity check


def runtime_parity(out_dir: Path, texts: list[str], sklearn_labels: np.ndarray,
                   encoder: bool) -> tuple[float, dict | None]:
    """The served runtime's labels against scikit-learn's on the training rows. On the encoder, the runtime gets the
    embeddings training used (encoding 10,000 texts one at a time took half a minute), and then encodes an evenly
    spread sample itself, as intake does: (parity on every row, {rows, parity} of that sample)."""
    from models.embeddings import embed

    runtime = TextModel.load_uncached(out_dir)
    vectors = embed(list(texts)) if encoder else [None] * len(texts)
    parity = float(np.mean([runtime.predict(text, embedding=vector).label == label
                            for text, vector, label in zip(texts, vectors, sklearn_labels)]))
    if not encoder:
        return parity, None
    sample = np.unique(np.linspace(0, len(texts) - 1, min(ENCODING_PARITY_ROWS, len(texts))).astype(int))
    agreed = np.mean([runtime.predict(texts[row]).label == sklearn_labels[row] for row in sample])
    return parity, {"rows": int(len(sample)), "parity": round(float(agreed), 6)}


def fit_temperature(scores: np.ndarray, targets: np.ndarray) -> float:
    """The T that minimises the log loss of softmax(scores / T) on out-of-fold scores."""

    def log_loss(log_t: float) -> float:
        scaled = scores / np.exp(log_t)
        return float(np.mean(logsumexp(scaled, axis=1) - scaled[np.arange(len(targets)), targets]))

    return float(np.exp(minimize_scalar(log_loss, bounds=(-6.0, 4.0), method="bounded").x))


def _fit_fold(model, features, labels, train_rows, test_rows):
    fitted = clone(model).fit(features[train_rows], labels[train_rows])
    return test_rows, decision_matrix(fitted, features[test_rows])


def out_of_fold_scores(pipeline, texts: list[str], labels: list[str], folds: int = 5, n_jobs: int = 2):
    """(scores of each row by the fold model that did not see it, the folds' test rows), or None when a label
    has fewer than 2 rows. The featurizer is stateless, so the texts are featurized once for all folds."""
    y = np.asarray(labels)
    folds = min(folds, int(np.unique(y, return_counts=True)[1].min()))
    if folds < 2 or len(set(labels)) < 2:
        return None
    features = pipeline.named_steps["features"].transform(texts)
    rest = pipeline[1:]  # seen columns, tf-idf and classifier: refitted in each fold
    splits = StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, y)
    results = Parallel(n_jobs=n_jobs)(delayed(_fit_fold)(rest, features, y, tr, te) for tr, te in splits)
    oof = np.zeros((len(y), len(set(labels))))
    for test_rows, scores in results:
        oof[test_rows] = scores
    return oof, [test_rows for test_rows, _ in results]


def _macro_f1(targets, predicted) -> float:
    return float(f1_score(targets, predicted, average="macro", zero_division=0))


def choose_prior_strength(scores, targets, shift, fold_rows) -> tuple[float, np.ndarray]:
    """Strength a of the label offsets a * shift that maximises out-of-fold macro-F1, and honest predictions:
    each fold is predicted with the a chosen on the OTHER folds only (cross-fitting)."""
    grid = np.arange(0.0, 1.501, 0.125)

    def best(rows) -> float:
        results = [_macro_f1(targets[rows], (scores[rows] + a * shift).argmax(axis=1)) for a in grid]
        return float(grid[int(np.argmax(results))])  # ties: the weakest offsets

    predicted = np.empty(len(targets), dtype=int)
    for rows in fold_rows:
        others = np.setdiff1d(np.arange(len(targets)), rows)
        predicted[rows] = (scores[rows] + best(others) * shift).argmax(axis=1)
    return best(np.arange(len(targets))), predicted


def figures(targets, predicted, classes, fold_rows) -> dict:
    """Per-fold accuracy and macro-F1 (mean, std) and pooled per-label precision/recall/F1."""
    accuracy = [accuracy_score(targets[rows], predicted[rows]) for rows in fold_rows]
    macro_f1 = [_macro_f1(targets[rows], predicted[rows]) for rows in fold_rows]
    precision, recall, f1, support = precision_recall_fscore_support(
        targets, predicted, labels=range(len(classes)), zero_division=0
    )
    return {
        "folds": len(fold_rows),
        "accuracy_mean": round(float(np.mean(accuracy)), 4),
        "accuracy_std": round(float(np.std(accuracy)), 4),
        "macro_f1_mean": round(float(np.mean(macro_f1)), 4),
        "macro_f1_std": round(float(np.std(macro_f1)), 4),
        "fold_accuracy": [round(float(value), 4) for value in accuracy],
        "per_class": per_class_figures(classes, precision, recall, f1, support),
    }


def per_class_figures(names, precision, recall, f1, support) -> dict:
    """{label: {precision, recall, f1, support}} from scikit-learn's precision_recall_fscore_support."""
    return {
        str(name): {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                    "support": int(n)}
        for name, p, r, f, n in zip(names, precision, recall, f1, support)
    }


def add_label_offsets(pipeline, offsets: np.ndarray) -> None:
    """Adds per-label offsets to the fitted classifier's intercepts (argmax of scores + offsets)."""
    clf = pipeline.named_steps["clf"]
    if len(offsets) == 2:  # one score s for two labels: argmax(-s + o0, s + o1) is s + (o1 - o0) / 2 > 0
        clf.intercept_ = clf.intercept_ + (offsets[1] - offsets[0]) / 2
    else:
        clf.intercept_ = clf.intercept_ + offsets


def train(
    texts: list[str],
    labels: list[str],
    out_dir: str | Path,
    *,
    config: FeatureConfig | None = None,
    c: float = 1.0,
    class_weight: str | None = "balanced",
    min_df: int = 1,
    folds: int = 5,
    n_jobs: int = 2,
    prior_offsets: bool = True,
    data: dict | None = None,
    version: str | None = None,
    encoder: bool = False,
) -> dict:
    """Cross-validates, fits, writes the artifact + model card to out_dir and returns the card. With `encoder`, the
    sentence embedding is a feature block too, and a lexical twin is trained into out_dir/lexical (the fallback)."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    config = config or FeatureConfig(tf="sublinear")
    pipeline = build_pipeline(config, c=c, class_weight=class_weight, min_df=min_df, encoder=encoder)

    classes, targets = np.unique(np.asarray(labels), return_inverse=True)
    log_prior = np.log(np.bincount(targets) / len(targets))
    cv = raw_cv = None
    temperature, strength = 1.0, 0.0
    oof = out_of_fold_scores(pipeline, texts, labels, folds=folds, n_jobs=n_jobs) if folds >= 2 else None
    if oof is not None:
        scores, fold_rows = oof
        temperature = fit_temperature(scores, targets)
        raw_cv = figures(targets, scores.argmax(axis=1), classes, fold_rows)
        if prior_offsets:  # softmax log-probabilities minus a * log(prior): helps rare labels
            strength, predicted = choose_prior_strength(scores, targets, -temperature * log_prior, fold_rows)
            cv = figures(targets, predicted, classes, fold_rows)
        else:
            cv = raw_cv
    offsets = -strength * temperature * log_prior

    pipeline.fit(texts, labels)
    add_label_offsets(pipeline, offsets)
    sklearn_labels = pipeline.predict(texts)
    train_accuracy = accuracy_score(labels, sklearn_labels)
    out_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, out_dir / SKLEARN_COPY, compress=3)  # for models.evaluate only, never served
    stamp = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    weights_digest = hashlib.sha256(np.asarray(pipeline.named_steps["clf"].coef_).tobytes()).hexdigest()
    version = version or f"{out_dir.parent.name}-{out_dir.name}-{weights_digest[:10]}"
    manifest = export_runtime(pipeline, out_dir, temperature=temperature, version=version)
    parity, encoding_parity = runtime_parity(out_dir, texts, sklearn_labels, encoder)
    fallback = None
    if encoder:
        fallback = train(texts, labels, out_dir / LEXICAL_FALLBACK, config=config, c=c, class_weight=class_weight,
                         min_df=min_df, folds=folds, n_jobs=n_jobs, prior_offsets=prior_offsets, data=data,
                         version=f"{version}-lexical")

    card = {
        "model": "hashed word + character n-gram counts, TF-IDF, linear SVM (one-vs-rest), int16 weights"
                 + (", plus a frozen sentence encoder's embedding as a feature block (float32 weights)" if encoder else ""),
        **({"encoder": encoder_card(), "fallback": {
            "directory": LEXICAL_FALLBACK, "version": fallback["version"],
            "cross_validation": fallback["metrics"]["cross_validation"] and {
                k: v for k, v in fallback["metrics"]["cross_validation"].items() if k != "per_class"}}}
           if fallback else {}),
        "version": version,
        "trained_at": stamp.isoformat(),
        "data": {
            **(data or {}),
            "rows": len(texts),
            "label_counts": dict(sorted(Counter(labels).items())),
        },
        "features": config.to_dict(),
        "hyperparameters": {
            "C": c,
            "class_weight": class_weight,
            "loss": "squared_hinge",
            "penalty": "l2",
            "min_df": min_df,
            "prior_offsets": prior_offsets,
        },
        "metrics": {
            "cross_validation": cv,
            "cross_validation_without_label_offsets": raw_cv and {k: v for k, v in raw_cv.items() if k != "per_class"},
            "train_accuracy": round(float(train_accuracy), 4),
            "runtime_parity_on_training_rows": round(parity, 6),
            **({"runtime_parity_encoding_each_text": encoding_parity} if encoding_parity else {}),
            "softmax_temperature": round(temperature, 6),
            "label_offsets": {
                "strength": strength,
                "values": {str(label): round(float(value), 6) for label, value in zip(classes, offsets)},
            },
        },
        "artifact": {
            "format": manifest["format"],
            "rows": manifest["rows"],
            "labels": len(manifest["labels"]),
            "bytes": {name: (out_dir / name).stat().st_size for name in ["manifest.json", *manifest["files"].values()]},
            "sklearn_copy_bytes": (out_dir / SKLEARN_COPY).stat().st_size,
        },
        "environment": {"python": platform.python_version(), "scikit-learn": sklearn.__version__},
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    (out_dir / "model_card.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "MODEL_CARD.md").write_text(render_card(card), encoding="utf-8")
    return card


def encoder_card() -> dict:
    """What the model card says of the encoder: the package that ships the weights, its licence and size."""
    from importlib.metadata import distribution

    from chalicelib.triage.encoder import DIMENSIONS, PACKAGE

    dist = distribution(PACKAGE)
    size = sum(Path(dist.locate_file(f)).stat().st_size for f in dist.files or () if Path(dist.locate_file(f)).exists())
    return {"package": PACKAGE, "version": encoder_version(), "licence": dist.metadata.get("License") or "see package",
            "model": "Universal Sentence Encoder multilingual v3, frozen: 512-dimension L2-normalised embeddings",
            "dimensions": DIMENSIONS, "installed_bytes": size}


def render_card(card: dict) -> str:
    """The human-readable model card (model_card.json holds the same facts)."""
    data, metrics = card["data"], card["metrics"]
    cv, raw = metrics["cross_validation"], metrics["cross_validation_without_label_offsets"]
    lines = [
        f"# Model card: {card['version']}",
        "",
        f"- Model: {card['model']}",
        f"- Trained: {card['trained_at']} in {card['training_seconds']} s "
        f"(Python {card['environment']['python']}, scikit-learn {card['environment']['scikit-learn']})",
        f"- Features: {json.dumps(card['features'])}",
        *([f"- Encoder: {json.dumps(card['encoder'], ensure_ascii=False)}",
           f"- Fallback where the encoder cannot load: {json.dumps(card['fallback'], ensure_ascii=False)}"]
          if card.get("encoder") else []),
        f"- Hyperparameters: {json.dumps(card['hyperparameters'])}",
        "",
        "## Data",
        "",
        f"- Rows: {data['rows']}, labels: {len(data['label_counts'])}",
    ]
    sources = {key: value for key, value in data.items() if key not in ("rows", "label_counts")}
    lines += [f"- {key}: {json.dumps(value, ensure_ascii=False)}" for key, value in sources.items()]
    lines += ["", "## Metrics", ""]
    if cv:
        lines += [
            f"- {cv['folds']}-fold stratified cross-validation: accuracy {cv['accuracy_mean']:.4f} "
            f"± {cv['accuracy_std']:.4f}, macro-F1 {cv['macro_f1_mean']:.4f} ± {cv['macro_f1_std']:.4f}",
            f"- Without the label offsets: accuracy {raw['accuracy_mean']:.4f} ± {raw['accuracy_std']:.4f}, "
            f"macro-F1 {raw['macro_f1_mean']:.4f} ± {raw['macro_f1_std']:.4f}",
            f"- Label offsets (strength {metrics['label_offsets']['strength']}, chosen on out-of-fold scores; "
            "the figures above predict each fold with a strength chosen on the other folds): "
            f"{json.dumps(metrics['label_offsets']['values'], ensure_ascii=False)}",
            f"- Softmax temperature (fitted on out-of-fold scores): {metrics['softmax_temperature']}",
            f"- Training accuracy (not a quality figure): {metrics['train_accuracy']}",
            f"- Parity of the lean runtime with the scikit-learn pipeline on the training rows: "
            f"{metrics['runtime_parity_on_training_rows']}",
            "",
            "| label | precision | recall | F1 | support |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
            for label, m in cv["per_class"].items()
        ]
    else:
        lines.append("- No cross-validation (a label has fewer than 2 rows, or it was turned off).")
    lines += [
        "",
        "## Intended use and limits",
        "",
        "Routing suggestions for complaint triage, reviewed by staff; not a decision on its own. Trained on the data",
        "above only: text far from it (other domains, languages absent from the data) gets low-confidence guesses.",
        "",
    ]
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m models.train", description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, help="CSV with a text and a label column")
    parser.add_argument("--out", required=True, help="artifact directory to write")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="label")
    parser.add_argument("--C", type=float, default=1.0, dest="c", help="LinearSVC regularisation (default 1.0)")
    parser.add_argument("--class-weight", choices=["balanced", "none"], default="balanced")
    parser.add_argument("--min-df", type=int, default=1, help="keep hashed n-grams seen in at least N rows (default 1)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (0 to skip)")
    parser.add_argument(
        "--no-label-offsets", action="store_true", help="skip the prior-based label offsets tuned on out-of-fold scores"
    )
    parser.add_argument("--max-chars", type=int, default=1000, help="use only the first N characters (0: all)")
    parser.add_argument("--tf", choices=["sublinear", "raw"], default="sublinear",
                        help="term weights: round(16 * (1 + ln count)) (default) or raw counts")
    parser.add_argument("--version", default=None, help="version string stored in the manifest")
    parser.add_argument("--lexical", action="store_true",
                        help="without the sentence encoder (default: with it, as the intake worker serves, when it is "
                             "installed: its embedding is a feature block, and a lexical fallback is trained beside)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    texts, labels = load_csv(args.train, args.text_col, args.label_col)
    card = train(
        texts,
        labels,
        args.out,
        config=FeatureConfig(max_chars=args.max_chars, tf=args.tf),
        c=args.c,
        class_weight=None if args.class_weight == "none" else args.class_weight,
        min_df=args.min_df,
        folds=args.folds,
        prior_offsets=not args.no_label_offsets,
        data={"source": describe_file(args.train), "text_col": args.text_col, "label_col": args.label_col},
        version=args.version,
        encoder=not args.lexical and load_encoder() is not None,
    )
    cv = card["metrics"]["cross_validation"]
    summary = {"out": str(args.out), "version": card["version"], "rows": card["data"]["rows"],
               "training_seconds": card["training_seconds"], "artifact_bytes": card["artifact"]["bytes"]}
    if cv:
        keys = ("accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std")
        summary.update({key: round(cv[key], 4) for key in keys})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
