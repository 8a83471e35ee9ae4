"""A customer's photos and documents, uploaded from their complaint's page straight to S3 with a presigned POST
(never through the API's body limit). An upload waits under uploads/pending/<reference>/ until the customer sends
their message, which takes it to uploads/<reference>/<message>/. Its type is told by its first bytes, not its name."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ..domain.model import Attachment

UPLOAD_PREFIX = "uploads/"
PENDING_PREFIX = f"{UPLOAD_PREFIX}pending/"  # files not sent yet; the bucket's lifecycle deletes them after 2 days
MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5  # per message
FORM_SECONDS = 3600  # how long the page's upload form stays usable
ACCEPTED_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic", "application/pdf": "pdf"}
_HEAD_BYTES = 64  # enough for every accepted type's signature


class UploadRefused(ValueError):
    """The file is not one we take (its type by content, or its size)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # wrong_type | too_large | empty | missing


@dataclass(frozen=True)
class UploadForm:
    url: str
    fields: dict[str, str]


def pending_prefix(reference: str) -> str:
    return f"{PENDING_PREFIX}{reference}/"


class WebUploads:
    def __init__(self, bucket: str, s3=None):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self._s3 = s3 or boto3.client("s3", config=Config(signature_version="s3v4"))

    def form(self, reference: str, redirect: str) -> UploadForm:
        """A form that posts one file to S3 under the complaint's pending prefix (S3 puts the file's own name in
        place of ${filename}), then sends the browser to `redirect` with the object's key."""
        key = f"{pending_prefix(reference)}{uuid.uuid4().hex}/${{filename}}"
        post = self._s3.generate_presigned_post(
            self.bucket, key, ExpiresIn=FORM_SECONDS,
            Fields={"success_action_redirect": redirect, "x-amz-server-side-encryption": "AES256"},
            Conditions=[["content-length-range", 1, MAX_BYTES], {"success_action_redirect": redirect},
                        {"x-amz-server-side-encryption": "AES256"}])
        return UploadForm(post["url"], post["fields"])

    def pending(self, reference: str) -> list[Attachment]:
        """The files waiting to go with the customer's next message (at most MAX_FILES + 1 are listed)."""
        listed = self._s3.list_objects_v2(Bucket=self.bucket, Prefix=pending_prefix(reference),
                                          MaxKeys=MAX_FILES + 1).get("Contents", [])
        return [Attachment(filename=name_of(item["Key"]), content_type="", size=item["Size"],
                           location=f"s3://{self.bucket}/{item['Key']}") for item in listed]

    def check(self, key: str) -> Attachment:
        """The uploaded file, its type read from its content; a file we do not take is deleted and refused."""
        try:
            head = self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{_HEAD_BYTES - 1}")
        except (self._s3.exceptions.NoSuchKey, self._s3.exceptions.ClientError):
            raise UploadRefused("missing") from None
        size = int(head["ContentRange"].rpartition("/")[2]) if head.get("ContentRange") else head["ContentLength"]
        content_type = content_type_of(head["Body"].read())
        problem = "empty" if size == 0 else "too_large" if size > MAX_BYTES else None if content_type else "wrong_type"
        if problem:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
            raise UploadRefused(problem)
        name = name_of(key)
        if "." not in name:
            name = f"{name}.{ACCEPTED_TYPES[content_type]}"
        return Attachment(filename=name, content_type=content_type, size=size, location=f"s3://{self.bucket}/{key}")

    def copy_for(self, reference: str, message_id: str) -> tuple[list[Attachment], list[str]]:
        """The pending files, checked and copied under the message they go with, and the pending keys to delete
        once the message is queued (so a failure before that loses no file)."""
        copied, keys = [], []
        for waiting in self.pending(reference)[:MAX_FILES]:
            key = waiting.location.removeprefix(f"s3://{self.bucket}/")
            try:
                file = self.check(key)
            except UploadRefused:
                continue
            target = f"{UPLOAD_PREFIX}{reference}/{message_id}/{key.rsplit('/', 2)[-2]}/{quote(file.filename)}"
            self._s3.copy_object(Bucket=self.bucket, Key=target, CopySource={"Bucket": self.bucket, "Key": key},
                                 ContentType=file.content_type, MetadataDirective="REPLACE",
                                 ServerSideEncryption="AES256")
            copied.append(Attachment(file.filename, file.content_type, file.size, f"s3://{self.bucket}/{target}"))
            keys.append(key)
        return copied, keys

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._s3.delete_object(Bucket=self.bucket, Key=key)

    def remove(self, reference: str, key: str) -> None:
        if key.startswith(pending_prefix(reference)):
            self._s3.delete_object(Bucket=self.bucket, Key=key)


def content_type_of(head: bytes) -> str | None:
    """The accepted type the bytes are (by their signature), or None."""
    import filetype  # on use: the customer's page needs it only after an upload

    kind = filetype.guess(head)
    return kind.mime if kind is not None and kind.mime in ACCEPTED_TYPES else None


def name_of(key: str) -> str:
    """The file's name as the customer's browser gave it (where S3 did not fill ${filename}: "file")."""
    name = unquote(key.rsplit("/", 1)[-1])
    return "file" if name in ("", "${filename}") else name[:200]
