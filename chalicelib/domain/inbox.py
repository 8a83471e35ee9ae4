"""The staff inbox: which index partitions (lanes) each view reads, how their pages merge, and what a row shows.
Pure Python over the repository port (chalicelib.domain.ports.read_lane); the console page is chalicelib.web.
console_inbox."""
from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from .lifecycle import next_due
from .model import Complaint
from .ports import Chunk, ComplaintRepository, Lane, Page, Position


def queue_due(complaint: Complaint) -> datetime | None:
    """Where an open complaint stands in the queues (the `sla_due_at` the inbox indexes sort by): its SLA deadline
    that matters now (first response until there is one, then resolution; in the past once breached), else when it
    came in; None once it is not open. Unlike next_due_at (the next instant the SLA timers wake up for, which is
    absent while every clock is paused or once the last escalation is past), it is there for every open complaint."""
    if not complaint.status.is_open:
        return None
    return next_due(complaint) or complaint.created_at


# -- cursors: opaque to the browser, not secrets (base64 of JSON); a cursor we did not issue reads as none ----------
def encode(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None) -> Any:
    if not cursor or len(cursor) > 4000:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return None


def position(value: Any) -> Position | None:
    """A position from a decoded cursor: two short strings, else None."""
    if (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and 0 < len(v) <= 64 for v in value)):
        return value[0], value[1]
    return None


def lane_page(repository: ComplaintRepository, lane: Lane, limit: int, cursor: str | None) -> Page:
    """One page of a single lane: `limit` complaints and a cursor when there are more (one Query of limit + 1)."""
    chunk: Chunk = repository.read_lane(lane, limit + 1, position(decode(cursor)))
    shown = chunk.items[:limit]
    more = len(chunk.items) > limit
    return Page([c for c, _ in shown], encode(list(shown[-1][1])) if more else None)
