"""Intake queue worker: each SQS record is one normalized message; failures are reported per record."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from ..adapters.intake_codec import decode
from ..adapters.transient import is_transient
from ..observability import logger, metrics, tracer
from ..wiring import services
from .batch import process_batch


def handle_intake_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Returns {"batchItemFailures": [...]} so only failed records are retried (and reach the DLQ)."""
    return process_batch(event, context, process_record)


@tracer.capture_method
def process_record(record: Any) -> str:
    message = decode(record.body)
    logger.set_correlation_id(message.reference or message.thread_reference)
    try:
        result = services.pipeline.process(message)
    except Exception as error:
        if is_transient(error):
            raise
        # Content is never a reason to retry: whatever the message made fail, it is stored with the reason.
        logger.exception("intake message stored as unprocessable", extra={"message_id": record.message_id})
        result = services.pipeline.reject(message, f"{type(error).__name__}: {error}")
    logger.set_correlation_id(result.reference)
    logger.info(
        "intake processed",
        extra={"new_complaint": result.created, "status": result.status.value, "channel": message.channel.value},
    )
    if result.created:
        with single_metric(
            name="ComplaintsStored", unit=MetricUnit.Count, value=1, namespace=metrics.namespace
        ) as metric:
            metric.add_dimension(name="channel", value=message.channel.value)
    else:
        metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)
    return result.reference
