"""Phrase tables shared by the rule-based detectors (spam, severity): rows of (signal, trigger word, pattern
[, back]). A pattern is tried only where its trigger word occurs, matched at the trigger or searched from `back`
characters before it, and compiled the first time a message has the trigger, so importing stays cheap."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Phrase:
    signal: str
    pattern: re.Pattern
    back: int  # characters before the trigger where the phrase may start


class PhraseTable:
    def __init__(self, rows: tuple[tuple, ...]):
        sources: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for signal, trigger, pattern, *back in rows:
            sources[trigger].append((signal, pattern, back[0] if back else 0))
        self._sources = dict(sources)
        self.triggers = frozenset(self._sources)
        self._compiled: dict[str, tuple[Phrase, ...]] = {}

    def phrases(self, trigger: str) -> tuple[Phrase, ...]:
        phrases = self._compiled.get(trigger)
        if phrases is None:
            phrases = tuple(Phrase(signal, re.compile(pattern), back) for signal, pattern, back in self._sources[trigger])
            self._compiled[trigger] = phrases
        return phrases
