"""KPI rollups from the complaints table's stream: each new complaint version (written with exactly one event,
version == seq) adds that event's counters, once, and its assignee hears of it if they asked (staff_updates). Versions rewritten without an event (the derived next due
instant) are skipped. Failures are reported per record, so the stream retries only those."""
from __future__ import annotations

from typing import Any

from ..observability import logger
from ..wiring import services
from .batch import process_batch


def handle_complaint_stream(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_batch(event, context, _on_record, event_type="DynamoDBStreams")


def _on_record(record: Any) -> None:
    change = record.raw_event.get("dynamodb", {})
    new, old = change.get("NewImage") or {}, change.get("OldImage") or {}
    if not new or (old and old.get("version") == new.get("version")):
        return  # a delete, or a derived update (no new event)
    from ..adapters.dynamo_repository import complaint_from_image

    from .staff_updates import tell_assignee

    complaint = complaint_from_image(new)
    counted = services.rollups.count(complaint)
    told = tell_assignee(old or None, new)
    logger.info("rollup", extra={"reference": complaint.reference, "version": complaint.version, "counted": counted,
                                 "assignee_told": told})
