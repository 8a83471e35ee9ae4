"""Who hears of a complaint version: the assignee, when it was just assigned to them or its customer wrote."""
from datetime import datetime, timezone

from chalicelib.domain.model import Event, Status
from chalicelib.domain.staff_updates import ASSIGNED, CUSTOMER_WROTE, staff_update
from tests.fakes import make_complaint

AT = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)


def event(type_: str, actor: str = "system") -> Event:
    return Event("CMP-20261122-7QF3K", 3, AT, type_, actor, "agent")


def test_assigned_by_routing_or_a_manager_but_not_by_taking_it():
    routed = make_complaint(status=Status.NEW, assignee="li.wei")
    assert staff_update(None, routed, event("received")) == ASSIGNED
    before = make_complaint(status=Status.IN_PROGRESS, assignee=None)
    moved = make_complaint(status=Status.IN_PROGRESS, assignee="li.wei")
    assert staff_update(before, moved, event("assign", "manager")) == ASSIGNED
    assert staff_update(before, moved, event("assign", "li.wei")) is None  # she took it herself


def test_the_customer_wrote_on_an_open_complaint_only():
    mine = make_complaint(status=Status.IN_PROGRESS, assignee="li.wei")
    assert staff_update(mine, mine, event("customer_message", "customer")) == CUSTOMER_WROTE
    assert staff_update(mine, mine, event("note", "manager")) is None
    closed = make_complaint(status=Status.CLOSED, assignee="li.wei")
    assert staff_update(closed, closed, event("customer_message", "customer")) is None
    assert staff_update(None, make_complaint(assignee=None), event("received")) is None
