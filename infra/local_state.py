"""The local stack's AWS state on disk, so `make run` keeps its complaints across Ctrl-C, a crash and restarts:
every DynamoDB item and S3 object of the stack is written to <state dir>/snapshot (atomically: a new folder, then
a rename) at shutdown and every SNAPSHOT_SECONDS, and put back into moto when the stack starts again. Queued SQS
messages and one-time SLA timers are not kept: the sweeper finds overdue clocks again."""
from __future__ import annotations

import base64
import json
import shutil
import threading
from pathlib import Path
from typing import Any

SNAPSHOT_SECONDS = 15


def _clients(endpoint_url: str, region: str) -> tuple[Any, Any]:
    import boto3

    return (boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region),
            boto3.client("s3", endpoint_url=endpoint_url, region_name=region))


def save(folder: Path, tables: list[str], buckets: list[str], endpoint_url: str, region: str) -> dict[str, int]:
    """Writes the snapshot; returns how many items and objects it holds. (Scan is fine here: a local tool.)"""
    dynamodb, s3 = _clients(endpoint_url, region)
    fresh = folder.with_name(folder.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    counts = {"items": 0, "objects": 0}
    snapshot: dict[str, Any] = {"tables": {}, "objects": {}}
    for table in tables:
        items = [item for page in dynamodb.get_paginator("scan").paginate(TableName=table) for item in page["Items"]]
        snapshot["tables"][table] = items
        counts["items"] += len(items)
    for bucket in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                snapshot["objects"].setdefault(bucket, {})[entry["Key"]] = base64.b64encode(body).decode()
                counts["objects"] += 1
    (fresh / "state.json").write_text(json.dumps(snapshot))
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return counts


def restore(folder: Path, endpoint_url: str, region: str) -> dict[str, int]:
    """Puts a snapshot back into fresh tables and buckets; returns what it restored (nothing without one)."""
    state = folder / "state.json"
    if not state.exists():
        return {"items": 0, "objects": 0}
    snapshot = json.loads(state.read_text())
    dynamodb, s3 = _clients(endpoint_url, region)
    counts = {"items": 0, "objects": 0}
    for table, items in snapshot["tables"].items():
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
            while requests:
                unprocessed = dynamodb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
                requests = unprocessed.get(table, [])
        counts["items"] += len(items)
    for bucket, objects in snapshot["objects"].items():
        for key, body in objects.items():
            s3.put_object(Bucket=bucket, Key=key, Body=base64.b64decode(body))
            counts["objects"] += 1
    return counts


class Snapshots:
    """Saves every SNAPSHOT_SECONDS in a thread, and once more at stop()."""

    def __init__(self, folder: Path, tables: list[str], buckets: list[str], endpoint_url: str, region: str,
                 log=print):
        self.args = (folder, tables, buckets, endpoint_url, region)
        self.log, self._stop = log, threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshots", daemon=True)

    def start(self) -> "Snapshots":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(SNAPSHOT_SECONDS):
            self._save()

    def _save(self) -> dict[str, int] | None:
        try:
            return save(*self.args)
        except Exception as error:  # noqa: BLE001 - a failed snapshot is reported; the next one tries again
            self.log(f"snapshot failed: {error!r}")
            return None

    def stop(self) -> dict[str, int] | None:
        self._stop.set()
        self._thread.join(30)
        return self._save()
