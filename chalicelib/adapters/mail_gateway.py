"""Adapters of the e-mail gateway: the raw mail and attachments in S3, the mail log in DynamoDB."""
from __future__ import annotations

import time
from urllib.parse import quote

from ..domain.email_intake import InboundMailRecord
from .dynamo_tables import InboundMailModel

MAIL_LOG_DAYS = 400  # the audit trail outlives a year of reporting


class S3MailStore:
    def __init__(self, bucket: str, s3=None):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self._s3 = s3 or boto3.client("s3", config=Config(signature_version="s3v4"))  # links say X-Amz-Expires

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


    def link(self, location: str, filename: str, seconds: int = 300) -> str:
        """A short-lived download link to a stored attachment (s3://bucket/key)."""
        bucket, key = _split(location)
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        return self._s3.generate_presigned_url("get_object", ExpiresIn=seconds, Params={
            "Bucket": bucket, "Key": key, "ResponseContentDisposition": disposition})

    def read(self, location: str) -> bytes | None:
        bucket, key = _split(location)
        return self.raw(bucket, key)


def _split(location: str) -> tuple[str, str]:
    bucket, _, key = location.removeprefix("s3://").partition("/")
    return bucket, key


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
