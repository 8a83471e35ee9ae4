"""infra.event_runner against moto, with a tiny Chalice app of its own (independent of the real app)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from chalice import Chalice
from moto import mock_aws

from infra.event_runner import EventRunner, cron_matches, rate_seconds

ROLE_ARN = "arn:aws:iam::123456789012:role/scheduler"
T0 = datetime(2030, 1, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("sqs"), boto3.client("sns"), boto3.client("scheduler")


@pytest.fixture
def fake_app():
    app = Chalice(app_name="fake")
    app.calls = {"orders": [], "tick": [], "nightly": [], "alert": []}

    @app.on_sqs_message(queue="fake-orders", batch_size=10)
    def orders(event):
        records = [r.to_dict() for r in event]
        app.calls["orders"].append(records)
        if any(r["body"] == "explode" for r in records):
            raise RuntimeError("boom")
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] == "poison"]}

    @app.schedule("rate(1 minute)")
    def tick(event):
        app.calls["tick"].append(event.to_dict())

    @app.schedule("cron(30 2 * * ? *)")
    def nightly(event):
        app.calls["nightly"].append(event.to_dict())

    @app.on_sns_message(topic="fake-alerts")
    def alert(event):
        app.calls["alert"].append(event.to_dict())
        if event.message == "explode":
            raise RuntimeError("cannot handle this one")

    return app


def _queue(sqs, name, **attributes):
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _bodies(sqs, url):
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return sorted(m["Body"] for m in messages)


@pytest.fixture
def stack(aws, fake_app, tmp_path):
    """The fake app wired to a `test-orders` queue (maxReceiveCount 2) and a `test-alerts` topic."""
    sqs, sns, _ = aws
    dlq_url, dlq_arn = _queue(sqs, "test-orders-dlq")
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}
    url, _ = _queue(sqs, "test-orders", RedrivePolicy=json.dumps(redrive))
    topic = sns.create_topic(Name="test-alerts")["TopicArn"]
    failures_url, _ = _queue(sqs, "test-inbound-dlq")
    clock = Clock()
    runner = EventRunner(
        fake_app, {"fake-orders": url}, {"fake-alerts": topic}, topic_outboxes={topic: str(tmp_path / "alerts.jsonl")},
        retry_delay_seconds=0, clock=clock, scheduler_interval=0, log=lambda line: None,
        sns_failure_queue=failures_url, async_retries=2,
    ).start()
    return {"runner": runner, "clock": clock, "url": url, "dlq_url": dlq_url, "topic": topic,
            "outbox": tmp_path / "alerts.jsonl", "failures_url": failures_url}


def test_a_reported_failure_stays_on_the_queue_and_the_rest_are_deleted(aws, fake_app, stack):
    sqs = aws[0]
    for body in ("ok-1", "poison", "ok-2"):
        sqs.send_message(QueueUrl=stack["url"], MessageBody=body,
                         MessageAttributes={"channel": {"DataType": "String", "StringValue": "web"}})

    assert stack["runner"].run_once() == 3

    (records,) = fake_app.calls["orders"]
    assert sorted(r["body"] for r in records) == ["ok-1", "ok-2", "poison"]
    record = records[0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":test-orders")
    assert record["attributes"]["ApproximateReceiveCount"] == "1" and "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"]["channel"] == {
        "stringValue": "web", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    assert _bodies(sqs, stack["url"]) == ["poison"]


def test_an_exception_fails_the_whole_batch(aws, fake_app, stack):
    sqs = aws[0]
    for body in ("ok", "explode"):
        sqs.send_message(QueueUrl=stack["url"], MessageBody=body)
    stack["runner"].run_once()
    assert _bodies(sqs, stack["url"]) == ["explode", "ok"]


def test_after_max_receive_count_failures_the_message_is_in_the_dlq(aws, fake_app, stack):
    sqs = aws[0]
    sqs.send_message(QueueUrl=stack["url"], MessageBody="poison")
    for _ in range(4):
        stack["runner"].run_once()
    assert len(fake_app.calls["orders"]) == 2  # maxReceiveCount = 2 deliveries, then redriven
    assert _bodies(sqs, stack["url"]) == []
    assert _bodies(sqs, stack["dlq_url"]) == ["poison"]


def test_a_one_time_schedule_fires_its_sqs_target_once_when_due_and_is_deleted(aws, stack):
    sqs, _, scheduler = aws
    target_url, target_arn = _queue(sqs, "sla-timers")
    due = datetime.fromtimestamp(T0, timezone.utc) + timedelta(minutes=5)
    for name, after in (("deleted-after", "DELETE"), ("kept-after", "NONE")):
        scheduler.create_schedule(
            Name=name, ScheduleExpression=f"at({due:%Y-%m-%dT%H:%M:%S})", ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion=after,
            Target={"Arn": target_arn, "RoleArn": ROLE_ARN, "Input": f'{{"t": "{name}"}}'},
        )
    runner, clock = stack["runner"], stack["clock"]

    runner.run_once()
    assert _bodies(sqs, target_url) == []

    clock.now = due.timestamp() + 1
    runner.run_once()
    runner.run_once()
    assert _bodies(sqs, target_url) == ['{"t": "deleted-after"}', '{"t": "kept-after"}']
    assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == ["kept-after"]


def test_a_rate_schedule_fires_each_period(fake_app, stack):
    runner, clock = stack["runner"], stack["clock"]
    runner.run_once()
    assert fake_app.calls["tick"] == []
    clock.now += 61
    runner.run_once()
    runner.run_once()
    (event,) = fake_app.calls["tick"]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"][0].endswith(":rule/fake-local-tick")
    clock.now += 60
    runner.run_once()
    assert len(fake_app.calls["tick"]) == 2


def test_a_cron_schedule_fires_once_in_its_minute(fake_app, stack):
    runner, clock = stack["runner"], stack["clock"]
    runner.run_once()
    clock.now = datetime(2030, 1, 2, 2, 30, 5, tzinfo=timezone.utc).timestamp()
    runner.run_once()
    clock.now += 30
    runner.run_once()
    assert len(fake_app.calls["nightly"]) == 1


def test_sns_messages_reach_the_handler_and_the_topic_outbox(aws, fake_app, stack):
    sns = aws[1]
    sns.publish(TopicArn=stack["topic"], Message='{"reference": "C-1"}', Subject="Breach",
                MessageAttributes={"severity": {"DataType": "String", "StringValue": "high"}})
    stack["runner"].run_once()
    (event,) = fake_app.calls["alert"]
    sns_record = event["Records"][0]["Sns"]
    assert sns_record["Message"] == '{"reference": "C-1"}' and sns_record["Subject"] == "Breach"
    assert sns_record["MessageAttributes"]["severity"]["Value"] == "high"
    (line,) = stack["outbox"].read_text().splitlines()
    alert = json.loads(line)
    assert alert["message"] == {"reference": "C-1"} and alert["attributes"] == {"severity": "high"}


def test_an_sns_event_that_keeps_failing_goes_to_the_on_failure_destination_after_two_retries(aws, fake_app, stack):
    sqs, sns, _ = aws
    sns.publish(TopicArn=stack["topic"], Message="explode")
    for _ in range(5):
        stack["runner"].run_once()
    assert len(fake_app.calls["alert"]) == 3  # the first try and Lambda's two retries, then no more
    (record,) = [json.loads(b) for b in _bodies(sqs, stack["failures_url"])]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"]["Records"][0]["Sns"]["Message"] == "explode"
    assert record["responsePayload"] == {"errorType": "RuntimeError", "errorMessage": "cannot handle this one"}


def test_schedule_expressions():
    assert rate_seconds("rate(1 minute)") == 60 and rate_seconds("rate(2 hours)") == 7200
    monday_0930 = datetime(2030, 1, 7, 9, 30, tzinfo=timezone.utc)
    assert cron_matches("cron(30 9 ? * MON-FRI *)", monday_0930)
    assert cron_matches("cron(0/15 * * * ? *)", monday_0930)
    assert not cron_matches("cron(30 9 ? * 1 *)", monday_0930)  # 1 = Sunday in EventBridge
    assert not cron_matches("cron(0 9 * * ? *)", monday_0930)
