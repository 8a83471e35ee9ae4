"""SmsConsents on DynamoDB: the number's state and its audit entry are written in one transaction."""
from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.ports import SmsConsentChange
from .dynamo_tables import SmsKeywordLogModel, SmsOptOutModel


class DynamoSmsConsents:
    def __init__(self, connection: Connection | None = None):
        self._connection = connection

    def record(self, change: SmsConsentChange) -> bool:
        self._connection = self._connection or Connection(region=SmsOptOutModel.Meta.region,
                                                          host=SmsOptOutModel.Meta.host)
        log = SmsKeywordLogModel(
            change.phone, change.message_id, keyword=change.keyword, action=change.action, state=change.state,
            at=change.at, provider=change.provider,
        )
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(log, condition=SmsKeywordLogModel.message_id.does_not_exist())
                if change.action in ("stop", "start"):
                    tx.save(SmsOptOutModel(change.phone, state=change.state, keyword=change.keyword,
                                           updated_at=change.at))
        except TransactWriteError as error:
            reasons = [getattr(r, "code", None) for r in (error.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # a re-delivered keyword: recorded before
            raise
        return True

    def opted_out(self, phone: str) -> bool:
        try:
            return SmsOptOutModel.get(phone, consistent_read=True).state == "opted_out"
        except DoesNotExist:
            return False
