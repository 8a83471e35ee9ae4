"""Backtest the daily volume forecast on a CSV of complaints (one row per complaint).

    python -m chalicelib.quality.backtest --csv complaints.csv [--date-col "Date received"] [--category-col Product]
        [--horizon 7] [--folds 8] [--since 2018-12-01] [--until 2019-10-31]

Prints one JSON object: for the whole series and for each category, the rolling-origin MASE against seasonal
naive (period 7) with its MAE figures (forecast.backtest). Every series spans the same days (first to last date
of the file, or --since/--until); a day without complaints counts 0. mase is null when seasonal naive made no
error at all (a category with no complaints in the evaluated weeks).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Sequence

from .forecast import backtest, daily_counts

DATE_COLUMNS = ("Date received", "date_received", "received_at", "created_at", "date")
CATEGORY_COLUMNS = ("Product", "category", "Category", "product")
_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d.%m.%Y")


def parse_day(text: str) -> date | None:
    """A calendar day from ISO dates or datetimes, 2018/12/10, 12/10/2018 (US) or 10.12.2018; None if none fits."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    head = text.split("T")[0].split(" ")[0]
    for pattern in _FORMATS:
        try:
            return datetime.strptime(head, pattern).date()
        except ValueError:
            continue
    return None


def read_days(path: Path, date_col: str | None = None,
              category_col: str | None = None) -> tuple[list[tuple[date, str | None]], dict]:
    """(day, category) per row that has a readable date, and what was read (columns, skipped rows)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        date_col = date_col or next((c for c in DATE_COLUMNS if c in columns), None)
        if date_col not in columns:
            raise SystemExit(f"no date column {date_col!r} in {path} (columns: {', '.join(columns)})")
        if category_col is None:
            category_col = next((c for c in CATEGORY_COLUMNS if c in columns), None)
        elif category_col not in columns:
            raise SystemExit(f"no category column {category_col!r} in {path}")
        rows, skipped = [], 0
        for row in reader:
            day = parse_day(row.get(date_col) or "")
            if day is None:
                skipped += 1
                continue
            category = ((row.get(category_col) or "").strip() or "(none)") if category_col else None
            rows.append((day, category))
    return rows, {"date_col": date_col, "category_col": category_col, "skipped_rows": skipped}


def daily_series(rows: Sequence[tuple[date, str | None]], since: date | None = None,
                 until: date | None = None) -> tuple[date, date, list[int], dict[str, list[int]]]:
    """(first day, last day, counts of all rows, {category: counts}), every series over the same days."""
    kept = [(d, c) for d, c in rows if (since is None or d >= since) and (until is None or d <= until)]
    if not kept:
        raise SystemExit("no rows with a date in the chosen span")
    start, end = since or min(d for d, _ in kept), until or max(d for d, _ in kept)
    by_category: dict[str, list[date]] = defaultdict(list)
    for day, category in kept:
        if category is not None:
            by_category[category].append(day)
    whole = daily_counts((d for d, _ in kept), start, end)[1]
    return start, end, whole, {c: daily_counts(by_category[c], start, end)[1] for c in sorted(by_category)}


def evaluate(counts: Sequence[int], horizon: int = 7, folds: int = 8) -> dict:
    """forecast.backtest of one daily series, with its total, floats rounded for printing (mase null and an
    error when the series is too short)."""
    try:
        result = {**backtest(counts, horizon=horizon, folds=folds), "total": sum(counts)}
    except ValueError as error:
        return {"mase": None, "error": str(error), "total": sum(counts)}
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in result.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.quality.backtest", description=__doc__.split("\n")[0])
    parser.add_argument("--csv", required=True, type=Path)
    parser.add_argument("--date-col")
    parser.add_argument("--category-col")
    parser.add_argument("--horizon", type=int, default=7)
    parser.add_argument("--folds", type=int, default=8)
    parser.add_argument("--since", type=date.fromisoformat)
    parser.add_argument("--until", type=date.fromisoformat)
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        parser.error(f"no such file: {args.csv}")
    rows, read = read_days(args.csv, args.date_col, args.category_col)
    start, end, whole, by_category = daily_series(rows, args.since, args.until)
    report = {
        "csv": str(args.csv), **read, "start": start.isoformat(), "end": end.isoformat(),
        "days": (end - start).days + 1, "rows": sum(whole), "horizon": args.horizon,
        "all": evaluate(whole, args.horizon, args.folds),
        "by_category": {name: evaluate(counts, args.horizon, args.folds) for name, counts in by_category.items()},
    }
    json.dump(report, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
