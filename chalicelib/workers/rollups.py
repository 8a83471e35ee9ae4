"""KPI rollups from the complaints table's stream: each new complaint version (written with exactly one event,
version == seq) adds that event's counters, once, and its assignee hears of it if they asked (staff_updates).
Versions rewritten without an event (the derived next due instant) are skipped."""
from __future__ import annotations

from typing import Any

from ..observability import logger
from ..wiring import services
from .batch import process_batch


def handle_complaint_stream(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The batch's new versions are counted together (each bucket written once per batch); if that fails, the
    whole batch is reported failed and comes back (the markers keep what was counted from counting twice). Then
    each record's assignee is told, record by record."""
    from ..adapters.dynamo_repository import complaint_from_image

    records = event.get("Records") or []
    versions = [complaint_from_image(change["NewImage"]) for change in map(_new_version, records) if change]
    try:
        counted = services.rollups.count_batch(versions)
    except Exception:  # noqa: BLE001 - a store failure: the stream retries the batch (bisecting it)
        logger.exception("rollups failed, the batch will be retried", extra={"records": len(records)})
        return {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}
    logger.info("rollups", extra={"versions": len(versions), "counted": counted})
    return process_batch(event, context, _tell_assignee, event_type="DynamoDBStreams")


def _new_version(record: dict[str, Any]) -> dict[str, Any] | None:
    """The record's change when it stored a new version (with its event); None for a delete or a derived update."""
    change = record.get("dynamodb", {})
    new, old = change.get("NewImage") or {}, change.get("OldImage") or {}
    if not new or (old and old.get("version") == new.get("version")):
        return None
    return change


def _tell_assignee(record: Any) -> None:
    from .staff_updates import tell_assignee

    change = _new_version(record.raw_event)
    if change is None:
        return
    told = tell_assignee(change.get("OldImage") or None, change["NewImage"])
    if told:
        logger.info("assignee told", extra={"reference": change["NewImage"]["reference"]["S"], "told": told})
