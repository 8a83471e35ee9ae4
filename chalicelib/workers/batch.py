"""Partial batch responses for queue and stream handlers: Powertools' BatchProcessor, one per event type, imported
on first use (the API function shares app.py and never processes batches). Every failed record is logged here with
its exception, its message id and receive count, and the complaint reference when the handler knew it (the logger's
correlation id); PII is masked by the logger."""
from __future__ import annotations

import functools
from typing import Any, Callable

from ..observability import logger


@functools.lru_cache(maxsize=None)
def _processor(event_type: str) -> Any:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType[event_type])


def process_batch(event: dict[str, Any], context: Any, record_handler: Callable[[Any], Any],
                  event_type: str = "SQS") -> dict[str, Any]:
    """Runs `record_handler` on each record; returns {"batchItemFailures": [...]} so only failures are retried."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    from ..adapters.idempotency import register_invocation

    register_invocation(context)  # a send interrupted in this invocation may be tried again once it is over
    return process_partial_response(event=event, record_handler=_logged(record_handler),
                                    processor=_processor(event_type), context=context)


def _logged(record_handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(record_handler)
    def handle(record: Any) -> Any:
        logger.set_correlation_id(None)
        try:
            return record_handler(record)
        except Exception as error:
            raw = getattr(record, "raw_event", {}) or {}
            logger.exception("record failed, it will be retried", extra={
                "message_id": raw.get("messageId") or raw.get("eventID"),
                "receive_count": (raw.get("attributes") or {}).get("ApproximateReceiveCount"),
                "event_source": raw.get("eventSourceARN") or raw.get("eventSource"),
                "error": f"{type(error).__name__}: {error}"[:1000],
            })
            raise
    return handle
