"""Locally does what AWS's event wiring does and moto does not: it invokes the Chalice app's event handlers.

* SQS: each `@app.on_sqs_message` queue is polled; the handler gets a Lambda SQS event; records it reports in
  `batchItemFailures` (or the whole batch, if it raises) stay on the queue, the rest are deleted, like an event
  source mapping with ReportBatchItemFailures. Moto moves a message to the DLQ on the receive after
  maxReceiveCount (its RedrivePolicy), exactly as SQS does.
* SNS: a relay queue is subscribed to each `@app.on_sns_message` topic; every message becomes a Lambda SNS event.
  `topic_outboxes` relays topics (e.g. manager alerts) into JSON-lines files the same way.
* `@app.schedule` rate(...) and cron(...) expressions fire with EventBridge "Scheduled Event" payloads.
* EventBridge Scheduler one-time schedules, at(...), fire when due: Target.Input goes to the SQS queue or SNS
  topic of Target.Arn, and the schedule is deleted when ActionAfterCompletion is DELETE.

The runner is given Chalice queue name -> queue URL (infra.local_stack takes it from infra.resources.CHALICE_QUEUES,
the mapping the deploy template uses too) and Chalice topic name -> topic ARN, where `<app_name>-X` means the
local topic `<stack>-X` (`local_names`). Queue and topic ARNs are used as they are.
"""
from __future__ import annotations

import functools
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import boto3
from chalice.app import Chalice, ScheduledEventConfig, ScheduleExpression, SNSEventConfig, SQSEventConfig

from infra.lambda_events import (
    ACCOUNT_ID,
    LambdaContext,
    at_time,
    cron_matches,
    rate_seconds,
    scheduled_event,
    sns_event,
    sqs_event,
)


def local_names(app_name: str, stack_name: str, physical: dict[str, str]) -> dict[str, str]:
    """Chalice name -> physical value, for physical names `<stack>-X` (aliased `<app_name>-X`) and the names as is."""
    names = dict(physical)
    prefix = f"{stack_name}-"
    names.update({f"{app_name}-{n[len(prefix):]}": v for n, v in physical.items() if n.startswith(prefix)})
    return names


@dataclass
class _Poller:
    """A queue and what consumes its messages; `consume` returns the MessageIds that failed."""

    label: str
    url: str
    arn: str
    batch_size: int
    consume: Callable[[list[dict[str, Any]]], set[str]]


@dataclass
class _Timer:
    config: ScheduledEventConfig
    expression: str
    interval: int  # seconds for rate(...), 0 for cron(...)
    next_due: float
    last_minute: int = -1


class EventRunner:
    def __init__(
        self,
        app: Chalice,
        queues: dict[str, str],
        topics: dict[str, str] | None = None,
        *,
        topic_outboxes: dict[str, str] | None = None,
        stage: str = "local",
        region: str = "us-east-1",
        session: boto3.Session | None = None,
        endpoint_url: str | None = None,
        retry_delay_seconds: int | None = None,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], None] | None = None,
        idle_sleep: float = 0.2,
        scheduler_interval: float = 1.0,
        sns_failure_queue: str | None = None,
        async_retries: int = 2,
    ):
        """queues: Chalice queue name or ARN -> queue URL; topics: Chalice topic name or ARN -> topic ARN.
        retry_delay_seconds: how soon a failed record is received again (None: the queue's VisibilityTimeout)."""
        self.app, self.queues, self.topics = app, queues, topics or {}
        self.topic_outboxes = topic_outboxes or {}
        self.stage, self.region, self.clock = stage, region, clock
        self.retry_delay_seconds = retry_delay_seconds
        self.idle_sleep, self.scheduler_interval = idle_sleep, scheduler_interval
        # As Lambda's asynchronous invocation: an SNS-triggered function is retried `async_retries` times, then the
        # event goes to its on-failure destination (a queue URL) with the error; without one it is retried forever.
        self.sns_failure_queue, self.async_retries = sns_failure_queue, async_retries
        self._log = log or (lambda line: print(line, flush=True))
        session = session or boto3.Session()
        self.sqs, self.sns, self.scheduler = (
            session.client(s, region_name=region, endpoint_url=endpoint_url) for s in ("sqs", "sns", "scheduler")
        )
        self.pollers: list[_Poller] = []
        self.timers: list[_Timer] = []
        self._next_scheduler_check = 0.0
        self._schedule_times: dict[tuple[str, str], float | None] = {}  # at() time; None for rate/cron schedules
        self._fired_schedules: set[tuple[str, str]] = set()

    def log(self, line: str) -> None:
        self._log(f"{datetime.now().strftime('%H:%M:%S')} [runner] {line}")

    # -- wiring

    def start(self) -> "EventRunner":
        """Wires every event source of the app (and the topic outboxes); call once before run_once()."""
        for config in self.app.event_sources:
            if isinstance(config, SQSEventConfig):
                self._wire_sqs(config)
            elif isinstance(config, SNSEventConfig):
                self._wire_sns(config)
            elif isinstance(config, ScheduledEventConfig):
                self._wire_schedule(config)
            else:
                self.log(f"{type(config).__name__} {config.name}: not run locally")
        for topic_arn, path in self.topic_outboxes.items():
            self._relay(topic_arn, f"outbox-{topic_arn.split(':')[-1]}", functools.partial(_append, path))
        return self

    def _lookup(self, names: dict[str, str], name: str, kind: str) -> str:
        if name not in names:
            raise LookupError(f"no local {kind} for {name!r}; known: {sorted(names)}")
        return names[name]

    def _queue_arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def _wire_sqs(self, config: SQSEventConfig) -> None:
        name = config.queue or config.queue_arn
        url = self._lookup(self.queues, name, "queue")
        arn = self._queue_arn(url)
        label = f"sqs {name} -> {config.name}"
        self.pollers.append(_Poller(label, url, arn, min(config.batch_size, 10),
                                    functools.partial(self._invoke_sqs, config, arn)))
        self.log(f"wired {label} ({url})")

    def _wire_sns(self, config: SNSEventConfig) -> None:
        topic = config.topic
        topic_arn = topic if topic.startswith("arn:") else self._lookup(self.topics, topic, "topic")
        self._relay(topic_arn, f"relay-{config.name}", functools.partial(self._invoke_sns, config.name),
                    function=config.name)

    def _relay(self, topic_arn: str, queue_name: str, deliver: Callable[[dict[str, Any], str], Any],
               function: str | None = None) -> None:
        """Subscribes a new local queue to the topic and hands each SNS envelope on it to `deliver`."""
        url = self.sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        arn = self._queue_arn(url)
        subscription = self.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn,
                                          ReturnSubscriptionArn=True)["SubscriptionArn"]

        def consume(messages: list[dict[str, Any]]) -> set[str]:
            failed = set()
            for message in messages:
                envelope = json.loads(message["Body"])
                try:
                    deliver(envelope, subscription)
                except Exception as error:  # noqa: BLE001 - reported; retried, then its on-failure destination
                    attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                    if function and self.sns_failure_queue and attempts > self.async_retries:
                        self._to_failure_destination(function, envelope, error, attempts)
                        continue
                    self.log(f"sns {topic_arn} -> {queue_name}: failed (attempt {attempts}): {error!r}")
                    failed.add(message["MessageId"])
            return failed

        self.pollers.append(_Poller(f"sns {topic_arn.split(':')[-1]} -> {queue_name}", url, arn, 10, consume))
        self.log(f"wired sns {topic_arn} -> {queue_name}")

    def _to_failure_destination(self, function: str, envelope: dict[str, Any], error: Exception,
                                attempts: int) -> None:
        """The record Lambda sends to an on-failure destination: the request, and why it failed."""
        record = {
            "version": "1.0", "timestamp": datetime.now(timezone.utc).isoformat(),
            "requestContext": {"functionArn": f"{self.app.app_name}-{self.stage}-{function}",
                               "condition": "RetriesExhausted", "approximateInvokeCount": attempts},
            "requestPayload": sns_event(envelope, "local"),
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorType": type(error).__name__, "errorMessage": str(error)[:2000]},
        }
        self.sqs.send_message(QueueUrl=self.sns_failure_queue, MessageBody=json.dumps(record, default=str))
        self.log(f"{function}: failed {attempts} times: the event went to its on-failure destination ({error!r})")

    def _wire_schedule(self, config: ScheduledEventConfig) -> None:
        expression = config.schedule_expression
        expression = expression.to_string() if isinstance(expression, ScheduleExpression) else expression
        interval = rate_seconds(expression) if expression.startswith("rate(") else 0
        if not interval:
            cron_matches(expression, datetime.now(timezone.utc))  # validates it now rather than at the first tick
        self.timers.append(_Timer(config, expression, interval, self.clock() + interval))
        self.log(f"wired schedule {expression} -> {config.name}")

    # -- invoking

    def _invoke(self, name: str, event: dict[str, Any]) -> Any:
        context = LambdaContext(function_name=f"{self.app.app_name}-{self.stage}-{name}", region=self.region)
        return self.app.handler_map[name](event, context)

    def _invoke_sns(self, name: str, envelope: dict[str, Any], subscription_arn: str) -> None:
        self._invoke(name, sns_event(envelope, subscription_arn))

    def _invoke_sqs(self, config: SQSEventConfig, queue_arn: str, messages: list[dict[str, Any]]) -> set[str]:
        ids = {m["MessageId"] for m in messages}
        try:
            response = self._invoke(config.name, sqs_event(messages, queue_arn, self.region))
        except Exception as error:  # noqa: BLE001 - a raised exception fails the whole batch, as in Lambda
            self.log(f"{config.name} raised {error!r}: the whole batch of {len(ids)} stays on the queue")
            return ids
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        failed = {f.get("itemIdentifier") for f in failures or []}
        return ids if failed - ids else failed  # an unknown identifier fails the whole batch, as in Lambda

    # -- one pass of each step

    def poll(self, poller: _Poller) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=poller.url, MaxNumberOfMessages=poller.batch_size, WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        failed = poller.consume(messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        for chunk in (done[i:i + 10] for i in range(0, len(done), 10)):
            self.sqs.delete_message_batch(QueueUrl=poller.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)])
        retry = [m for m in messages if m["MessageId"] in failed]
        if retry and self.retry_delay_seconds is not None:
            self.sqs.change_message_visibility_batch(QueueUrl=poller.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self.retry_delay_seconds}
                for i, m in enumerate(retry)])
        self.log(f"{poller.label}: {len(messages)} record(s), {len(failed)} failed"
                 + (f" ({', '.join(sorted(failed))})" if failed else ""))
        return len(messages)

    @staticmethod
    def _is_due(timer: _Timer, now: float) -> bool:
        """rate(): one period after the last firing; cron(): once in each matching minute."""
        if timer.interval:
            due = now >= timer.next_due
            timer.next_due = now + timer.interval if due else timer.next_due
            return due
        minute, previous = int(now // 60), timer.last_minute
        timer.last_minute = minute
        return minute != previous and cron_matches(timer.expression, datetime.fromtimestamp(now, timezone.utc))

    def fire_timers(self, now: float) -> int:
        due = [timer for timer in self.timers if self._is_due(timer, now)]
        for timer in due:
            name = timer.config.name
            rule = f"arn:aws:events:{self.region}:{ACCOUNT_ID}:rule/{self.app.app_name}-{self.stage}-{name}"
            event = scheduled_event(rule, self.region, now)
            self._safely(f"schedule {timer.expression} -> {name}", lambda: self._invoke(name, event))
        return len(due)

    def fire_due_schedules(self, now: float) -> int:
        """EventBridge Scheduler: sends each due one-time schedule's input to its target, once."""
        fired = 0
        for summary in self._list_schedules():
            name, group = summary["Name"], summary["GroupName"]
            key = (summary["Arn"], str(summary.get("LastModificationDate")))  # an updated schedule is a new one
            if key in self._fired_schedules or summary.get("State") != "ENABLED":
                continue
            if key not in self._schedule_times:
                schedule = self.scheduler.get_schedule(Name=name, GroupName=group)
                expression = schedule["ScheduleExpression"]
                self._schedule_times[key] = at_time(expression, schedule.get("ScheduleExpressionTimezone"))
                if self._schedule_times[key] is None:
                    self.log(f"scheduler {group}/{name}: recurring ({expression}), not run locally")
            due = self._schedule_times[key]
            if due is None or now < due:
                continue
            self._fired_schedules.add(key)
            schedule = self.scheduler.get_schedule(Name=name, GroupName=group)
            self._safely(f"scheduler {group}/{name} -> {schedule['Target']['Arn']}",
                         lambda: self._send_to_target(schedule["Target"]))
            if schedule.get("ActionAfterCompletion") == "DELETE":
                self.scheduler.delete_schedule(Name=name, GroupName=group)
            fired += 1
        return fired

    def _list_schedules(self) -> list[dict[str, Any]]:
        schedules, token = [], None
        while True:
            page = self.scheduler.list_schedules(**({"NextToken": token} if token else {}))
            schedules += page.get("Schedules", [])
            token = page.get("NextToken")
            if not token:
                return schedules

    def _send_to_target(self, target: dict[str, Any]) -> None:
        arn, body = target["Arn"], target.get("Input", "{}")
        service, account, name = arn.split(":")[2], arn.split(":")[4], arn.split(":")[5]
        if service == "sqs":
            url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            group = target.get("SqsParameters", {}).get("MessageGroupId")
            self.sqs.send_message(QueueUrl=url, MessageBody=body, **({"MessageGroupId": group} if group else {}))
        elif service == "sns":
            self.sns.publish(TopicArn=arn, Message=body)
        else:
            raise ValueError(f"targets of type {service} are not supported locally")

    def _safely(self, label: str, action: Callable[[], Any]) -> None:
        try:
            action()
            self.log(f"{label}: done")
        except Exception as error:  # noqa: BLE001 - one failing handler must not stop the runner
            self.log(f"{label}: failed: {error!r}")

    def run_once(self) -> int:
        """One pass over every step; returns how much work was done (0 = idle)."""
        now = self.clock()
        work = sum(self.poll(poller) for poller in self.pollers) + self.fire_timers(now)
        if now >= self._next_scheduler_check:
            self._next_scheduler_check = now + self.scheduler_interval
            work += self.fire_due_schedules(now)
        return work

    def run(self, stop: threading.Event) -> None:
        """Loops until `stop` is set; sleeps briefly whenever a pass found nothing to do."""
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception as error:  # noqa: BLE001 - e.g. moto stopping; keep going until told to stop
                self.log(f"error: {error!r}")
                busy = 0
            if not busy:
                stop.wait(self.idle_sleep)


def _append(path: str, envelope: dict[str, Any], subscription_arn: str) -> None:
    """One JSON line per SNS message: when, topic, subject, message (parsed if JSON) and its attributes."""
    try:
        message = json.loads(envelope.get("Message", ""))
    except ValueError:
        message = envelope.get("Message")
    record = {
        "at": envelope.get("Timestamp"), "topic": envelope.get("TopicArn"), "subject": envelope.get("Subject"),
        "message": message,
        "attributes": {k: a.get("Value") for k, a in (envelope.get("MessageAttributes") or {}).items()},
    }
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "a", encoding="utf-8") as outbox:
        outbox.write(json.dumps(record, ensure_ascii=False) + "\n")
