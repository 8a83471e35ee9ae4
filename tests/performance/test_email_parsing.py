"""E-mail intake cost: our parse_email + classify against plain email.message_from_bytes, over the whole corpus.

Alternated rounds in one process; prints the medians and the ratio. Target: a ratio of 10 or less (ours also
decodes charsets, converts HTML, strips quoted replies, measures attachments and reads winmail.dat).
"""
import email
import statistics
import time

import pytest

from chalicelib.mail import classify, parse_email
from tests.conftest import SHARED_DATA

CORPUS = SHARED_DATA / "emails"
ROUNDS = 5
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/data/emails is not on this machine")


def _seconds(work, messages) -> float:
    start = time.perf_counter()
    for raw in messages:
        work(raw)
    return time.perf_counter() - start


def test_parse_and_classify_cost_at_most_ten_times_the_stdlib_parse():
    messages = [p.read_bytes() for p in sorted(CORPUS.rglob("*")) if p.is_file() and p.name != "SOURCES.txt"]
    ours = lambda raw: classify(parse_email(raw))  # noqa: E731
    for raw in messages:  # warm up: lazy imports, compiled patterns
        ours(raw)
    baseline, mine = [], []
    for _ in range(ROUNDS):
        baseline.append(_seconds(email.message_from_bytes, messages))
        mine.append(_seconds(ours, messages))
    base_median, our_median = statistics.median(baseline), statistics.median(mine)
    ratio = our_median / base_median
    size_mb = sum(map(len, messages)) / 1e6
    print(f"\n{len(messages)} messages, {size_mb:.1f} MB, medians of {ROUNDS} alternated rounds: "
          f"email.message_from_bytes {base_median * 1000:.0f} ms, parse_email + classify {our_median * 1000:.0f} ms "
          f"({our_median / len(messages) * 1000:.1f} ms a message), ratio {ratio:.1f} (target <= 10)")
    assert ratio <= 10
