"""Adapters of the e-mail gateway: the raw mail and attachments in S3, the mail log in DynamoDB."""
from __future__ import annotations

import time

from ..domain.email_intake import InboundMailRecord
from .dynamo_tables import InboundMailModel

MAIL_LOG_DAYS = 400  # the audit trail outlives a year of reporting


class S3MailStore:
    def __init__(self, bucket: str, s3=None):
        import boto3

        self.bucket = bucket
        self._s3 = s3 or boto3.client("s3")

    def raw(self, bucket: str, key: str) -> bytes | None:
        """None when the object or its bucket does not exist; other errors (access, throttling) propagate, so the
        notification is retried."""
        try:
            return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except (self._s3.exceptions.NoSuchKey, self._s3.exceptions.NoSuchBucket):
            return None

    def put_attachment(self, key: str, data: bytes, content_type: str) -> str:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type or "application/octet-stream",
                            ServerSideEncryption="AES256")
        return f"s3://{self.bucket}/{key}"


class DynamoMailLog:
    def record(self, entry: InboundMailRecord) -> None:
        InboundMailModel(
            entry.ses_message_id,
            received_at=entry.received_at,
            received_day=f"{entry.received_at:%Y-%m-%d}",
            outcome=entry.outcome,
            disposition=entry.disposition,
            reason=entry.reason[:1000],
            sender=entry.sender,
            subject=(entry.subject or "")[:300] or None,
            message_id=entry.message_id,
            reference=entry.reference,
            object_key=entry.object_key,
            details={"verdicts": dict(entry.verdicts), "attachments": list(entry.attachments),
                     "problems": list(entry.problems)[:10]},
            expires_at=int(time.time()) + MAIL_LOG_DAYS * 86400,
        ).save()
