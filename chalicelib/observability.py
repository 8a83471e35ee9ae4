"""Powertools Logger, Metrics and Tracer, shared by every function. Logs mask e-mails, phones and names."""
from __future__ import annotations

import functools
import re
from typing import Any, Callable

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# +44 20 7946 0958 | (020) 7946 0958 | 020-7946-0958 | 07946095800; not CMP-20261122-7QF3K, 2026-11-22 or 10:11:12
_PHONE = re.compile(
    r"(?<![\w-])(?:\+\d[\d ().-]{6,}\d|\(?\d{2,5}\)?[ .-]\d{3,4}[ .-]\d{3,4}|\d{10,15})(?![\w-])"
)
_PII_KEYS = {"name", "customer_name", "email", "customer_email", "phone", "customer_phone", "sender", "to", "recipient"}
# Fields Powertools writes itself: never personal, and a timestamp would look like a phone number.
_LOGGER_KEYS = {"timestamp", "level", "location", "service", "cold_start", "function_name", "function_memory_size",
                "function_arn", "function_request_id", "xray_trace_id", "correlation_id", "sampling_rate"}


def mask(value: Any) -> Any:
    """Mask PII in log values: whole values under PII keys, and e-mails/phones inside free text."""
    if isinstance(value, dict):
        return {
            k: v if k in _LOGGER_KEYS else "***" if k in _PII_KEYS and v else mask(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return _PHONE.sub("***phone***", _EMAIL.sub("***@***", value))
    return value


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict[str, Any]) -> str:
        return super().serialize(mask(log))


class LazyTracer:
    """Powertools Tracer, created at the first traced call. Building it imports the X-Ray SDK, which creates a
    botocore client (about 0.2-0.4 s): the worker pays that once, and not at every import of the app."""

    def __init__(self) -> None:
        self._tracer: Any = None

    @property
    def tracer(self) -> Any:
        if self._tracer is None:
            from aws_lambda_powertools import Tracer

            self._tracer = Tracer()
        return self._tracer

    def capture_method(self, method: Callable[..., Any]) -> Callable[..., Any]:
        traced: Callable[..., Any] | None = None

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal traced
            if traced is None:
                traced = self.tracer.capture_method(method)
            return traced(*args, **kwargs)

        return call


logger = Logger(logger_formatter=MaskingFormatter())
metrics = Metrics()
tracer = LazyTracer()
