"""KPI rollups and recent alerts in the stats table. One event's increments and its marker are one transaction:
the marker's condition makes a replayed stream record count nothing (constant writes per event: 1 + increments)."""
from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

from ..domain.ports import Alert
from ..quality.rollups import RollupBucket, RollupIncrement, RollupKey
from .dynamo_tables import StatsModel

MARKER_DAYS = 14
ALERT_DAYS = 90


class DynamoStatsStore:
    def __init__(self, client=None):
        import boto3

        self._client = client or boto3.client(
            "dynamodb", region_name=StatsModel.Meta.region, endpoint_url=StatsModel.Meta.host)
        self.table = StatsModel.Meta.table_name
        self.writes = 0  # items written, for the benchmark

    def apply(self, idempotency: str, increments: Iterable[RollupIncrement]) -> bool:
        """Adds the increments once; False when this key was applied before (a replay)."""
        items = [{"Put": {
            "TableName": self.table,
            "Item": {"pk": {"S": idempotency}, "sk": {"S": "marker"},
                     "expires_at": {"N": str(int(time.time()) + MARKER_DAYS * 86400)}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }}]
        for increment in increments:
            names = {f"#n{i}": name for i, name in enumerate(increment.deltas)}
            values = {f":d{i}": {"N": str(delta)} for i, delta in enumerate(increment.deltas.values())}
            items.append({"Update": {
                "TableName": self.table,
                "Key": {"pk": {"S": increment.key.partition_key}, "sk": {"S": increment.key.sort_key}},
                "UpdateExpression": "ADD " + ", ".join(f"#n{i} :d{i}" for i in range(len(names))),
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
            }})
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            raise
        self.writes += len(items)
        return True

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
