"""Fault injection on every AWS call of the intake, reply, timer and alert paths (moto, fixed seed).

Each call may be throttled, lose a transaction to a conflict, or commit and then fail on the way back (the
caller sees a connection error for a write that happened). Each unit of work is retried as its trigger would
retry it (the queue redelivers, the agent's client resends with the same expected_version), and then:
- each message is stored once, never as "unprocessable" (an outage is not content);
- each customer message (acknowledgement, reply) is sent once;
- each alert is published at least once and never twice to the same key.
SNS Publish is throttled but not "committed then failed": a publish whose answer is lost is the one duplicate a
producer cannot prevent, which is why alerts carry their `dedup_key` attribute for subscribers. Likewise the write
that marks a message sent is not failed (see _confirms_a_send)."""
from __future__ import annotations

import collections
import json
import random
from datetime import timedelta

import botocore.client
import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.intake_codec import encode
from chalicelib.domain.errors import ConcurrentModification, NotDelivered
from chalicelib.domain.lifecycle import Actor, Command
from chalicelib.domain.model import Channel, Sender
from tests.fakes import FixedClock, make_message
from tests.integration.conftest import published_alerts

SEEDS, RATE, MAX_TRIES = (1205, 7, 42), 0.08, 80
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "SendMessage", "PutObject",
          "CreateSchedule", "UpdateSchedule", "DeleteSchedule", "BatchWriteItem"}
AGENT = Actor("agent-1", "agent")


class FakeContext:
    """A Lambda context whose invocation is over by the next retry (in-progress idempotency records expire)."""
    function_name, memory_limit_in_mb, aws_request_id = "worker", 256, "req"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:worker"

    def get_remaining_time_in_millis(self):
        return 1


class Faults:
    def __init__(self, seed: int, rate: float):
        self.seed, self.rng, self.rate, self.active = seed, random.Random(seed), rate, False
        self.injected: collections.Counter = collections.Counter()
        self.errors: collections.Counter = collections.Counter()  # what the retried work raised

    def install(self, monkeypatch):
        original = botocore.client.BaseClient._make_api_call
        faults = self

        def call(client, operation, params):
            if not faults.active or faults.rng.random() >= faults.rate or _confirms_a_send(operation, params):
                return original(client, operation, params)
            kind = faults.rng.choice(["throttle", "conflict", "committed"])
            if kind == "conflict" and operation == "TransactWriteItems":
                faults.injected["conflict"] += 1
                raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                                   "CancellationReasons": [{"Code": "TransactionConflict"}],
                                   "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)
            if kind == "committed" and operation in WRITES:
                faults.injected["committed_then_failed"] += 1
                original(client, operation, params)
                raise ConnectionError(f"connection reset after {operation} was committed")
            faults.injected["throttle"] += 1
            code = "ThrottlingException" if operation == "Publish" else "ProvisionedThroughputExceededException"
            raise ClientError({"Error": {"Code": code, "Message": "slow down"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)


def _confirms_a_send(operation: str, params: dict) -> bool:
    """The write that records a message as sent, right after the send. Failing it is a crash between sending and
    recording: no provider takes an idempotency key, so the message is sent again at the next try (at-least-once;
    the window is one DynamoDB write long). Not injected here: this suite checks everything around it."""
    return operation == "UpdateItem" and params.get("TableName") == "test-idempotency"


@pytest.fixture(params=SEEDS)
def world(aws, monkeypatch, request):
    from chalicelib.adapters.idempotency import register_invocation
    from chalicelib.wiring import services

    clock = FixedClock()
    services.override(clock=clock)
    register_invocation(FakeContext())  # the API function's and the timer worker's sends too
    faults = Faults(request.param, RATE)
    faults.install(monkeypatch)
    yield services, clock, faults, aws
    register_invocation(None)


def retried(work, faults, tolerated=(Exception,)):
    """Runs `work` until it succeeds, as its trigger would retry it; returns (result, attempts)."""
    for attempt in range(1, MAX_TRIES + 1):
        try:
            return work(), attempt
        except tolerated as error:
            faults.injected["retries"] += 1
            faults.errors[type(error).__name__ + ": " + str(error)[:120]] += 1
            last = error
    raise AssertionError(f"still failing after {MAX_TRIES} tries: {last!r}; errors: {faults.errors.most_common(3)}")


def outbox(aws) -> list[dict]:
    return [json.loads(line) for line in aws["outbox"].read_text().splitlines()] if aws["outbox"].exists() else []


def messages():
    sent = []
    for i in range(12):
        channel = [Channel.WEB, Channel.EMAIL, Channel.SMS][i % 3]
        sender = Sender(phone=f"+1415555{i:04d}") if channel == Channel.SMS else \
            Sender(name=f"Customer {i}", email=f"customer{i}@example.org")
        sent.append(make_message(f"Complaint {i}: my parcel 44{i:02d} never arrived and the tracking is wrong.",
                                 subject=f"Parcel 44{i:02d} missing", channel=channel, sender=sender))
    return sent


def test_intake_replies_and_alerts_under_faults_store_send_and_alert_exactly_once(world):
    from chalicelib.workers.intake import handle_intake_batch

    services, clock, faults, aws = world
    intake = messages()
    faults.active = True
    for message in intake:  # the queue redelivers a failed record
        event = {"Records": [{"messageId": f"sqs-{message.channel_message_id}", "receiptHandle": "r",
                              "body": encode(message), "attributes": {"ApproximateReceiveCount": "1"},
                              "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                              "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:test-intake",
                              "awsRegion": "us-east-1"}]}

        def deliver():
            response = handle_intake_batch(event, FakeContext())
            assert response["batchItemFailures"] == []
        retried(deliver, faults)
    faults.active = False

    references = [services.repository.reference_for_message(m.dedup_key) for m in intake]
    assert None not in references and len(set(references)) == len(intake)  # each stored once
    stored = [services.repository.get(r) for r in references]
    assert not [(c.reference, c.screening_reason) for c in stored if (c.screening_reason or "").startswith("unprocessable")]
    acks = collections.Counter(m["reference"] for m in outbox(aws) if m["kind"] == "acknowledgement")
    assert acks == collections.Counter(references)  # each acknowledged once

    versions = {reference: services.repository.get(reference).version for reference in references}  # as shown
    faults.active = True
    for reference in references:  # the agent's client resends the same request with the same expected_version
        text, version = f"We are tracing the parcel for {reference}.", versions[reference]

        def reply():
            try:
                services.complaint_service.perform(reference, Command("respond", message=text), AGENT,
                                                   expected_version=version)
            except ConcurrentModification:  # moved on since: was it our reply that was recorded?
                if not any(e.type == "respond" and e.message == text for e in services.repository.history(reference)):
                    raise
        retried(reply, faults, (ClientError, ConnectionError, NotDelivered, ConcurrentModification, Exception))
    faults.active = False

    for reference in references:
        history = services.repository.history(reference)
        assert [e.type for e in history].count("respond") == 1, reference
    replies = collections.Counter(m["reference"] for m in outbox(aws) if m["kind"] == "respond")
    assert replies == collections.Counter(references)  # each reply sent once

    # the SLA timers fire for every complaint once its first response is late: alerts under faults
    for reference in references[:6]:
        retried(lambda: services.complaint_service.perform(
            reference, Command("change_priority", priority="P1" if services.repository.get(reference).priority
                               != "P1" else "P2"), AGENT), faults)
    late = clock.advance(days=10)
    services.sla_monitor.windows = None  # no storm limit here: every alert goes out under its own key
    faults.active = True
    for reference in references:
        retried(lambda: services.sla_monitor.check(reference, late), faults)
    faults.active = False
    published = collections.Counter()
    while batch := published_alerts(aws):
        for envelope in batch:
            published[envelope["MessageAttributes"]["dedup_key"]["Value"]] += 1
    marked = {key for r in references for key in services.repository.get(r).alerts_sent}
    print(f"\nfault injection (seed {faults.seed}, rate {RATE}): {dict(faults.injected)}; {len(references)} complaints, "
          f"{sum(acks.values())} acknowledgements, {sum(replies.values())} replies, {len(published)} alert keys")
    assert marked and set(published) >= marked  # every alert marked sent was published
    assert max(published.values()) == 1  # and none twice
    assert faults.injected["committed_then_failed"] > 0 and faults.injected["throttle"] > 0
