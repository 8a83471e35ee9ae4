"""Build the default category model that ships in models/artifacts/category/v1/.

    python -m models.build_default [--data-dir ../shared/data] [--out models/artifacts/category/v1]
    python -m models.build_default --csv-out base.csv   # the same training set as CSV, for the retraining function

The product's default taxonomy has no labelled data of its own, so the training set is derived in memory:
- banking77 `train.csv` (real customer queries, CC-BY-4.0, PolyAI), each intent mapped to a category by
  `default_taxonomy/banking77_to_category.json` (our own judgement);
- `default_taxonomy/seed_examples.csv`: sentences the team wrote, in English and Chinese, for what banking77 does
  not say: physical products (a heater that caught fire, a leaking washing machine), parcels, broadband and apps,
  `service_attitude`, and every category in Chinese.
It then runs the same training code as `python -m models.train`, on the frozen sentence encoder (which reads
Chinese as well as English), with a lexical twin as the fallback. The artifact is produced by this command only.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from models.data import describe_file, load_csv, training_csv

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TAXONOMY = HERE / "default_taxonomy"
MAPPING = TAXONOMY / "banking77_to_category.json"
SEEDS = TAXONOMY / "seed_examples.csv"
DEFAULT_OUT = HERE / "artifacts" / "category" / "v1"
DEFAULT_DATA = ROOT.parent / "shared" / "data"
VERSION = "category-v1"


def training_rows(data_dir: Path) -> tuple[list[str], list[str]]:
    """(texts, categories): banking77 mapped to the default taxonomy, plus the seed examples."""
    mapping = json.loads(MAPPING.read_text(encoding="utf-8"))["mapping"]
    texts, intents = load_csv(data_dir / "banking77" / "train.csv", "text", "category")
    unmapped = sorted(set(intents) - set(mapping))
    if unmapped:
        raise SystemExit(f"{MAPPING.name} has no category for {unmapped}")
    seed_texts, seed_labels = load_csv(SEEDS)
    return texts + seed_texts, [mapping[intent] for intent in intents] + seed_labels


# Real complaints we did not write and did not train on: CFPB narratives (public domain) whose CFPB issue says
# plainly which of our categories they are. Only billing and service attitude can be had this way; no real data for
# product, delivery or technical complaints was available here (no internet; ../shared/data has none).
CFPB_ISSUES = {
    "Trouble during payment process": "billing", "Charged fees or interest you didn't expect": "billing",
    "Problem when making payments": "billing", "Attempts to collect debt not owed": "billing",
    "Communication tactics": "service_attitude", "Problem with customer service": "service_attitude",
}


def held_out_real(data_dir: Path) -> tuple[list[str], list[str]]:
    import csv
    import sys

    path = data_dir / "cfpb" / "complaints_full_schema_sample.csv"
    if not path.exists():
        return [], []
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(row["Consumer complaint narrative"], CFPB_ISSUES[row["Issue"]]) for row in csv.DictReader(handle)
                if row["Issue"] in CFPB_ISSUES and row["Consumer complaint narrative"].strip()]
    return [text for text, _ in rows], [label for _, label in rows]


def add_held_out_real(card: dict, out: Path, data_dir: Path) -> dict:
    """The model card's figures on held_out_real (the served model, encoder and all), in both card files."""
    from collections import Counter

    from chalicelib.triage.text_model import load_for_serving

    texts, labels = held_out_real(data_dir)
    if not texts:
        return card
    model = load_for_serving(out)
    predicted = [model.predict(text).label for text in texts]
    by_label = {label: round(sum(p == label for p, t in zip(predicted, labels) if t == label) / count, 4)
                for label, count in Counter(labels).items()}
    card["held_out_real"] = {
        "source": "CFPB Consumer Complaint Database (public domain): shared/data/cfpb/complaints_full_schema_sample.csv",
        "mapping": CFPB_ISSUES, "rows": len(texts), "label_counts": dict(Counter(labels)),
        "accuracy": round(sum(p == t for p, t in zip(predicted, labels)) / len(texts), 4), "recall": by_label,
        "predicted": dict(Counter(predicted)),
        "not_covered": "product, delivery and technical: no real complaint texts could be had here",
    }
    (out / "model_card.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    with (out / "MODEL_CARD.md").open("a", encoding="utf-8") as md:
        real = card["held_out_real"]
        md.write(f"## Held-out real complaints\n\n- {real['source']}, by CFPB issue: {json.dumps(real['mapping'])}\n"
                 f"- {real['rows']} narratives {json.dumps(real['label_counts'])}: accuracy {real['accuracy']}, "
                 f"recall {json.dumps(real['recall'])}, predicted {json.dumps(real['predicted'])}\n"
                 f"- Not covered: {real['not_covered']}\n")
    return card


def _relative(path: Path) -> str:
    """The path from the repository (or from the folder beside it that holds shared/), else as given."""
    for base in (ROOT, ROOT.parent):
        try:
            return str(path.resolve().relative_to(base))
        except ValueError:
            continue
    return str(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.build_default", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="folder holding banking77/train.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--csv-out", type=Path, help="write the derived training set as CSV (text,label) and stop: "
                                                     "the retraining function's base data set")
    args = parser.parse_args(argv)
    banking77 = args.data_dir / "banking77" / "train.csv"
    if not banking77.exists():
        raise SystemExit(f"{banking77} not found: pass --data-dir")

    texts, labels = training_rows(args.data_dir)
    if args.csv_out:
        args.csv_out.write_text(training_csv(texts, labels), encoding="utf-8")
        print(json.dumps({"csv": str(args.csv_out), "rows": len(texts)}))
        return 0
    sources = {
        "banking77": {**describe_file(banking77), "path": _relative(banking77), "licence": "CC-BY-4.0 (PolyAI)"},
        "mapping": {**describe_file(MAPPING), "path": _relative(MAPPING)},
        "seed_examples": {**describe_file(SEEDS), "path": _relative(SEEDS), "licence": "written by the team"},
    }
    from models.train import train  # scikit-learn

    card = train(texts, labels, args.out, data={"derived_from": sources}, version=VERSION, encoder=True)
    card = add_held_out_real(card, args.out, args.data_dir)
    cv = card["metrics"]["cross_validation"]
    print(json.dumps({"out": str(args.out), "version": card["version"], "rows": len(texts),
                      "cv_accuracy": cv["accuracy_mean"], "cv_macro_f1": cv["macro_f1_mean"],
                      "artifact_bytes": card["artifact"]["bytes"], "training_seconds": card["training_seconds"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
