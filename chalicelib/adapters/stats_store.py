"""KPI rollups and recent alerts in the stats table. A batch of events (a stream batch) is written in transactions
holding each event's marker and each bucket the events touch once, with their sum: the markers' conditions make a
replayed stream record count nothing, and a bucket is written once per batch, not once per event."""
from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from collections import Counter
from typing import Iterable, Iterator, Sequence

from ..domain.ports import Alert
from ..quality.rollups import RollupBucket, RollupIncrement, RollupKey
from .dynamo_tables import StatsModel

MARKER_DAYS = 14
ALERT_DAYS = 90


TRANSACTION_ITEMS = 100  # DynamoDB's limit on the items of one TransactWriteItems


def _summed(group: Sequence[tuple[str, Sequence[RollupIncrement]]]) -> dict[tuple[str, str], Counter]:
    """Each bucket the group touches, with the sum of its deltas (in first-touched order)."""
    buckets: dict[tuple[str, str], Counter] = {}
    for _, increments in group:
        for increment in increments:
            buckets.setdefault((increment.key.partition_key, increment.key.sort_key), Counter()).update(increment.deltas)
    return buckets


def _groups(entries: Sequence[tuple[str, Sequence[RollupIncrement]]], limit: int) -> Iterator[list]:
    """Entries whose markers and distinct buckets fit in one transaction; entries touching the same buckets (the
    same agent, team, category) are put together first, so each transaction shares as many buckets as it can
    (adding is commutative, so the order of counting does not matter)."""
    group: list = []
    buckets: set[tuple[str, str]] = set()
    for entry in sorted(entries, key=lambda e: sorted(i.key.partition_key for i in e[1])):
        touched = {(i.key.partition_key, i.key.sort_key) for i in entry[1]}
        if group and len(group) + 1 + len(buckets | touched) > limit:
            yield group
            group, buckets = [], set()
        group.append(entry)
        buckets |= touched
    if group:
        yield group


class DynamoStatsStore:
    def __init__(self, client=None):
        import boto3

        self._client = client or boto3.client(
            "dynamodb", region_name=StatsModel.Meta.region, endpoint_url=StatsModel.Meta.host)
        self.table = StatsModel.Meta.table_name
        self.writes = 0  # items written, for the benchmark

    def apply(self, idempotency: str, increments: Iterable[RollupIncrement]) -> bool:
        """Adds the increments once; False when this key was applied before (a replay)."""
        return self.apply_many([(idempotency, list(increments))]) == 1

    def apply_many(self, entries: Sequence[tuple[str, Sequence[RollupIncrement]]]) -> int:
        """Adds each entry's increments once, in as few transactions as DynamoDB's 100 items allow: each holds the
        markers of its entries and each bucket they touch once, with the sum. A marker that exists already (a
        replayed entry) cancels the transaction: it is retried without that entry. Returns the entries added."""
        added = 0
        for group in _groups(entries, TRANSACTION_ITEMS):
            while group:
                replayed = self._write(group)
                if not replayed:
                    added += len(group)
                    break
                group = [entry for i, entry in enumerate(group) if i not in replayed]
        return added

    def _write(self, group: list[tuple[str, Sequence[RollupIncrement]]]) -> set[int]:
        """One transaction; the positions of the group's replayed entries (empty when it went through)."""
        expires = str(int(time.time()) + MARKER_DAYS * 86400)
        items: list[dict] = [{"Put": {
            "TableName": self.table, "Item": {"pk": {"S": key}, "sk": {"S": "marker"}, "expires_at": {"N": expires}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }} for key, _ in group]
        for (partition, sort), deltas in _summed(group).items():
            names = {f"#n{i}": name for i, name in enumerate(deltas)}
            values = {f":d{i}": {"N": str(delta)} for i, delta in enumerate(deltas.values())}
            items.append({"Update": {
                "TableName": self.table, "Key": {"pk": {"S": partition}, "sk": {"S": sort}},
                "UpdateExpression": "ADD " + ", ".join(f"#n{i} :d{i}" for i in range(len(names))),
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
            }})
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            replayed = {i for i, code in enumerate(reasons[:len(group)]) if code == "ConditionalCheckFailed"}
            if replayed:
                return replayed
            raise
        self.writes += len(items)
        return set()

    def query(self, period: str, dimension: str = "all", value: str = "all", start: str | None = None,
              end: str | None = None) -> list[RollupBucket]:
        """One series, oldest first: a Query on its partition, by period start."""
        key = RollupKey(period, "", dimension, value).partition_key
        condition, values = "pk = :pk", {":pk": {"S": key}}
        if start or end:
            condition += " AND sk BETWEEN :a AND :b"
            values.update({":a": {"S": start or "0000"}, ":b": {"S": end or "9999"}})
        buckets, request = [], {"TableName": self.table, "KeyConditionExpression": condition,
                                "ExpressionAttributeValues": values}
        while True:
            page = self._client.query(**request)
            for item in page["Items"]:
                counters = {name: int(v["N"]) for name, v in item.items() if "N" in v and name != "expires_at"}
                buckets.append(RollupBucket(RollupKey.from_keys(key, item["sk"]["S"]), counters))
            if "LastEvaluatedKey" not in page:
                return buckets
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim(self, key: str, days: int = MARKER_DAYS) -> bool:
        """A once-only marker (e.g. an early-warning alert of the day): False when it was claimed before."""
        try:
            self._client.put_item(TableName=self.table, ConditionExpression="attribute_not_exists(pk)", Item={
                "pk": {"S": key}, "sk": {"S": "marker"},
                "expires_at": {"N": str(int(time.time()) + days * 86400)}})
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # recent alerts ---------------------------------------------------------------------------------------------
    def record_alert(self, alert: Alert, at: datetime) -> None:
        self._client.put_item(TableName=self.table, Item={
            "pk": {"S": f"alerts#{at:%Y-%m-%d}"}, "sk": {"S": f"{at.isoformat()}#{alert.dedup_key or alert.type}"},
            "alert": {"S": json.dumps({"type": alert.type, "severity": alert.severity, "subject": alert.subject,
                                       "team": alert.team, "category": alert.category, "level": alert.level,
                                       "reference": alert.body.get("reference")}, ensure_ascii=False)},
            "expires_at": {"N": str(int(time.time()) + ALERT_DAYS * 86400)},
        })

    def recent_alerts(self, today: date, days: int = 7, limit: int = 50) -> list[dict]:
        found: list[dict] = []
        for back in range(days):
            day = today - timedelta(days=back)
            page = self._client.query(TableName=self.table, KeyConditionExpression="pk = :pk",
                                      ExpressionAttributeValues={":pk": {"S": f"alerts#{day:%Y-%m-%d}"}},
                                      ScanIndexForward=False, Limit=limit - len(found))
            found += [{"at": i["sk"]["S"].split("#", 1)[0], **json.loads(i["alert"]["S"])} for i in page["Items"]]
            if len(found) >= limit:
                break
        return found


class RecordedAlerts:
    """AlertPublisher that publishes, then keeps the alert for the dashboard's 'recent alerts'."""

    def __init__(self, inner, store: DynamoStatsStore, clock):
        self.inner, self.store, self.clock = inner, store, clock

    def publish(self, alert: Alert) -> None:
        self.inner.publish(alert)
        self.store.record_alert(alert, self.clock.now())


def utc_today() -> date:
    return datetime.now(timezone.utc).date()
