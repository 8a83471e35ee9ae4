"""Which staff member hears of a new complaint version: the assignee, when the complaint has just been assigned to
them (by routing or by someone else) or when its customer wrote again. Pure."""
from __future__ import annotations

from ..domain.model import Complaint, Event

ASSIGNED, CUSTOMER_WROTE = "assigned", "customer_wrote"


def staff_update(old: Complaint | None, new: Complaint, event: Event | None) -> str | None:
    """ASSIGNED, CUSTOMER_WROTE or None. A member's own action (they took it) tells them nothing."""
    if new.assignee is None or not new.status.is_open:
        return None
    if event is not None and event.actor == new.assignee:
        return None
    if old is None or old.assignee != new.assignee:
        return ASSIGNED
    if event is not None and event.type == "customer_message":
        return CUSTOMER_WROTE
    return None
