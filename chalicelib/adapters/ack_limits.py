"""AckLimiter on DynamoDB: one item per sender and day holding the references acknowledged, grown atomically."""
from __future__ import annotations

import time

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size

from .dynamo_tables import AckLimitModel


class DynamoAckLimiter:
    def __init__(self, cap_per_day: int):
        self.cap = cap_per_day

    def allow(self, sender: str, day: str, reference: str) -> bool:
        item = AckLimitModel(f"{sender}#{day}")
        try:
            item.update(
                actions=[AckLimitModel.references.add({reference}),
                         AckLimitModel.expires_at.set(int(time.time()) + 3 * 86400)],
                condition=(AckLimitModel.references.does_not_exist()
                           | (size(AckLimitModel.references) < self.cap)
                           | AckLimitModel.references.contains(reference)),
            )
        except UpdateError as error:
            if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
                return False
            raise
        return True
