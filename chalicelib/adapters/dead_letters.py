"""Dead-letter queues, for staff and operators: how many messages each holds, a masked look at the oldest ones
(peeked, never consumed), and redrive back to the source queue."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ..observability import mask

PEEK_LIMIT = 10  # messages shown per queue
SUMMARY_CHARS = 300


class DeadLetters:
    def __init__(self, queues: dict[str, str], sqs=None):
        import boto3

        self.queues = queues  # name -> URL
        self._sqs = sqs or boto3.client("sqs")

    def summary(self, limit: int = PEEK_LIMIT) -> list[dict[str, Any]]:
        """Per queue: the approximate count and up to `limit` messages (made visible again at once)."""
        return [self._queue(name, url, limit) for name, url in sorted(self.queues.items())]

    def _queue(self, name: str, url: str, limit: int) -> dict[str, Any]:
        count = int(self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                    ["Attributes"]["ApproximateNumberOfMessages"])
        messages = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(limit, 10), VisibilityTimeout=0,
                                             MessageSystemAttributeNames=["All"]).get("Messages", []) if count else []
        return {"queue": name, "count": count, "messages": [describe(m) for m in messages]}


def describe(message: dict[str, Any]) -> dict[str, Any]:
    """What staff need to judge a dead letter, personal data masked."""
    attributes = message.get("Attributes", {})
    sent = attributes.get("SentTimestamp")
    body = message.get("Body", "")
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    facts: dict[str, Any] = {}
    if isinstance(data, dict):
        facts = {k: data.get(k) for k in ("channel", "channel_message_id", "reference", "thread_reference")
                 if data.get(k)}
        failure = data.get("responsePayload")  # an on-failure destination record: the error it died of
        if isinstance(failure, dict):
            facts["error"] = f"{failure.get('errorType')}: {failure.get('errorMessage')}"
    return {
        "message_id": message.get("MessageId"),
        "sent_at": datetime.fromtimestamp(int(sent) / 1000, timezone.utc).isoformat() if sent else None,
        "receive_count": int(attributes.get("ApproximateReceiveCount", "0")),
        **mask(facts),
        "body": mask(body[:SUMMARY_CHARS]) + ("…" if len(body) > SUMMARY_CHARS else ""),
    }


def redrive(sqs, source_url: str, target_url: str, limit: int = 10_000) -> int:
    """Moves up to `limit` messages from a dead-letter queue back to `target_url` (send, then delete); returns how
    many. In AWS prefer SQS's own: `aws sqs start-message-move-task --source-arn <dlq arn>`."""
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(QueueUrl=source_url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return moved
        for message in messages:
            sqs.send_message(QueueUrl=target_url, MessageBody=message["Body"],
                             MessageAttributes=message.get("MessageAttributes") or {})
            sqs.delete_message(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved
