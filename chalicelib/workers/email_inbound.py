"""The e-mail gateway's Lambda: SES notifications from the inbound topic (receipt rule: raw mail to S3, then a
notification), and SES feedback (bounces, complaints) about mail we sent."""
from __future__ import annotations

import json
from typing import Any

from ..observability import logger, metrics
from ..wiring import services


def handle_email_notifications(event: dict[str, Any], context: Any) -> None:
    """Each record is handled on its own; an error propagates so Lambda retries the notification, and a
    re-delivery stores nothing twice (the intake dedups on Message-ID, the mail log is keyed by SES id)."""
    from ..mail.ses import read_notification  # imported on use: mail parsing is not needed at cold start

    for record in event.get("Records", []):
        message = _ses_message(record)
        if message is None:
            continue
        try:
            note = read_notification(message)
        except ValueError as error:
            logger.warning("not an SES notification: skipped", extra={"error": str(error)})
            continue
        outcome = services.email_intake.receive(note)
        logger.info("email received", extra={"ses_message_id": note.ses_message_id, "kind": note.kind,
                                              "outcome": outcome.outcome, "disposition": outcome.disposition,
                                              "reference": outcome.reference})
        metrics.add_metric(name=f"Email_{outcome.outcome}", unit="Count", value=1)


def _ses_message(record: dict[str, Any]) -> dict[str, Any] | None:
    """The SES notification inside an SNS record (or a receipt rule's Lambda-action record)."""
    if "ses" in record:
        return record["ses"]
    try:
        return json.loads(record["Sns"]["Message"])
    except (KeyError, TypeError, ValueError):
        logger.warning("not an SNS notification with JSON: skipped")
        return None
