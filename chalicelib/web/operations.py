"""Operations for managers: the dead letters, messages that failed every retry (redrive: `make redrive`, README)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from ..config import settings
from . import schemas as s
from .auth import StaffUser
from .http import route

operations_routes = Blueprint(__name__)


@route(operations_routes, "/staff/dead-letters", "GET", tag="operations", role="manager",
       summary="Messages that failed every retry, per dead-letter queue: count and a masked look at each",
       responses={200: s.DeadLetters, 401: s.ErrorResponse, 403: s.ErrorResponse})
def dead_letters(request: Any, user: StaffUser):
    from ..adapters.dead_letters import DeadLetters

    queues = DeadLetters(settings().dead_letter_queues).summary()
    return s.DeadLetters(queues=queues, total=sum(q["count"] for q in queues))
