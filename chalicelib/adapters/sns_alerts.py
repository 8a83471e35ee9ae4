"""AlertPublisher on SNS: a readable subject, a JSON body, and attributes subscribers filter on.

Alerts are at-least-once: callers publish before they mark an alert sent. Each alert with a dedup key is published
once per key (Powertools idempotency on the key), so a caller that retries after SNS accepted it sends nothing
again; the key also travels as the `dedup_key` attribute, for a subscriber to drop the one duplicate left possible
(SNS accepted the publish but the answer was lost on the way back)."""
from __future__ import annotations

import dataclasses
import json

from ..domain.ports import Alert

MAX_SUBJECT = 100


class SnsAlertPublisher:
    def __init__(self, topic_arn: str, sns=None, idempotency_table: str | None = None):
        import boto3

        self.topic_arn = topic_arn
        self._sns = sns or boto3.client("sns")
        self._publish_once = self._publish
        if idempotency_table:
            from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

            from .idempotency import alerts_once

            self._publish_once = idempotent_function(
                data_keyword_argument="alert", persistence_store=DynamoDBPersistenceLayer(table_name=idempotency_table),
                config=alerts_once,
            )(self._publish)

    def publish(self, alert: Alert) -> None:
        data = {"dedup_key": alert.dedup_key, "alert": dataclasses.asdict(alert)}
        (self._publish_once if alert.dedup_key else self._publish)(alert=data)

    def _publish(self, alert: dict) -> dict:
        sent = Alert(**alert["alert"])
        # SNS subjects are printable ASCII without line breaks, under 100 characters.
        subject = "".join(ch if " " <= ch <= "~" else "?" for ch in sent.subject)[:MAX_SUBJECT - 1]
        attributes = {**sent.attributes, **({"dedup_key": sent.dedup_key} if sent.dedup_key else {})}
        response = self._sns.publish(
            TopicArn=self.topic_arn,
            Subject=subject,
            Message=json.dumps({"subject": sent.subject, "type": sent.type, "severity": sent.severity,
                                **sent.body}, ensure_ascii=False, default=str),
            MessageAttributes={name: {"DataType": "String", "StringValue": value}
                               for name, value in attributes.items()},
        )
        return {"message_id": response.get("MessageId")}
