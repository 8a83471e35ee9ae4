"""Which failures are worth retrying: the infrastructure's (throttling, conflicts, outages, timeouts), never the
content's. Workers retry the first kind and turn every other into a stored outcome."""
from __future__ import annotations

from ..domain.errors import ConcurrentModification
from ..domain.ports import DeliveryFailed

RETRYABLE_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "Throttling", "ThrottledException",
    "RequestLimitExceeded", "TooManyRequestsException", "TransactionConflictException", "TransactionInProgressException",
    "InternalServerError", "InternalFailure", "InternalError", "ServiceUnavailable", "ServiceUnavailableException",
    "RequestTimeout", "RequestTimeoutException", "SlowDown", "LimitExceededException", "KMSThrottlingException",
})


def is_transient(error: BaseException) -> bool:
    """True for an error that may pass if the same message is tried again later."""
    from botocore.exceptions import BotoCoreError, ClientError

    seen: set[int] = set()
    while error is not None and id(error) not in seen:  # PynamoDB and Powertools wrap the botocore error
        seen.add(id(error))
        if isinstance(error, (ConcurrentModification, BotoCoreError, ConnectionError, TimeoutError)):
            return True
        if isinstance(error, DeliveryFailed):
            return not error.permanent
        if isinstance(error, ClientError):
            return _client_error_is_transient(error)
        if type(error).__name__ in ("IdempotencyAlreadyInProgressError", "IdempotencyPersistenceLayerError"):
            return True
        error = error.__cause__ or error.__context__ or getattr(error, "cause", None)
    return False


def _client_error_is_transient(error) -> bool:
    details = error.response.get("Error", {})
    code = details.get("Code", "")
    if code == "TransactionCanceledException":  # transient when a reason is a conflict or throttling
        reasons = [r.get("Code") for r in error.response.get("CancellationReasons") or []]
        reasons += [r.code for r in getattr(error, "cancellation_reasons", None) or () if r]  # PynamoDB's copy
        return any(r in RETRYABLE_CODES or r == "TransactionConflict" for r in reasons)
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return code in RETRYABLE_CODES or status >= 500 or status == 429
