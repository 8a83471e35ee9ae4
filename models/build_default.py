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
    cv = card["metrics"]["cross_validation"]
    print(json.dumps({"out": str(args.out), "version": card["version"], "rows": len(texts),
                      "cv_accuracy": cv["accuracy_mean"], "cv_macro_f1": cv["macro_f1_mean"],
                      "artifact_bytes": card["artifact"]["bytes"], "training_seconds": card["training_seconds"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
