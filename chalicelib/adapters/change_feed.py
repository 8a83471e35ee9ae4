"""A repository that reports each stored complaint version to a listener: the local stack's stand-in for the
complaints table's DynamoDB stream (moto cannot serve streams), feeding the KPI rollups as the stream does in AWS."""
from __future__ import annotations

from typing import Any, Callable

from ..domain.model import Complaint, Event
from ..observability import logger


class ChangeFeedRepository:
    def __init__(self, inner: Any, listener: Callable[[Complaint], Any]):
        self._inner, self._listener = inner, listener

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def create(self, complaint: Complaint, events: list[Event], dedup_key: str) -> bool:
        stored = self._inner.create(complaint, events, dedup_key)
        if stored:
            self._feed(complaint)
        return stored

    def save(self, complaint: Complaint, event: Event, claim: str | None = None) -> bool:
        stored = self._inner.save(complaint, event, claim=claim) if claim else self._inner.save(complaint, event)
        if stored:
            self._feed(complaint)
        return stored

    def _feed(self, complaint: Complaint) -> None:
        try:
            self._listener(complaint)
        except Exception:  # noqa: BLE001 - like a stream consumer, a failure here never undoes the write
            logger.exception("change feed listener failed", extra={"reference": complaint.reference})
