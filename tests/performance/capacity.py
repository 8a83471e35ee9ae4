"""A meter of AWS calls and DynamoDB capacity units for code that runs in-process on moto (`mock_aws`).

Inside `with CapacityMeter() as meter:` every botocore call is counted per service.operation, and each DynamoDB
call is charged the request units DynamoDB would bill for it, per table, per index and per partition-key value.
moto's own ConsumedCapacity is a constant, so the units are computed here from the items themselves, read from
moto's backend before and after each call.

Hooking: botocore copies its session's event handlers into each client when the client is created, so a handler
registered on a session later never reaches the clients already made (the wiring's cached clients, PynamoDB's
per-thread connection clients, the repository's own transaction connection, Powertools' idempotency client).
The meter therefore wraps `BaseClient._make_api_call`, through which every operation of every client passes, only
to register its `before-call` / `after-call` handlers on each client the first time it sees it; the counting
happens in those events, which carry the request as sent (DynamoDB's JSON body, keys typed) and the parsed answer.

Billing rules assumed (DynamoDB on-demand, standard table class):
* Item size: attribute name bytes + value bytes. Strings UTF-8 bytes; numbers ceil(significant digits / 2) + 1;
  binary bytes; boolean and null 1; sets the sum of their elements; lists and maps 3 + 1 per element + contents
  (a map element also counts its key).
* Writes, per item: ceil(max(size before, size after) / 1 KB), at least 1. PutItem, UpdateItem, DeleteItem and each
  BatchWriteItem entry once; each TransactWriteItems entry twice (prepare and commit). A ConditionCheck entry is
  billed like a write of the checked item, twice (measured on DynamoDB: 2 WCU for an item under 1 KB).
* A single write whose condition fails still consumes write units (the larger of the stored item and the new one,
  at least 1); no index is written. A cancelled transaction is assumed to bill each entry once (its prepare), on
  the table only: DynamoDB does not document this case.
* Global secondary indexes (never doubled by transactions): the index entry is the projected item (ALL: the whole
  item; KEYS_ONLY: table keys + index keys; INCLUDE: those + NonKeyAttributes); an item without every index key
  attribute is not in the index. In the index before and after with the same index keys: one write of
  ceil(entry after / 1 KB) when a projected attribute changed, else nothing; keys changed: a delete of the old entry
  plus a put of the new; only after: a put; only before: a delete. The ~100 bytes of per-entry storage overhead
  are not counted in write units. Local secondary indexes are ignored (the app has none).
* Reads: GetItem ceil(size / 4 KB), at least 1, half of it when eventually consistent; BatchGetItem the same per
  key requested; TransactGetItems twice per item. Query and Scan: ceil(sum of the sizes of the items evaluated /
  4 KB), at least 1, halved when eventually consistent (always on a GSI). The sizes are those of the whole stored
  item (or index entry), whatever ProjectionExpression returned. moto returns only the items a FilterExpression kept:
  when ScannedCount > Count, the items filtered out are assumed to be the size of the average item returned (or of
  the table's average item when none was returned).
"""
from __future__ import annotations

import base64
import json
import math
import re
import weakref
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import botocore.client

WRITE_UNIT, READ_UNIT = 1024, 4096
# USD per request unit, on demand: the prices the scale-and-cost issue was measured with (us-east-1 list prices were
# halved in November 2024, to $0.625 and $0.125 a million)
WRITE_PRICE, READ_PRICE = 1.25 / 1e6, 0.25 / 1e6
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


# item sizes -------------------------------------------------------------------------------------------------------
def value_size(value: dict) -> int:
    """The size of one attribute value in DynamoDB JSON ({"S": "..."}), without its name."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        mantissa = inner.strip().lstrip("+-").lower().split("e")[0].replace(".", "")
        digits = len(mantissa.strip("0")) or 1  # leading and trailing zeros are not stored
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(inner) if isinstance(inner, (bytes, bytearray)) else len(base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: element}) for element in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(element) for name, element in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict | None) -> int:
    """The size of an item (DynamoDB JSON) as DynamoDB bills it; 0 for no item."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in (item or {}).items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT))


def read_units(size: int) -> int:
    return max(1, math.ceil(size / READ_UNIT))


# table shapes, from moto's table objects ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]  # hash key, then range key
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shape:
    table: str
    keys: tuple[str, ...]
    indexes: dict[str, Index]

    def key_of(self, item: dict) -> dict:
        return {name: item[name] for name in self.keys}

    def entry(self, item: dict | None, index: Index) -> dict | None:
        """The item as `index` stores it; None when the item is not in the index (an index key is missing)."""
        if item is None or any(key not in item for key in index.keys):
            return None
        if index.projection == "ALL":
            return item
        kept = set(self.keys) | set(index.keys) | (set(index.include) if index.projection == "INCLUDE" else set())
        return {name: value for name, value in item.items() if name in kept}


@dataclass(frozen=True)
class Charge:
    kind: str  # write | read
    operation: str  # e.g. dynamodb.TransactWriteItems
    target: str  # the table, or "table/index"
    key: str  # the partition-key value written or read
    units: float
    step: str = ""  # the meter's step when it was charged


@dataclass
class _Write:
    shape: Shape
    key: dict
    action: str  # Put | Update | Delete | ConditionCheck
    factor: int  # 2 inside a transaction
    new: dict | None = None  # a Put's item
    before: dict | None = None


def _key_text(value: dict | None) -> str:
    if not value:
        return "?"
    (_, inner), = value.items()
    return inner if isinstance(inner, str) else json.dumps(inner, default=str)


# the meter ------------------------------------------------------------------------------------------------------------
class CapacityMeter:
    """Counts AWS calls and charges DynamoDB request units while active. `paused()` leaves out calls a test harness
    makes on behalf of AWS (e.g. SES storing a mail in S3); those belong in the test's own accounting."""

    def __init__(self, account_id: str | None = None):
        from moto.core import DEFAULT_ACCOUNT_ID

        self.account_id = account_id or DEFAULT_ACCOUNT_ID
        self.calls: Counter[str] = Counter()
        self.charges: list[Charge] = []
        self.step = ""  # a label the caller sets (e.g. "intake"); calls and charges are also summed per step
        self.step_calls: Counter[str] = Counter()
        self._shapes: dict[tuple[str, str], Shape] = {}
        self._clients: weakref.WeakSet = weakref.WeakSet()
        self._original = None
        self._paused = False
        self._id = f"capacity-meter-{id(self)}"

    # hooking -----------------------------------------------------------------------------------------------------------
    def __enter__(self) -> "CapacityMeter":
        original = self._original = botocore.client.BaseClient._make_api_call
        meter = self

        def _make_api_call(client, operation_name, api_params):
            if client not in meter._clients:
                meter._clients.add(client)
                client.meta.events.register("before-call.*.*", meter._before, unique_id=f"{meter._id}-before")
                client.meta.events.register("after-call.*.*", meter._after, unique_id=f"{meter._id}-after")
            return original(client, operation_name, api_params)

        botocore.client.BaseClient._make_api_call = _make_api_call
        return self

    def __exit__(self, *exc) -> None:
        botocore.client.BaseClient._make_api_call = self._original
        for client in list(self._clients):
            client.meta.events.unregister("before-call.*.*", unique_id=f"{self._id}-before")
            client.meta.events.unregister("after-call.*.*", unique_id=f"{self._id}-after")
        self._clients = weakref.WeakSet()

    @contextmanager
    def paused(self) -> Iterator[None]:
        self._paused = True
        try:
            yield
        finally:
            self._paused = False

    def _before(self, model: Any, params: dict, context: dict, **_) -> None:
        if self._paused or model.service_model.service_name != "dynamodb":
            return
        request = json.loads(params.get("body") or b"{}")
        region = context.get("client_region")
        writes = self._writes(model.name, request, region) if model.name in WRITE_OPERATIONS else []
        for write in writes:
            write.before = self._stored(write.shape, write.key, region)
        context[self._id] = (request, writes)

    def _after(self, model: Any, http_response: Any, parsed: dict, context: dict, **_) -> None:
        if self._paused:
            return
        operation = f"{model.service_model.service_name}.{model.name}"
        self.calls[operation] += 1
        self.step_calls[self.step] += 1
        if self._id not in context:
            return
        request, writes = context.pop(self._id)
        region = context.get("client_region")
        if http_response.status_code < 300:
            for write in writes:
                self._charge_write(operation, write, self._stored(write.shape, write.key, region))
            self._charge_reads(operation, model.name, request, parsed, region)
        else:
            code = parsed.get("Error", {}).get("Code", "")
            if code in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                for write in writes:  # nothing written: the table is billed for the attempt, no index
                    size = max(item_size(write.before), item_size(write.new))
                    units = write_units(size) * (1 if code == "TransactionCanceledException" else write.factor)
                    self._add("write", operation, write.shape.table, write.key, write.shape.keys[0], units)

    # moto's state ------------------------------------------------------------------------------------------------------
    def _table(self, name: str, region: str):
        from moto.dynamodb.exceptions import ResourceNotFoundException
        from moto.dynamodb.models import dynamodb_backends

        try:
            return dynamodb_backends[self.account_id][region].get_table(name)
        except ResourceNotFoundException:
            return None

    def shape(self, name: str, region: str) -> Shape | None:
        """A table's keys and global secondary indexes, read once from moto's table object."""
        if (name, region) not in self._shapes:
            table = self._table(name, region)
            if table is None:
                return None
            indexes = {index.name: Index(
                index.name, tuple(k["AttributeName"] for k in sorted(index.schema, key=lambda k: k["KeyType"])),
                (index.projection or {}).get("ProjectionType", "ALL"),
                tuple((index.projection or {}).get("NonKeyAttributes", ())),
            ) for index in table.global_indexes}
            self._shapes[(name, region)] = Shape(table.name, tuple(table.table_key_attrs), indexes)
        return self._shapes[(name, region)]

    def _stored(self, shape: Shape, key: dict, region: str) -> dict | None:
        """A copy of the stored item (DynamoDB JSON), or None."""
        table = self._table(shape.table, region)
        if table is None:
            return None
        from moto.dynamodb.models.dynamo_type import DynamoType

        range_key = DynamoType(key[shape.keys[1]]) if len(shape.keys) > 1 else None
        item = table.get_item(DynamoType(key[shape.keys[0]]), range_key)
        return None if item is None else {name: value.to_regular_json() for name, value in item.attrs.items()}

    def _average_size(self, shape: Shape, index: Index | None, region: str) -> int:
        table = self._table(shape.table, region)
        sizes = []
        for item in (table.all_items() if table is not None else []):
            plain = {name: value.to_regular_json() for name, value in item.attrs.items()}
            entry = shape.entry(plain, index) if index else plain
            if entry is not None:
                sizes.append(item_size(entry))
        return sum(sizes) // len(sizes) if sizes else 0

    # writes ------------------------------------------------------------------------------------------------------------
    def _writes(self, operation: str, request: dict, region: str) -> list[_Write]:
        writes: list[_Write] = []

        def add(table: str, action: str, body: dict, factor: int) -> None:
            shape = self.shape(table, region)
            if shape is None:
                return
            new = body.get("Item") if action == "Put" else None
            key = new if new is not None else body.get("Key", {})
            if all(name in key for name in shape.keys):  # else DynamoDB refuses the request: nothing to bill
                writes.append(_Write(shape, shape.key_of(key), action, factor, new))

        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            add(request["TableName"], operation[:-4], request, 1)
        elif operation == "BatchWriteItem":
            for table, entries in request.get("RequestItems", {}).items():
                for entry in entries:
                    if "PutRequest" in entry:
                        add(table, "Put", entry["PutRequest"], 1)
                    else:
                        add(table, "Delete", entry["DeleteRequest"], 1)
        elif operation == "TransactWriteItems":
            for entry in request.get("TransactItems", []):
                (action, body), = entry.items()
                add(body["TableName"], action, body, 2)
        return writes

    def _charge_write(self, operation: str, write: _Write, after: dict | None) -> None:
        shape, before = write.shape, write.before
        if write.action == "ConditionCheck":
            self._add("write", operation, shape.table, write.key, shape.keys[0], 2 * write_units(item_size(before)))
            return
        self._add("write", operation, shape.table, write.key, shape.keys[0],
                  write.factor * write_units(max(item_size(before), item_size(after))))
        for index in shape.indexes.values():
            old, new = shape.entry(before, index), shape.entry(after, index)
            target = f"{shape.table}/{index.name}"
            same_keys = old is not None and new is not None and all(old[k] == new[k] for k in index.keys)
            if same_keys:
                if old != new:
                    self._add("write", operation, target, new, index.keys[0], write_units(item_size(new)))
                continue
            if old is not None:
                self._add("write", operation, target, old, index.keys[0], write_units(item_size(old)))
            if new is not None:
                self._add("write", operation, target, new, index.keys[0], write_units(item_size(new)))

    # reads -------------------------------------------------------------------------------------------------------------
    def _charge_reads(self, operation: str, name: str, request: dict, parsed: dict, region: str) -> None:
        if name == "GetItem":
            self._charge_gets(operation, request["TableName"], [request["Key"]], request.get("ConsistentRead"), region)
        elif name == "BatchGetItem":
            for table, ask in request.get("RequestItems", {}).items():
                self._charge_gets(operation, table, ask.get("Keys", []), ask.get("ConsistentRead"), region)
        elif name == "TransactGetItems":
            for entry in request.get("TransactItems", []):
                self._charge_gets(operation, entry["Get"]["TableName"], [entry["Get"]["Key"]], True, region, factor=2)
        elif name in ("Query", "Scan"):
            self._charge_query(operation, name, request, parsed, region)

    def _charge_gets(self, operation: str, table: str, keys: list[dict], consistent: bool | None, region: str,
                     factor: float = 1) -> None:
        shape = self.shape(table, region)
        if shape is None:
            return
        for key in keys:  # each item rounded on its own; a missing item still costs the minimum
            units = read_units(item_size(self._stored(shape, key, region))) * factor * (1 if consistent else 0.5)
            self._add("read", operation, table, key, shape.keys[0], units)

    def _charge_query(self, operation: str, name: str, request: dict, parsed: dict, region: str) -> None:
        shape = self.shape(request["TableName"], region)
        if shape is None:
            return
        index = shape.indexes.get(request.get("IndexName") or "")
        sizes = []
        for returned in parsed.get("Items", []):
            whole = self._stored(shape, shape.key_of(returned), region) if all(
                k in returned for k in shape.keys) else None  # the whole entry, whatever the projection returned
            entry = (shape.entry(whole, index) if index else whole) if whole is not None else returned
            sizes.append(item_size(entry))
        filtered_out = parsed.get("ScannedCount", len(sizes)) - len(sizes)
        if filtered_out > 0:
            average = sum(sizes) // len(sizes) if sizes else self._average_size(shape, index, region)
            sizes.extend([average] * filtered_out)
        consistent = bool(request.get("ConsistentRead")) and index is None
        units = read_units(sum(sizes)) * (1 if consistent else 0.5)
        target = f"{shape.table}/{index.name}" if index else shape.table
        hash_name = index.keys[0] if index else shape.keys[0]
        key = {hash_name: _queried_value(request, hash_name)} if name == "Query" else {}
        self._add("read", operation, target, key, hash_name, units)

    # accounting --------------------------------------------------------------------------------------------------------
    def _add(self, kind: str, operation: str, target: str, item: dict | None, hash_name: str, units: float) -> None:
        key = _key_text((item or {}).get(hash_name)) if item else "(scan)"
        self.charges.append(Charge(kind, operation, target, key, units, self.step))

    def units(self, kind: str, by: str = "target") -> Counter:
        """Units of `kind` (write | read) summed by target (table or table/index), operation, table, key or step."""
        totals: Counter = Counter()
        for charge in self.charges:
            if charge.kind == kind:
                label = {"target": charge.target, "operation": charge.operation, "key": f"{charge.target} {charge.key}",
                         "table": charge.target.split("/")[0], "step": charge.step}[by]
                totals[label] += charge.units
        return totals

    @property
    def write_units(self) -> float:
        return sum(c.units for c in self.charges if c.kind == "write")

    @property
    def read_units(self) -> float:
        return sum(c.units for c in self.charges if c.kind == "read")

    def tables(self) -> set[str]:
        return {charge.target.split("/")[0] for charge in self.charges}

    def hottest(self, kind: str, n: int = 5) -> list[tuple[str, float]]:
        return self.units(kind, by="key").most_common(n)

    def summary(self) -> dict:
        """The figures as plain data (for JSON or comparison)."""
        return {"calls": dict(sorted(self.calls.items())), "write_units": self.write_units,
                "read_units": self.read_units, "write_units_by_target": dict(sorted(self.units("write").items())),
                "read_units_by_target": dict(sorted(self.units("read").items())),
                "write_units_by_operation": dict(self.units("write", "operation")),
                "read_units_by_operation": dict(self.units("read", "operation"))}

    def report(self) -> list[str]:
        """Printable lines: calls per operation, then write and read units per table with its indexes beneath."""
        lines = [f"AWS calls: {sum(self.calls.values())}"]
        lines += [f"  {operation:<34} {count:>4}" for operation, count in sorted(self.calls.items())]
        for kind, unit in (("write", "WCU"), ("read", "RCU")):
            by_target, by_table = self.units(kind), self.units(kind, by="table")
            total = sum(by_target.values())
            lines.append(f"DynamoDB {kind} units: {total:g} {unit} (each table with its indexes; each index beneath)")
            for table, units in by_table.most_common():
                lines.append(f"  {table:<34} {units:>7g}  ({100 * units / total:.0f}%)")
                for target, index_units in sorted(by_target.items(), key=lambda pair: -pair[1]):
                    if target.startswith(f"{table}/"):
                        lines.append(f"    /{target.split('/', 1)[1]:<31} {index_units:>7g}")
            lines.append("  by operation: " + ", ".join(
                f"{op.split('.', 1)[1]} {units:g}" for op, units in self.units(kind, "operation").most_common()))
            lines.append("  hottest keys: " + ", ".join(f"{key} {units:g}" for key, units in self.hottest(kind, 3)))
        return lines


def _queried_value(request: dict, hash_name: str) -> dict | None:
    """The partition-key value a Query names in its KeyConditionExpression (`#h = :v` or `name = :v`)."""
    names = request.get("ExpressionAttributeNames", {})
    values = request.get("ExpressionAttributeValues", {})
    for left, right in re.findall(r"([#\w.]+)\s*=\s*(:\w+)", request.get("KeyConditionExpression", "")):
        if names.get(left, left) == hash_name:
            return values.get(right)
    for name, condition in (request.get("KeyConditions") or {}).items():  # the legacy form
        if name == hash_name:
            return condition["AttributeValueList"][0]
    return None
