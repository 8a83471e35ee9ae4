"""IntakeQueue on SQS: the normalized message travels as JSON."""
from __future__ import annotations

import boto3

from ..domain.model import IntakeMessage
from .intake_codec import encode


class SqsIntakeQueue:
    def __init__(self, queue_url: str, client=None):
        self.queue_url = queue_url
        self._client = client or boto3.client("sqs")

    def send(self, message: IntakeMessage) -> None:
        self._client.send_message(
            QueueUrl=self.queue_url,
            MessageBody=encode(message),
            MessageAttributes={"channel": {"DataType": "String", "StringValue": message.channel.value}},
        )
