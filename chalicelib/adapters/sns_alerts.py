"""AlertPublisher on SNS: a readable subject, a JSON body, and attributes subscribers filter on."""
from __future__ import annotations

import json

from ..domain.ports import Alert

MAX_SUBJECT = 100


class SnsAlertPublisher:
    def __init__(self, topic_arn: str, sns=None):
        import boto3

        self.topic_arn = topic_arn
        self._sns = sns or boto3.client("sns")

    def publish(self, alert: Alert) -> None:
        # SNS subjects are printable ASCII without line breaks, under 100 characters.
        subject = "".join(ch if " " <= ch <= "~" else "?" for ch in alert.subject)[:MAX_SUBJECT - 1]
        self._sns.publish(
            TopicArn=self.topic_arn,
            Subject=subject,
            Message=json.dumps({"subject": alert.subject, "type": alert.type, "severity": alert.severity,
                                **alert.body}, ensure_ascii=False, default=str),
            MessageAttributes={name: {"DataType": "String", "StringValue": value}
                               for name, value in alert.attributes.items()},
        )
