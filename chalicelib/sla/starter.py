"""CalendarSla: the intake SlaStarter (chalicelib.domain.stages) on the SLA config, calendars and clocks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.model import Complaint
from chalicelib.domain.stages import SlaTargets

from .clocks import compute_clocks
from .config import SlaConfig


@dataclass
class CalendarSla:
    """First-response and resolution deadlines of a new complaint, in business time on its policy's calendar.

    Route before starting the SLA when policies use the "team" calendar: without a team, the fallback team's
    calendar applies. `tier` is the customer tier when the caller knows it (policies may match on it).
    """

    config: SlaConfig

    def start(self, complaint: Complaint, now: datetime, tier: str | None = None) -> SlaTargets:
        terms = self.config.terms_for(complaint.priority, complaint.category, complaint.channel, complaint.team, tier)
        clocks = compute_clocks(complaint.created_at, [], terms, now)
        return SlaTargets(clocks.first_response.due_at, clocks.resolution.due_at)
