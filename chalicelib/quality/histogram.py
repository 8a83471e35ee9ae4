"""A fixed, log-spaced histogram of durations: its bucket counts add up across days, teams and shards, so a
median or p90 over any set of rollup buckets is the percentile of their summed counts.

Edges are 60 s x 2^(k/2) for k = 0..36 (1 minute to about 182 days, about 41 % apart):
    bucket 0        [0, 60 s)
    bucket k        [EDGES[k-1], EDGES[k])   for k = 1..36
    bucket 37       [EDGES[36], infinity)    (reported as its lower edge)
A percentile is interpolated linearly inside the bucket that holds its rank (rank = q x count, as Prometheus'
histogram_quantile does), so it is approximate: within the bucket, at worst about 41 % off, usually much less.
"""
from __future__ import annotations

import math
from typing import Mapping

BASE_SECONDS = 60.0
STEPS = 36
EDGES = tuple(BASE_SECONDS * 2 ** (k / 2) for k in range(STEPS + 1))
BUCKETS = STEPS + 2  # the under-a-minute bucket, 36 closed buckets, the overflow bucket


def bucket_of(seconds: float) -> int:
    """The bucket index of a duration (negative durations count as 0)."""
    if seconds < BASE_SECONDS:
        return 0
    index = 1 + math.floor(2 * math.log2(seconds / BASE_SECONDS) + 1e-9)  # 1e-9: an exact edge opens its bucket
    return min(index, BUCKETS - 1)


def bounds(index: int) -> tuple[float, float]:
    """[lower, upper) of a bucket; the overflow bucket's upper bound is infinity."""
    lower = 0.0 if index == 0 else EDGES[index - 1]
    upper = EDGES[index] if index <= STEPS else math.inf
    return lower, upper


def quantile(counts: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0 < q <= 1) of bucket index -> count; None when there is nothing counted."""
    total = sum(counts.values())
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for index in sorted(counts):
        count = counts[index]
        if count <= 0:
            continue
        if seen + count >= rank:
            lower, upper = bounds(index)
            if math.isinf(upper):
                return lower
            return lower + (upper - lower) * (rank - seen) / count
        seen += count
    return bounds(max(counts))[0]  # rounding left the rank past the last count
