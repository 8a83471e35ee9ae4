"""The volume forecast backtested on real complaint dates: the CFPB sample with its full schema (read in place)."""
import json
import math
from pathlib import Path

import pytest

from chalicelib.quality.backtest import daily_series, evaluate, main, read_days

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CFPB = DATA / "cfpb" / "complaints_full_schema_sample.csv"

pytestmark = pytest.mark.skipif(not CFPB.is_file(), reason=f"real data not available ({CFPB} is absent)")


def test_mase_on_the_cfpb_daily_series_is_finite():
    rows, read = read_days(CFPB)
    assert read["date_col"] == "Date received" and read["category_col"] == "Product"
    assert read["skipped_rows"] == 0 and len(rows) > 500
    start, end, counts, by_category = daily_series(rows)
    whole = evaluate(counts, horizon=7, folds=8)
    print(f"\nCFPB {start}..{end}, {whole['total']} complaints over {len(counts)} days: "
          f"MASE {whole['mase']:.3f} (MAE {whole['mae']:.3f} vs seasonal naive {whole['naive_mae']:.3f}, "
          f"n={whole['n']})")
    totals = 0
    for name, category_counts in by_category.items():
        result = evaluate(category_counts, horizon=7, folds=8)
        totals += result["total"]
        print(f"  {name[:60]:60} total {result['total']:4}  MASE {result['mase']}")
    assert whole["n"] == 56 and whole["model"] == "holt_winters"
    assert whole["mase"] is not None and math.isfinite(whole["mase"])
    assert totals == whole["total"] == len(rows)


def test_cli_prints_one_json_object(capsys):
    assert main(["--csv", str(CFPB), "--since", "2018-12-01", "--until", "2019-10-31"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["start"], report["end"], report["days"]) == ("2018-12-01", "2019-10-31", 335)
    assert math.isfinite(report["all"]["mase"]) and report["by_category"]
    print(f"\nCFPB Dec 2018 - Oct 2019 (the dense span): MASE {report['all']['mase']:.3f}")
