"""Triage cost per complaint: validity, spam, severity, sentiment and the similarity sketch, warm.

500 real CFPB complaint narratives of a typical size, 1 to 2 KB; prints per-stage medians and the p50 and p90
of the total. Target: total p50 at most 5 ms in pure Python.
"""
from __future__ import annotations

import csv
import statistics
import time
from pathlib import Path

import pytest

from chalicelib.triage.sentiment import analyze_sentiment
from chalicelib.triage.severity import assess_severity
from chalicelib.triage.similarity import sketch
from chalicelib.triage.spam import score_spam
from chalicelib.triage.validity import check_validity

CFPB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cfpb" / "complaints_train.csv"
pytestmark = pytest.mark.skipif(not CFPB.is_file(), reason="../shared/data/cfpb is not on this machine")
TARGET_P50_SECONDS = 0.005


STAGES = {
    "validity": check_validity,
    "spam": score_spam,
    "sentiment": analyze_sentiment,
    "severity": assess_severity,
    "similarity": sketch,  # fingerprint, MinHash signature and LSH band keys
}


def test_triage_total_p50_within_five_milliseconds():
    with CFPB.open(newline="", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle) if 1000 <= len(row["text"].encode()) <= 2000][:500]
    for text in texts:  # warm up: compiled patterns, caches
        for stage in STAGES.values():
            stage(text)
    per_stage = {name: [] for name in STAGES}
    totals = []
    for text in texts:
        total = 0.0
        for name, stage in STAGES.items():
            start = time.perf_counter()
            stage(text)
            elapsed = time.perf_counter() - start
            per_stage[name].append(elapsed)
            total += elapsed
        totals.append(total)
    totals.sort()
    p50, p90 = statistics.median(totals), totals[int(len(totals) * 0.9)]
    median_chars = statistics.median(len(text) for text in texts)
    print(f"\n{len(texts)} CFPB narratives of 1-2 KB, median {median_chars:.0f} characters; per-stage median:")
    for name, times in per_stage.items():
        print(f"  {name:11} {statistics.median(times) * 1e6:7.0f} us")
    print(f"  total p50 {p50 * 1e6:.0f} us, p90 {p90 * 1e6:.0f} us (target p50 <= {TARGET_P50_SECONDS * 1e6:.0f} us)")
    assert p50 <= TARGET_P50_SECONDS
