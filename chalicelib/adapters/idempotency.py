"""Powertools idempotency settings for everything sent once: customer messages (keyed on the whole message) and
manager alerts (keyed on their dedup key).

A send that was interrupted leaves an in-progress record; it expires with the invocation that made it, so the next
try sends. Workers register their Lambda context (`register_invocation`); without one (the API function, a local
run) an in-progress record expires after IN_PROGRESS_SECONDS, never after the record's 7 days."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

RECORD_SECONDS = 7 * 24 * 3600
IN_PROGRESS_SECONDS = 60

messages_once = IdempotencyConfig(expires_after_seconds=RECORD_SECONDS)
alerts_once = IdempotencyConfig(event_key_jmespath="dedup_key", expires_after_seconds=RECORD_SECONDS)


class _DefaultInvocation:
    """Stands in for a Lambda context where there is none: an invocation of IN_PROGRESS_SECONDS."""
    function_name = aws_request_id = "local"
    memory_limit_in_mb = 0
    invoked_function_arn = ""

    def get_remaining_time_in_millis(self) -> int:
        return IN_PROGRESS_SECONDS * 1000


def register_invocation(context: Any | None) -> None:
    """The invocation a send belongs to (None: the default budget)."""
    for config in (messages_once, alerts_once):
        config.register_lambda_context(context if context is not None else _DefaultInvocation())


register_invocation(None)
