"""Partial batch responses for queue and stream handlers: Powertools' BatchProcessor, one per event type, imported
on first use (the API function shares app.py and never processes batches)."""
from __future__ import annotations

import functools
from typing import Any, Callable


@functools.lru_cache(maxsize=None)
def _processor(event_type: str) -> Any:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType[event_type])


def process_batch(event: dict[str, Any], context: Any, record_handler: Callable[[Any], Any],
                  event_type: str = "SQS") -> dict[str, Any]:
    """Runs `record_handler` on each record; returns {"batchItemFailures": [...]} so only failures are retried."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return process_partial_response(event=event, record_handler=record_handler, processor=_processor(event_type),
                                    context=context)
