"""What AWS hands a Lambda function, built locally: the context object, the SQS, SNS and scheduled-event payloads,
and the schedule expressions (rate, cron, at) that decide when EventBridge and its Scheduler fire."""
from __future__ import annotations

import base64
import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

ACCOUNT_ID = "123456789012"  # moto's default account


@dataclass
class LambdaContext:
    function_name: str
    region: str = "us-east-1"
    timeout_seconds: int = 60
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _lambda_message_attribute(attribute: dict[str, Any]) -> dict[str, Any]:
    """SQS API shape (StringValue, BinaryValue as bytes) -> Lambda event shape (stringValue, base64 binaryValue)."""
    value = {"stringValue": attribute["StringValue"]} if "StringValue" in attribute else {
        "binaryValue": base64.b64encode(attribute["BinaryValue"]).decode()}
    return {**value, "stringListValues": attribute.get("StringListValues", []),
            "binaryListValues": attribute.get("BinaryListValues", []), "dataType": attribute["DataType"]}


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping delivers for received messages."""
    return {"Records": [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {k: _lambda_message_attribute(a) for k, a in m.get("MessageAttributes", {}).items()},
            "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),
            **({"md5OfMessageAttributes": m["MD5OfMessageAttributes"]} if "MD5OfMessageAttributes" in m else {}),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        for m in messages
    ]}


def sns_event(envelope: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The event SNS delivers to a subscribed Lambda, from the envelope SNS delivers to a subscribed queue."""
    keys = ("Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature")
    sns = {k: envelope.get(k) for k in keys}
    sns["SigningCertUrl"] = envelope.get("SigningCertURL", "")
    sns["UnsubscribeUrl"] = envelope.get("UnsubscribeURL", "")
    sns["MessageAttributes"] = envelope.get("MessageAttributes", {})
    return {"Records": [
        {"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": subscription_arn, "Sns": sns}
    ]}


def scheduled_event(rule_arn: str, region: str, now: float) -> dict[str, Any]:
    at = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": ACCOUNT_ID, "time": at, "region": region, "resources": [rule_arn], "detail": {},
    }


# ---------------------------------------------------------------- schedule expressions

_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
_DAYS = {d: i + 1 for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}  # EventBridge: 1 = Sunday


def rate_seconds(expression: str) -> int:
    match = re.fullmatch(r"rate\((\d+) (minutes?|hours?|days?)\)", expression.strip())
    if not match:
        raise ValueError(f"not a rate expression: {expression}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _field_matches(spec: str, value: int, names: dict[str, int], low: int) -> bool:
    for part in spec.upper().split(","):
        if part in ("*", "?"):
            return True
        if re.search(r"[LW#]", part):
            raise ValueError(f"cron feature {part!r} is not supported locally")
        base, _, step = part.partition("/")
        start, _, end = base.partition("-")
        first = low if start == "*" else names.get(start) or int(start)
        last = (names.get(end) or int(end)) if end else (10_000 if step or start == "*" else first)
        if first <= value <= last and (value - first) % int(step or 1) == 0:
            return True
    return False


def cron_matches(expression: str, at: datetime) -> bool:
    """EventBridge cron(minutes hours day-of-month month day-of-week year) against a UTC minute."""
    fields = re.fullmatch(r"cron\((.+)\)", expression.strip())
    if not fields or len(fields.group(1).split()) != 6:
        raise ValueError(f"not a cron expression: {expression}")
    minutes, hours, dom, month, dow, year = fields.group(1).split()
    weekday = (at.isoweekday() % 7) + 1
    return (
        _field_matches(minutes, at.minute, {}, 0) and _field_matches(hours, at.hour, {}, 0)
        and _field_matches(dom, at.day, {}, 1) and _field_matches(month, at.month, _MONTHS, 1)
        and _field_matches(dow, weekday, _DAYS, 1) and _field_matches(year, at.year, {}, 1970)
    )


def at_time(expression: str, timezone_name: str | None) -> float | None:
    """The epoch time of a Scheduler `at(yyyy-mm-ddThh:mm:ss)` expression; None for rate/cron schedules."""
    match = re.fullmatch(r"at\((.+)\)", expression.strip())
    if not match:
        return None
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=ZoneInfo(timezone_name or "UTC")).timestamp()
