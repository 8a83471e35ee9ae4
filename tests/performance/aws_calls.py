"""Counting the AWS calls a piece of code makes, through botocore's after-call events."""
from __future__ import annotations

from collections import Counter


class AwsCalls:
    """Counts AWS calls per operation and the items DynamoDB read (ScannedCount of Query/Scan, 1 per GetItem, each
    item a BatchGetItem returned)."""

    def __init__(self):
        self.calls, self.items_read, self.fetched = Counter(), 0, 0  # fetched: of items_read, by BatchGetItem

    def __call__(self, event_name: str, parsed: dict | None = None, **_):
        service, operation = event_name.split(".")[1:3]
        self.calls[f"{service}.{operation}"] += 1
        if parsed and operation in ("Query", "Scan"):
            self.items_read += parsed.get("ScannedCount", parsed.get("Count", 0))
        elif parsed and operation == "GetItem" and "Item" in parsed:
            self.items_read += 1
        elif parsed and operation == "BatchGetItem":
            fetched = sum(len(items) for items in parsed.get("Responses", {}).values())
            self.items_read += fetched
            self.fetched += fetched
