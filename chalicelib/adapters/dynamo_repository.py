"""ComplaintRepository on DynamoDB: transactional writes, optimistic locking, Query-only reads."""
from __future__ import annotations

import base64
import json
from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.errors import ConcurrentModification, InvalidCommand, NotFound
from ..domain.model import Attachment, Channel, Complaint, Event, Sender, Status, Visibility
from ..domain.inbox import Plan, decode, lane_page, queue_due, read_page
from ..domain.ports import INDEX_SHARDS, Chunk, ComplaintQuery, Lane, Page, Position, assignee_key, lanes_of, sharded
from .dynamo_tables import AgentLoadModel, ComplaintModel, EventModel, MessageIndexModel

MAX_MONTHS_BACK = 24
SEARCH_EVALUATE = 100  # index entries one page of a staff list reads at most (then it returns a cursor)
# lane kind -> (index, its range attribute): the partitions the staff inbox reads (chalicelib.domain.inbox)
LANES = {
    "assignee": (ComplaintModel.by_assignee_due, ComplaintModel.sla_due_at),
    "team": (ComplaintModel.by_team_sla_due, ComplaintModel.sla_due_at),
    "status": (ComplaintModel.by_status, ComplaintModel.created_at),
    "triage": (ComplaintModel.by_triage, ComplaintModel.created_at),
    "email": (ComplaintModel.by_email, ComplaintModel.created_at),
    "phone": (ComplaintModel.by_phone, ComplaintModel.created_at),
    "month": (ComplaintModel.by_month, ComplaintModel.created_at),
}


class DynamoComplaintRepository:
    def __init__(self, connection: Connection | None = None):
        self._connection = connection

    def _transaction(self) -> TransactWrite:
        connection = self._connection = self._connection or Connection(region=ComplaintModel.Meta.region, host=ComplaintModel.Meta.host)
        return TransactWrite(connection=connection)

    # writes -----------------------------------------------------------------
    def create(self, complaint: Complaint, events: list[Event], dedup_key: str) -> bool:
        claim = _message_item(dedup_key, complaint.reference, complaint.created_at)
        try:
            with self._transaction() as tx:
                tx.save(claim, condition=MessageIndexModel.key.does_not_exist())
                tx.save(_to_item(complaint), condition=ComplaintModel.reference.does_not_exist())
                for event in events:
                    tx.save(_event_item(event), condition=EventModel.seq.does_not_exist())
                _count_load(tx, None, _holder(complaint))
        except TransactWriteError as error:
            reasons = [getattr(r, "code", None) for r in (error.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # this channel message was stored before
            raise
        return True

    def save(self, complaint: Complaint, event: Event, claim: str | None = None) -> bool:
        try:
            with self._transaction() as tx:
                tx.save(_to_item(complaint), condition=ComplaintModel.version == complaint.version - 1)
                tx.save(_event_item(event), condition=EventModel.seq.does_not_exist())
                _count_load(tx, _previous_holder(complaint, event), _holder(complaint))
                if claim:
                    item = _message_item(claim, complaint.reference, event.at)
                    tx.save(item, condition=MessageIndexModel.key.does_not_exist())
        except TransactWriteError as error:
            failed = [getattr(r, "code", None) == "ConditionalCheckFailed" for r in error.cancellation_reasons or []]
            if claim and failed and failed[-1]:
                return False  # this channel message was stored before
            if any(failed):
                raise ConcurrentModification(
                    f"{complaint.reference} changed while this action was applied; reload and retry"
                ) from error
            raise
        return True

    def set_next_due(self, reference: str, version: int, next_due_at: datetime | None) -> None:
        action = ComplaintModel.next_due_at.set(next_due_at) if next_due_at else ComplaintModel.next_due_at.remove()
        try:
            ComplaintModel(reference).update(actions=[action], condition=ComplaintModel.version == version)
        except UpdateError as error:
            if not _condition_failed(error):
                raise  # a newer version stamped its own due instant

    def remember_message(self, dedup_key: str, reference: str, at: datetime) -> None:
        try:
            _message_item(dedup_key, reference, at).save(
                condition=MessageIndexModel.key.does_not_exist())
        except PutError as error:
            if not _condition_failed(error):
                raise

    # reads ------------------------------------------------------------------
    def reference_for_message(self, dedup_key: str) -> str | None:
        try:
            return MessageIndexModel.get(dedup_key, consistent_read=True).reference
        except DoesNotExist:
            return None

    def find(self, reference: str) -> Complaint | None:
        try:
            return _from_item(ComplaintModel.get(reference, consistent_read=True))
        except DoesNotExist:
            return None

    def get(self, reference: str) -> Complaint:
        complaint = self.find(reference)
        if complaint is None:
            raise NotFound(f"complaint {reference} not found")
        return complaint

    def history(self, reference: str) -> list[Event]:
        return [_event_from_item(item) for item in EventModel.query(reference, consistent_read=True)]

    def event(self, reference: str, seq: int) -> Event | None:
        try:
            return _event_from_item(EventModel.get(reference, seq, consistent_read=True))
        except EventModel.DoesNotExist:
            return None

    def for_customer(self, email: str | None, phone: str | None, limit: int = 50) -> list[Complaint]:
        found: dict[str, datetime] = {}
        for index, identity in ((ComplaintModel.by_email, email), (ComplaintModel.by_phone, phone)):
            if identity:
                for key in index.query(identity, scan_index_forward=False, limit=limit):
                    found[key.reference] = key.created_at
        return _hydrate(sorted(found, key=found.__getitem__, reverse=True)[:limit])

    def open_for_team(self, team: str, due_before: datetime | None = None, limit: int = 100) -> list[Complaint]:
        """Soonest due first, at most `limit`: up to limit / INDEX_SHARDS from each shard of the team."""
        condition = ComplaintModel.next_due_at <= due_before if due_before else None
        each = -(-limit // INDEX_SHARDS)
        keys = [key for lane in lanes_of("team", team)
                for key in ComplaintModel.by_team_due.query(lane.partition, condition, limit=each)]
        keys.sort(key=lambda key: (key.next_due_at, key.reference))
        return _hydrate([key.reference for key in keys[:limit]])

    def get_many(self, references: list[str]) -> list[Complaint]:
        return _hydrate(references)

    def for_category(self, category: str, start: datetime, end: datetime, limit: int | None = None) -> list[Complaint]:
        condition = ComplaintModel.created_at.between(start, end)
        keys = ComplaintModel.by_category.query(category, condition, scan_index_forward=False, limit=limit)
        return _hydrate([key.reference for key in keys])

    def latest_in_category(self, category: str, limit: int) -> list[Complaint]:
        keys = ComplaintModel.by_category.query(category, scan_index_forward=False, limit=limit)
        return _hydrate([key.reference for key in keys])

    def read_lane(self, lane: Lane, limit: int, after: Position | None = None,
                  bound: datetime | None = None, fetch: bool = True) -> Chunk:
        index, sort = LANES[lane.kind]
        condition = None if bound is None else (sort <= bound if lane.ascending else sort >= bound)
        start = None
        if after is not None:  # the index's key and the table's: DynamoDB goes on right after that item
            hash_name = index._hash_key_attribute().attr_name
            start = {hash_name: {"S": lane.partition}, sort.attr_name: {"S": after[0]}, "reference": {"S": after[1]}}
        results = index.query(lane.partition, condition, scan_index_forward=lane.ascending, limit=limit, page_size=limit,
                              last_evaluated_key=start)
        positions = {key.reference: (sort.serialize(getattr(key, sort.attr_name)), key.reference) for key in results}
        more = len(positions) == limit and results.last_evaluated_key is not None
        if not fetch:
            return Chunk([(None, at) for at in positions.values()], len(positions),  # type: ignore[misc]
                         list(positions.values())[-1] if more else None)
        items = [(complaint, positions[complaint.reference]) for complaint in _hydrate(list(positions))]
        return Chunk(items, len(positions), list(positions.values())[-1] if more else None)

    def open_for_assignee(self, member_id: str, limit: int = 25, cursor: str | None = None) -> Page:
        return lane_page(self, Lane("assignee", member_id), limit, cursor)

    def search(self, query: ComplaintQuery) -> Page:
        """A page of the list: newest first, filtered. It evaluates at most SEARCH_EVALUATE index entries (and
        fetches those), so a filter that matches little returns a short page and a cursor, never a walk of the
        whole partition."""
        if query.status and not query.needs_triage:
            return self._search_status(query)
        cursor = _decode_cursor(query.cursor)
        items: list[Complaint] = []
        budget = max(query.limit, SEARCH_EVALUATE)
        for partition in self._partitions(query, cursor.get("p")):
            index, hash_key = partition
            results = index.query(
                hash_key,
                _created_between(query),
                scan_index_forward=False,
                limit=min(budget, query.limit - len(items)) if not _filtering(query) else budget,
                last_evaluated_key=cursor.pop("k", None),
            )
            try:
                references = [key.reference for key in results]
            except QueryError as error:
                if query.cursor and error.cause_response_code == "ValidationException":
                    raise _bad_cursor() from None  # a cursor we did not issue
                raise
            budget -= len(references)
            for complaint in _hydrate(references):
                if _matches(query, complaint) and len(items) < query.limit:
                    items.append(complaint)
                    last = complaint
            full, spent = len(items) >= query.limit, budget <= 0
            if full or spent:
                if full and items[-1].reference != references[-1]:  # stopped inside what was read
                    return Page(items, _encode_cursor({"p": hash_key, "k": _index_key(index, hash_key, last)}))
                if results.last_evaluated_key:
                    return Page(items, _encode_cursor({"p": hash_key, "k": results.last_evaluated_key}))
                following = self._next_partition(query, hash_key)
                return Page(items, _encode_cursor({"p": following}) if following else None)
        return Page(items, None)

    def _search_status(self, query: ComplaintQuery) -> Page:
        """A status's list: its shards merged newest first (domain.inbox.read_page), at most SEARCH_EVALUATE entries."""
        if query.cursor and not isinstance(decode(query.cursor), dict):
            raise _bad_cursor()
        end = query.created_to
        plan = Plan(lanes_of("status", query.status), bound=query.created_from, cap=SEARCH_EVALUATE)
        if _filtering(query) or end is not None:  # else the merge reads positions and fetches the page's rows only
            plan = replace(plan, keep=lambda c: _matches(query, c) and (end is None or c.created_at <= end))
        result = read_page(self, plan, query.limit, query.cursor)
        return Page(result.rows, result.cursor)

    # list planning ------------------------------------------------------------
    def _partitions(self, query: ComplaintQuery, start: str | None) -> Iterator[tuple[Any, str]]:
        """The (index, partition) pairs to read, newest first. Status or category pick one partition;
        otherwise we walk month partitions back from the end of the date range."""
        if query.needs_triage:
            yield ComplaintModel.by_triage, "needs_triage"
            return
        if query.category:
            yield ComplaintModel.by_category, query.category
            return
        months = _months(query)
        if start is not None:
            months = months[months.index(start):] if start in months else []
        for month in months:
            yield ComplaintModel.by_month, month

    def _next_partition(self, query: ComplaintQuery, current: str) -> str | None:
        if query.category or query.needs_triage:
            return None
        months = _months(query)
        position = months.index(current)
        return months[position + 1] if position + 1 < len(months) else None


def _months(query: ComplaintQuery) -> list[str]:
    end = query.created_to or datetime.now(timezone.utc)
    start = query.created_from or end - timedelta(days=31 * MAX_MONTHS_BACK)
    months, year, month = [], end.year, end.month
    while (year, month) >= (start.year, start.month) and len(months) <= MAX_MONTHS_BACK:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _created_between(query: ComplaintQuery):
    if query.created_from or query.created_to:
        start = query.created_from or datetime(2000, 1, 1, tzinfo=timezone.utc)
        end = query.created_to or datetime(2999, 1, 1, tzinfo=timezone.utc)
        return ComplaintModel.created_at.between(start, end)
    return None


def _wanted(query: ComplaintQuery) -> dict[str, Any]:
    """The list's filters the partition does not serve, as field -> value."""
    wanted = {"team": query.team, "priority": query.priority, "channel": query.channel, "breached": query.breached,
              "category": query.category if query.status or query.needs_triage else None,
              "status": query.status if query.needs_triage else None}
    return {name: value for name, value in wanted.items() if value is not None}


def _filtering(query: ComplaintQuery) -> bool:
    return bool(_wanted(query))


def _matches(query: ComplaintQuery, complaint: Complaint) -> bool:
    values = {"team": complaint.team, "priority": complaint.priority, "channel": complaint.channel.value,
              "breached": complaint.breached, "category": complaint.category, "status": complaint.status.value}
    return all(values[name] == value for name, value in _wanted(query).items())


def _index_key(index: Any, hash_key: str, complaint: Complaint) -> dict[str, Any]:
    """Where a read of `index` goes on right after `complaint` (its index key and table key, as DynamoDB writes
    LastEvaluatedKey)."""
    hash_name = index._hash_key_attribute().attr_name
    return {hash_name: {"S": hash_key}, "created_at": {"S": ComplaintModel.created_at.serialize(complaint.created_at)},
            "reference": {"S": complaint.reference}}


def _hydrate(references: list[str]) -> list[Complaint]:
    """The complaints, in the given order, in one BatchGetItem per 100 (eventually consistent: a list may lag a
    write by a moment; the complaint page reads strongly). Indexes are KEYS_ONLY, so this is how lists read."""
    if not references:
        return []
    found = {item.reference: _from_item(item) for item in ComplaintModel.batch_get(list(dict.fromkeys(references)))}
    return [found[r] for r in dict.fromkeys(references) if r in found]


def _encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise _bad_cursor() from None
    if _well_formed(data):
        return data
    raise _bad_cursor()


def _well_formed(data: Any) -> bool:
    """A cursor we issue: {"p": partition, "k": a DynamoDB key of string attributes}, both optional."""
    if not isinstance(data, dict) or set(data) - {"p", "k"} or not isinstance(data.get("p", ""), str):
        return False
    key = data.get("k", {})
    return isinstance(key, dict) and all(
        isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str) for value in key.values()
    )


def _bad_cursor() -> InvalidCommand:
    return InvalidCommand("cursor is not valid; use the next_cursor from a previous page", field="cursor")


# agent load: the open complaints each member holds ---------------------------------------------------------------
def _holder(complaint: Complaint) -> str | None:
    return complaint.assignee if complaint.status.is_open else None


def _previous_holder(complaint: Complaint, event: Event) -> str | None:
    """Who held the complaint before this change: its event records every changed field's old value."""
    changes = event.changes
    status = Status(changes["status"]["old"]) if "status" in changes else complaint.status
    assignee = changes["assignee"]["old"] if "assignee" in changes else complaint.assignee
    return assignee if status.is_open else None


def _count_load(tx: TransactWrite, before: str | None, after: str | None) -> None:
    if before == after:
        return
    for agent, step in ((before, -1), (after, 1)):
        if agent:
            tx.update(AgentLoadModel(agent), actions=[AgentLoadModel.open.add(step)])


def _condition_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


# mapping ----------------------------------------------------------------------
def _to_item(c: Complaint) -> ComplaintModel:
    return ComplaintModel(
        c.reference,
        version=c.version,
        status=c.status.value,
        status_key=sharded(c.status.value, c.reference),
        channel=c.channel.value,
        channel_message_id=c.channel_message_id,
        customer_name=c.sender.name,
        customer_email=c.sender.email,
        customer_phone=c.sender.phone,
        subject=c.subject,
        description=c.description,
        language=c.language,
        category=c.category,
        priority=c.priority,
        team=c.team,
        tier=c.tier,
        open_team=sharded(c.team, c.reference) if c.status.is_open and c.team else None,
        assignee=c.assignee,
        open_assignee=assignee_key(c),
        created_at=c.created_at,
        created_month=f"{c.created_at:%Y-%m}",
        updated_at=c.updated_at,
        next_due_at=c.next_due_at,
        sla_due_at=queue_due(c),
        first_response_due_at=c.first_response_due_at,
        resolution_due_at=c.resolution_due_at,
        first_response_at=c.first_response_at,
        customer_wrote_at=c.customer_wrote_at,
        acknowledged_at=c.acknowledged_at,
        ack_sent_at=c.ack_sent_at,
        resolved_at=c.resolved_at,
        closed_at=c.closed_at,
        resolution_code=c.resolution_code,
        root_cause=c.root_cause,
        breached=c.breached,
        screening_outcome=c.screening_outcome,
        screening_reason=c.screening_reason,
        duplicate_of=c.duplicate_of,
        needs_triage=c.needs_triage,
        triage_queue="needs_triage" if c.needs_triage and c.status.is_open else None,
        classification=c.classification or None,
        attachments=[asdict(a) for a in c.attachments] or None,
        email_thread=list(c.email_thread) or None,
        timers=c.timers or None,
        alerts_sent=list(c.alerts_sent) or None,
        token_hash=c.token_hash,
        expires_at=_epoch(c.closed_at + retention()) if c.status == Status.CLOSED and c.closed_at else None,
    )


def _from_item(i: ComplaintModel) -> Complaint:
    return Complaint(
        reference=i.reference,
        version=int(i.version),
        status=Status(i.status),
        channel=Channel(i.channel),
        channel_message_id=i.channel_message_id,
        sender=Sender(name=i.customer_name, email=i.customer_email, phone=i.customer_phone),
        subject=i.subject,
        description=i.description,
        language=i.language,
        category=i.category,
        priority=i.priority,
        team=i.team,
        tier=i.tier,
        assignee=i.assignee,
        created_at=i.created_at,
        updated_at=i.updated_at,
        next_due_at=i.next_due_at,
        first_response_due_at=i.first_response_due_at,
        resolution_due_at=i.resolution_due_at,
        first_response_at=i.first_response_at,
        customer_wrote_at=i.customer_wrote_at,
        acknowledged_at=i.acknowledged_at,
        ack_sent_at=i.ack_sent_at,
        resolved_at=i.resolved_at,
        closed_at=i.closed_at,
        resolution_code=i.resolution_code,
        root_cause=i.root_cause,
        breached=bool(i.breached),
        screening_outcome=i.screening_outcome,
        screening_reason=i.screening_reason,
        duplicate_of=i.duplicate_of,
        needs_triage=bool(i.needs_triage),
        classification=i.classification or {},
        attachments=tuple(Attachment(**a) for a in (i.attachments or [])),
        email_thread=tuple(i.email_thread or ()),
        timers=dict(i.timers or {}),
        alerts_sent=tuple(i.alerts_sent or ()),
        token_hash=i.token_hash,
    )


def complaint_from_image(image: dict[str, Any]) -> Complaint:
    """A complaint from a stream record's NewImage (DynamoDB JSON)."""
    return _from_item(ComplaintModel.from_raw_data(image))


def _event_item(e: Event) -> EventModel:
    return EventModel(
        e.reference,
        e.seq,
        at=e.at,
        type=e.type,
        actor=e.actor,
        actor_role=e.actor_role,
        visibility=e.visibility.value,
        changes=e.changes or None,
        message=e.message,
        data=e.data or None,
        example_for=(e.data or {}).get("example_for"),  # corrections join the by_example index
        expires_at=None if (e.data or {}).get("example_for") else _epoch(e.at + retention() + OUTLIVE),
    )


# retention: what TTL deletes, and when ----------------------------------------------------------------------------
# A closed complaint goes `retention` after its closing; its events and message ids go `retention + OUTLIVE` after
# they were written (so they outlive a complaint open for up to OUTLIVE). Kept: the KPI rollups (counts, no personal
# data) and the staff corrections that retraining learns from.
OUTLIVE = timedelta(days=365)


def retention() -> timedelta:
    from ..config import settings

    return timedelta(days=settings().retention_days)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _message_item(key: str, reference: str, at: datetime) -> MessageIndexModel:
    return MessageIndexModel(key, reference=reference, created_at=at, expires_at=_epoch(at + retention() + OUTLIVE))


def _event_from_item(i: EventModel) -> Event:
    return Event(
        reference=i.reference,
        seq=int(i.seq),
        at=i.at,
        type=i.type,
        actor=i.actor,
        actor_role=i.actor_role,
        visibility=Visibility(i.visibility),
        changes=i.changes or {},
        message=i.message,
        data=i.data or {},
    )
