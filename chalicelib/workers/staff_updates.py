"""From the complaints table's stream: the assignee who asked for it gets an e-mail when a complaint is assigned to
them or its customer writes again. Sent once per complaint version, so a retried stream record sends nothing new."""
from __future__ import annotations

from typing import Any

from ..config import settings
from ..wiring import services


def tell_assignee(old_image: dict[str, Any] | None, new_image: dict[str, Any]) -> str | None:
    """What the assignee was told (assigned, customer_wrote), or None."""
    from ..adapters.dynamo_repository import complaint_from_image
    from ..domain.staff_updates import staff_update
    from ..web.staff_mail import staff_mail

    new = complaint_from_image(new_image)
    if new.assignee is None:
        return None
    member = services.staff.store.get(new.assignee)
    if member is None or not member.active or not member.email_updates or not member.email:
        return None  # most versions end here, without a read
    old = complaint_from_image(old_image) if old_image else None
    event = services.repository.event(new.reference, new.version)
    kind = staff_update(old, new, event)
    if kind is not None:
        subject, text = staff_mail(kind, new, event, member.language, settings().public_base_url)
        services.notifier.send_to_staff(member.email, new.reference, new.version, subject, text)
    return kind
