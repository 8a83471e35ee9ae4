"""Reading and writing the labelled CSV files training uses (stdlib only: no scikit-learn import)."""
from __future__ import annotations

import csv
import hashlib
import io
import sys
from pathlib import Path


def load_csv(path: str | Path, text_col: str = "text", label_col: str = "label") -> tuple[list[str], list[str]]:
    """(texts, labels) of the rows whose text and label are both non-empty."""
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {text_col, label_col} - set(reader.fieldnames or ())
        if missing:
            raise SystemExit(f"{path}: no column(s) {sorted(missing)}; header is {reader.fieldnames}")
        rows = [(row[text_col], row[label_col].strip()) for row in reader]
    rows = [(text, label) for text, label in rows if text and text.strip() and label]
    return [text for text, _ in rows], [label for _, label in rows]


def describe_file(path: str | Path) -> dict:
    data = Path(path).read_bytes()
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def training_csv(texts: list[str], labels: list[str]) -> str:
    """A CSV with the columns text,label, as `load_csv` reads it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "label"])
    writer.writerows(zip(texts, labels))
    return out.getvalue()
