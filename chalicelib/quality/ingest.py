"""Feeding the rollups: one complaint version (as the stream saw it) adds the counters of the event saved with it."""
from __future__ import annotations

from typing import Iterable, Protocol

from ..domain.model import Complaint
from ..domain.ports import ComplaintRepository
from .rollups import RollupIncrement, idempotency_key, updates_for


class RollupWriter(Protocol):
    def apply(self, idempotency: str, increments: Iterable[RollupIncrement]) -> bool: ...


class RollupIngest:
    def __init__(self, repository: ComplaintRepository, store: RollupWriter):
        self.repository, self.store = repository, store

    def count(self, complaint: Complaint) -> bool:
        """Counts the event whose seq is the complaint's version; False when already counted or not found."""
        history = self.repository.history(complaint.reference)  # one Query; resolutions need it (first contact)
        event = next((e for e in history if e.seq == complaint.version), None)
        increments = updates_for(event, complaint, history) if event is not None else []
        if not increments:
            return False  # nothing to count: no marker either
        return self.store.apply(idempotency_key(event), increments)
