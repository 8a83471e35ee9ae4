"""Benchmark: from POST /complaints to the acknowledgement in the customer's status history, on the local stack
(chalice local -> SQS on moto -> the event runner -> the intake worker -> DynamoDB on moto). Target: p50 <= 2 s."""
from __future__ import annotations

import statistics
import time

from infra.stack_process import running_stack, submit, wait_for_acknowledgement

ROUNDS = 10


def test_post_to_acknowledgement_latency(tmp_path):
    with running_stack(tmp_path / "local") as stack:
        api = stack.endpoints["api_url"]
        wait_for_acknowledgement(submit(api)["status_url"], stack.endpoints["outbox_file"])  # warm-up: first imports and connections
        seconds = []
        for i in range(ROUNDS):
            started = time.monotonic()
            # one customer each: acknowledgements are capped per sender and day, and a resend is a duplicate
            probe = submit(api, subject=f"Latency probe {i}", email=f"probe-{i}@example.com",
                           description=f"Probe {i}: the order {7100 + i} was charged {i + 2} times this week.")
            wait_for_acknowledgement(probe["status_url"], stack.endpoints["outbox_file"])
            seconds.append(time.monotonic() - started)
    p50, worst = statistics.median(seconds), max(seconds)
    print(f"\nintake latency over {ROUNDS} complaints (POST -> acknowledgement in history): "
          f"p50 {p50 * 1000:.0f} ms, max {worst * 1000:.0f} ms; stack startup {stack.startup_seconds:.1f} s")
    assert p50 <= 2.0
