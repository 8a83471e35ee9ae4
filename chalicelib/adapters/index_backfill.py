"""After an upgrade: writes the index keys a complaint item derives from its fields (open_team, open_assignee,
sla_due_at, triage_queue, status_key) where an item saved by an older release lacks them or has them in an older
form (unsharded), so the indexes see complaints saved before. Run once after a deployment that adds or changes a
derived key (`make backfill`).

Reads the complaints of the last MAX_MONTHS_BACK months (the retention window) through `by_month`, a Query per month,
paged, and their items in batches. Safe to rerun, and to run while the service works: each update is conditional on
the version read, and a complaint changed meanwhile was stamped by its own save.

`recount_agent_load` sets each member's open-complaint counter (routing's load) from the same read: exact when no
assignment changes while it runs (run it right after the upgrade; a rerun corrects any drift)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterator

from pynamodb.exceptions import UpdateError

from ..domain.ports import ComplaintQuery
from .dynamo_repository import _condition_failed, _from_item, _months, _to_item
from .dynamo_tables import AgentLoadModel, ComplaintModel, StaffMemberModel

DERIVED = ("open_team", "open_assignee", "sla_due_at", "triage_queue", "status_key")


@dataclass
class Backfilled:
    open_seen: int = 0
    updated: int = 0
    changed_meanwhile: int = 0
    members_counted: int = 0


def backfill_derived_keys(page_size: int = 100) -> Backfilled:
    outcome, held = Backfilled(), Counter()
    for month in _months(ComplaintQuery()):
        keys = ComplaintModel.by_month.query(month, page_size=page_size)  # KEYS_ONLY: fetch each page's items
        for page in _pages((key.reference for key in keys), page_size):
            for item in ComplaintModel.batch_get(page):
                complaint = _from_item(item)
                if complaint.status.is_open:
                    outcome.open_seen += 1
                    if item.assignee:
                        held[item.assignee] += 1
                _write_missing_keys(item, outcome)
    outcome.members_counted = recount_agent_load(held)
    return outcome


def _pages(references: Iterator[str], size: int) -> Iterator[list[str]]:
    page: list[str] = []
    for reference in references:
        page.append(reference)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def _write_missing_keys(item: ComplaintModel, outcome: Backfilled) -> None:
    wanted = _to_item(_from_item(item))
    actions = [getattr(ComplaintModel, name).set(getattr(wanted, name)) for name in DERIVED
               if getattr(wanted, name) is not None and getattr(item, name) != getattr(wanted, name)]
    if not actions:
        return
    try:
        ComplaintModel(item.reference).update(actions=actions, condition=ComplaintModel.version == item.version)
        outcome.updated += 1
    except UpdateError as error:
        if not _condition_failed(error):
            raise
        outcome.changed_meanwhile += 1


def recount_agent_load(held: Counter) -> int:
    """Sets the counter of every member of the staff directory, and of anyone else who holds open complaints."""
    members = {item.id for item in StaffMemberModel.query("member")}
    with AgentLoadModel.batch_write() as batch:
        for agent in members | set(held):
            batch.save(AgentLoadModel(agent, open=held[agent]))
    return len(members | set(held))
