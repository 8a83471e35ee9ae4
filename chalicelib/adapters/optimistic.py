"""Conditional writes: a lost optimistic lock (the condition failed) becomes ConcurrentModification."""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from ..domain.errors import ConcurrentModification


def save_if(item: Any, condition: Any, conflict: str) -> None:
    """Saves `item` only if `condition` holds; otherwise ConcurrentModification(conflict)."""
    try:
        item.save(condition=condition)
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise ConcurrentModification(conflict) from None
        raise
