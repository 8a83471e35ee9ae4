"""Powertools Logger, Metrics and Tracer, shared by every function. Logs mask e-mails, phones and names."""
from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ().-]{7,}\d")
_PII_KEYS = {"name", "customer_name", "email", "customer_email", "phone", "customer_phone", "sender", "to"}


def mask(value: Any) -> Any:
    """Mask PII in log values: whole values under PII keys, and e-mails/phones inside free text."""
    if isinstance(value, dict):
        return {k: ("***" if k in _PII_KEYS and v else mask(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return _PHONE.sub("***phone***", _EMAIL.sub("***@***", value))
    return value


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict[str, Any]) -> str:
        return super().serialize(mask(log))


logger = Logger(logger_formatter=MaskingFormatter())
metrics = Metrics()
tracer = Tracer()
