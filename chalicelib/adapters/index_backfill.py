"""Writes the index keys a complaint item derives from its fields (open_team, open_assignee, sla_due_at,
triage_queue) where an item saved by an older release lacks them, so the inbox's indexes see complaints that were
open before those indexes existed. Run once after a deployment that adds a derived key (`make backfill`).

Reads the open complaints only, through `by_status` (a Query per open status, paged): closed complaints leave these
sparse indexes anyway. Safe to rerun, and to run while the service works: each update is conditional on the
version read, and a complaint changed meanwhile was stamped by its own save."""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import UpdateError

from ..domain.model import OPEN_STATUSES
from .dynamo_repository import _condition_failed, _from_item, _to_item
from .dynamo_tables import ComplaintModel

DERIVED = ("open_team", "open_assignee", "sla_due_at", "triage_queue")


@dataclass
class Backfilled:
    open_seen: int = 0
    updated: int = 0
    changed_meanwhile: int = 0


def backfill_derived_keys(page_size: int = 100) -> Backfilled:
    outcome = Backfilled()
    for status in sorted(s.value for s in OPEN_STATUSES):
        for item in ComplaintModel.by_status.query(status, page_size=page_size):
            outcome.open_seen += 1
            wanted = _to_item(_from_item(item))
            actions = [getattr(ComplaintModel, name).set(getattr(wanted, name)) for name in DERIVED
                       if getattr(wanted, name) is not None and getattr(item, name) != getattr(wanted, name)]
            if not actions:
                continue
            try:
                ComplaintModel(item.reference).update(actions=actions, condition=ComplaintModel.version == item.version)
                outcome.updated += 1
            except UpdateError as error:
                if not _condition_failed(error):
                    raise
                outcome.changed_meanwhile += 1
    return outcome
