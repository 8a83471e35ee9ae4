"""Published versions of the category model in S3, and the pointer that says which one serves.

    s3://MODEL_BUCKET/category/v2/manifest.json, keys.u32, rows.u32, priority_levels.json, model_card.json, ...
    s3://MODEL_BUCKET/category/current.json   {"active": "v2", "published": ["v2"], "builtin": "v1", ...}

The build ships one version with the Lambda (the layer, "builtin"); retraining publishes the next ones here.
`active` null means the builtin version serves. Rolling back is one write of the pointer: `active` becomes the
version published before it, or the builtin one. The files of a version are uploaded before the pointer names it,
so a reader never sees a half-published version. The pointer is changed by compare-and-swap (a conditional PUT on
its ETag, the change re-applied to a fresh read when someone wrote in between), so a rollback and a publication at
the same moment both take effect. The pointer also keeps each version's digest (SHA-256 of its
files): a reader uses a downloaded copy only when its digest matches, so a copy left from another bucket or an
older publication of the same version name is fetched again, and a corrupted download is refused.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ARTIFACT_FILES = ("manifest.json", "keys.u32", "rows.u32", "priority_levels.json", "model_card.json", "MODEL_CARD.md",
                  # a model on the sentence encoder: its head, and its lexical twin (the fallback without the encoder)
                  "encoder.f32", "lexical/manifest.json", "lexical/keys.u32", "lexical/rows.u32")

POINTER_ATTEMPTS = 3
CONFLICTS = ("PreconditionFailed", "ConditionalRequestConflict")  # S3's answers to a lost compare-and-swap
logger = logging.getLogger(__name__)


def artifact_digest(directory: Path) -> str:
    """SHA-256 over a version's files (name and bytes, in ARTIFACT_FILES order)."""
    digest = hashlib.sha256()
    for filename in ARTIFACT_FILES:
        path = directory / filename
        if path.exists():
            digest.update(filename.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def version_number(version: str | None) -> int:
    """"v12" -> 12; anything else -> 0."""
    return int(version[1:]) if version and version[:1] == "v" and version[1:].isdigit() else 0


def next_version(pointer: dict, builtin: str | None) -> str:
    """The version after every published one and the builtin one."""
    numbers = [version_number(v) for v in pointer.get("published", [])] + [version_number(builtin)]
    return f"v{max(numbers) + 1}"


class S3ModelRegistry:
    def __init__(self, bucket: str, name: str = "category", client: Any = None):
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.bucket, self.name, self.s3 = bucket, name, client

    @property
    def pointer_key(self) -> str:
        return f"{self.name}/current.json"

    def pointer(self) -> dict:
        """The pointer, or {} before the first publication."""
        return self._read_pointer()[0]

    def _read_pointer(self) -> tuple[dict, str | None]:
        """(pointer, its ETag); ({}, None) before the first publication."""
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=self.pointer_key)
        except self.s3.exceptions.NoSuchKey:
            return {}, None
        return json.loads(found["Body"].read()), found["ETag"]

    def _update_pointer(self, change: Callable[[dict], dict]) -> dict:
        """Writes change(pointer) if nobody wrote the pointer since it was read; else re-reads and retries."""
        for attempt in range(POINTER_ATTEMPTS):
            pointer, etag = self._read_pointer()
            updated = {**change(pointer), "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
            try:
                self.s3.put_object(Bucket=self.bucket, Key=self.pointer_key, ContentType="application/json",
                                   Body=json.dumps(updated, indent=1).encode(), **condition)
                return updated
            except self.s3.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") not in CONFLICTS:
                    raise
                logger.info("model registry pointer changed meanwhile (attempt %d); applying the change again", attempt)
        raise RuntimeError(f"the pointer {self.pointer_key} kept changing; try again")

    def publish(self, directory: Path, version: str, builtin: str | None, **facts: Any) -> dict:
        """Uploads the artifact files, then makes `version` the active one. Returns the new pointer."""
        if version in self.pointer().get("published", []):
            raise ValueError(f"{version} is already published: versions are never overwritten")
        for filename in ARTIFACT_FILES:
            path = directory / filename
            if path.exists():
                self.s3.put_object(Bucket=self.bucket, Key=f"{self.name}/{version}/{filename}", Body=path.read_bytes())
        digest = artifact_digest(directory)

        def make_active(pointer: dict) -> dict:
            if version in pointer.get("published", []):
                raise ValueError(f"{version} was published by another run meanwhile")
            return {**pointer, "active": version, "published": [*pointer.get("published", []), version],
                    "builtin": builtin, "digests": {**pointer.get("digests", {}), version: digest}, **facts}

        return self._update_pointer(make_active)

    def note(self, **facts: Any) -> dict:
        """Records facts (e.g. a rejected run) without changing which version serves."""
        return self._update_pointer(lambda pointer: {**pointer, **facts})

    def rollback(self) -> dict:
        """Serves the version published before the active one (the builtin one before the first)."""
        def previous(pointer: dict) -> dict:
            published, active = pointer.get("published", []), pointer.get("active")
            if not active:
                raise ValueError("nothing to roll back: the builtin version is serving")
            earlier = published[: published.index(active)] if active in published else []
            return {**pointer, "active": earlier[-1] if earlier else None, "rolled_back_from": active}

        return self._update_pointer(previous)

    def activate(self, version: str | None) -> dict:
        """Serves a published version again (or None: the builtin one)."""
        def chosen(pointer: dict) -> dict:
            if version is not None and version not in pointer.get("published", []):
                raise ValueError(f"{version} was never published; published: {pointer.get('published', [])}")
            return {**pointer, "active": version}

        return self._update_pointer(chosen)

    def download(self, version: str, root: Path, digest: str | None = None) -> Path:
        """The version's files under root/<name>/<version>/: a copy already there when it matches `digest` (the
        pointer's), else fetched again. Raises ValueError when the fetched files do not match `digest`."""
        directory = root / self.name / version
        if (directory / "manifest.json").exists() and digest in (None, artifact_digest(directory)):
            return directory
        staging = directory.with_name(f".{version}.partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for filename in ARTIFACT_FILES:
            try:
                body = self.s3.get_object(Bucket=self.bucket, Key=f"{self.name}/{version}/{filename}")["Body"]
            except self.s3.exceptions.NoSuchKey:
                continue  # the priority levels and the model card are optional
            (staging / filename).parent.mkdir(parents=True, exist_ok=True)
            (staging / filename).write_bytes(body.read())
        if digest is not None and artifact_digest(staging) != digest:
            raise ValueError(f"{self.name}/{version} does not match the digest its pointer records")
        shutil.rmtree(directory, ignore_errors=True)
        staging.rename(directory)
        return directory

    def read_json(self, version: str, filename: str) -> dict:
        """One JSON file of a published version (model_card.json, priority_levels.json)."""
        body = self.s3.get_object(Bucket=self.bucket, Key=f"{self.name}/{version}/{filename}")["Body"].read()
        return json.loads(body)


class ServingModel:
    """Which model directory serves now: the pointer's active version, downloaded to `cache_root`, else the
    builtin directory. The pointer is read at most every `refresh_seconds`; if S3 fails, the last good answer
    stays, so intake never stops for the registry."""

    def __init__(self, registry: S3ModelRegistry, builtin_dir: str | Path | None, cache_root: str | Path = "/tmp/models",
                 refresh_seconds: float = 300.0, monotonic: Callable[[], float] = time.monotonic):
        self.registry, self.cache_root = registry, Path(cache_root)
        self.builtin_dir = Path(builtin_dir) if builtin_dir else None
        self.refresh_seconds, self.monotonic = refresh_seconds, monotonic
        self._checked_at: float | None = None
        self._current = self.builtin_dir
        self._served: tuple[str, str | None] | None = None  # (version, digest) of the downloaded copy serving

    def __call__(self) -> Path | None:
        now = self.monotonic()
        if self._checked_at is None or now - self._checked_at >= self.refresh_seconds:
            self._checked_at = now
            try:
                pointer = self.registry.pointer()
                active = pointer.get("active")
                served = (active, pointer.get("digests", {}).get(active)) if active else None
                if served is None:
                    self._current = self.builtin_dir
                elif served != self._served:  # a version (or a publication of it) this container has not served
                    self._current = self.registry.download(active, self.cache_root, served[1])
                self._served = served
            except Exception:  # noqa: BLE001 - a registry outage must not stop intake
                logger.warning("model registry unavailable; keeping %s", self._current, exc_info=True)
        return self._current
