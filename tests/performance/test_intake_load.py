"""Load benchmark on the local stack: COMPLAINTS concurrent web complaints, then FOLLOW_UPS concurrent SMS follow-ups
(Twilio webhook) to their own complaints. Every complaint is stored once and acknowledged once, every follow-up is
appended once; prints the throughput and the POST-to-stored latency (p50, p95)."""
from __future__ import annotations

import collections
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from infra.mint_token import local_keys
from infra.stack_process import post_twilio_sms, running_stack, submit

COMPLAINTS, FOLLOW_UPS, WORKERS = 40, 20, 10


def stored_at(status_url: str, timeout: float = 90) -> float:
    """When the complaint's status page first shows it stored (its received event, which issues the acknowledgement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        history = requests.get(status_url, headers={"Accept": "application/json"}, timeout=10).json().get("history")
        if any(event["type"] == "received" for event in history or []):
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError(f"not stored within {timeout} s: {status_url}")


def test_concurrent_complaints_and_follow_ups_are_each_stored_and_acknowledged_once(tmp_path):
    with running_stack(tmp_path / "local") as stack:
        api, endpoints = stack.endpoints["api_url"], stack.endpoints
        token = local_keys(stack.state_dir)["twilio_auth_token"]

        def complain(n: int) -> tuple[dict, float]:
            started = time.monotonic()
            accepted = submit(api, email=None, phone=f"+1415555{n:04d}", subject=f"Load {n}: charged twice",
                              description=f"Order {8000 + n} was charged twice on my card this week, please refund.")
            return accepted, stored_at(accepted["status_url"]) - started

        began = time.monotonic()
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(complain, range(COMPLAINTS)))
        intake_seconds = time.monotonic() - began

        def follow_up(n: int) -> int:
            reference = results[n][0]["reference"]
            fields = {"MessageSid": f"SMload{n:04d}", "From": f"+1415555{n:04d}", "To": "+12028831111",
                      "Body": f"{reference} any news on the refund for order {8000 + n}?", "NumMedia": "0"}
            return post_twilio_sms(endpoints, token, fields).status_code

        with ThreadPoolExecutor(WORKERS) as pool:
            assert set(pool.map(follow_up, range(FOLLOW_UPS))) == {200}

        agent = {"Authorization": f"Bearer {endpoints['agent_token']}"}

        def appended(n: int) -> int:
            reference = results[n][0]["reference"]
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                history = requests.get(f"{api}/staff/complaints/{reference}", headers=agent, timeout=10).json()["history"]
                count = sum(e["type"] == "customer_message" for e in history)
                if count:
                    return count
                time.sleep(0.1)
            return 0

        with ThreadPoolExecutor(WORKERS) as pool:
            assert list(pool.map(appended, range(FOLLOW_UPS))) == [1] * FOLLOW_UPS  # each appended once

        references = [accepted["reference"] for accepted, _ in results]
        assert len(set(references)) == COMPLAINTS
        outbox = [json.loads(line) for line in Path(endpoints["outbox_file"]).read_text().splitlines()]
        acks = collections.Counter(m["reference"] for m in outbox if m["kind"] == "acknowledgement")
        assert all(acks[r] == 1 for r in references), acks  # each acknowledged once

    latencies = sorted(seconds for _, seconds in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"\nload: {COMPLAINTS} concurrent complaints ({WORKERS} clients) stored and acknowledged in "
          f"{intake_seconds:.1f} s ({COMPLAINTS / intake_seconds:.1f}/s); POST-to-stored p50 "
          f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; {FOLLOW_UPS} SMS follow-ups "
          f"appended once each")
