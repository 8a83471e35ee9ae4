"""Staff corrections as labelled examples, read through the events table's sparse `by_example` index (no Scan).

A correction event is written in the same transaction as the change it records, so every correction staff made is
here once. When a complaint was corrected more than once, its latest correction is the example.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .dynamo_tables import EventModel


@dataclass(frozen=True)
class LabelledExample:
    reference: str
    at: datetime
    text: str
    label: str  # what staff chose
    predicted: str | None  # what the complaint had before
    context: dict = field(default_factory=dict)  # the complaint's triage before the change (priority_rule, ...)


def labelled_examples(kind: str = "category", since: datetime | None = None) -> list[LabelledExample]:
    """The corrections of `kind` ("category" or "priority"), oldest first, one per complaint."""
    condition = EventModel.at > since if since else None
    latest: dict[str, LabelledExample] = {}
    for item in EventModel.by_example.query(kind, condition):  # in time order: a later correction replaces
        change, data = (item.changes or {}).get(kind) or {}, item.data or {}
        if change.get("new") and data.get("text"):
            latest.pop(item.reference, None)
            before = data.get("predicted") or {}
            latest[item.reference] = LabelledExample(item.reference, item.at, data["text"], change["new"],
                                                     before.get(kind), before)
    return list(latest.values())
