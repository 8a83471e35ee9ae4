"""Feeding the rollups: one complaint version (as the stream saw it) adds the counters of the event saved with it."""
from __future__ import annotations

from typing import Iterable, Protocol, Sequence

from ..domain.model import Complaint
from ..domain.ports import ComplaintRepository
from .rollups import RollupIncrement, idempotency_key, needs_history, updates_for


class RollupWriter(Protocol):
    def apply(self, idempotency: str, increments: Iterable[RollupIncrement]) -> bool: ...

    def apply_many(self, entries: Sequence[tuple[str, Sequence[RollupIncrement]]]) -> int:
        """apply() for each entry, each once; the store may sum the increments of a batch onto each bucket."""


class RollupIngest:
    def __init__(self, repository: ComplaintRepository, store: RollupWriter):
        self.repository, self.store = repository, store

    def count(self, complaint: Complaint) -> bool:
        """Counts the event whose seq is the complaint's version; False when already counted or not found."""
        return self.count_batch([complaint]) == 1

    def count_batch(self, complaints: Sequence[Complaint]) -> int:
        """count() for a batch of versions (a stream batch): each event once, written together, so a bucket that
        several events touch is written once with their sum. Returns how many events were newly counted."""
        entries = []
        for complaint in complaints:
            event = self.repository.event(complaint.reference, complaint.version)  # one GetItem
            if event is None:
                continue
            # a resolution needs the history before it (first-contact resolution): one Query
            history = self.repository.history(complaint.reference) if needs_history(event) else None
            increments = updates_for(event, complaint, history)
            if increments:
                entries.append((idempotency_key(event), increments))
        return self.store.apply_many(entries) if entries else 0
