"""The SLA in the life of a complaint: deadlines stamped from the history at every change, one-time timers kept in
step with them, and the check a timer (or the sweeper) runs: alerts due now, sent once, storms rolled up.

Ports (adapters implement them): SlaTimers (EventBridge Scheduler), Workload (running complaints per agent and the
round-robin cursor), AlertWindows (alerts per team in the storm window).
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

from ..domain.errors import ConcurrentModification
from ..domain.lifecycle import SYSTEM
from ..domain.model import Complaint, Event, Sender, Visibility
from ..domain.ports import AlertPublisher, ComplaintRepository, sharded
from ..domain.stages import Routing
from .clocks import SlaClocks, compute_clocks, next_deadline
from .config import SlaConfig, Team
from .escalation import Alert, alert_key, digest_alert, due_alerts
from .routing import assign, with_directory
from .terms import SlaTerms, spread_over


class SlaTimers(Protocol):
    def set(self, name: str, at: datetime, payload: dict, exists: bool) -> None:
        """Creates (or, when it `exists`, moves) the one-time schedule `name`; the scheduler deletes it after it
        fires."""

    def delete(self, name: str) -> None:
        """Deletes the schedule; a schedule that is gone already is fine."""


class Workload(Protocol):
    def open_by_agent(self, agents: list[str]) -> Counter:
        """How many open complaints each of these members holds (one read per agent, whatever the backlog)."""

    def last_assigned(self, cursor: str) -> str | None:
        """The agent a round-robin cursor ("<team>#<shard>", domain.ports.sharded) last gave a complaint to."""

    def remember_assignment(self, cursor: str, agent: str) -> None: ...


class Directory(Protocol):
    """The staff directory as routing needs it (chalicelib.domain.staff.StaffDirectory)."""

    clock: Any

    def of_team(self, team: str) -> list[Any]: ...

    def members(self) -> list[Any]: ...


class AlertWindows(Protocol):
    def count(self, team: str, window_start: datetime) -> int:
        """Adds one alert to the team's window and returns the count including it."""


ConfigSource = Callable[[], SlaConfig]  # the configuration in force now (chalicelib.sla.live.LiveSlaConfig.current)


def _source(config: SlaConfig | ConfigSource) -> ConfigSource:
    return config if callable(config) else (lambda: config)


class SlaKeeper:
    """Keeps the due fields and timers of a complaint in step with its history (the history is the truth)."""

    def __init__(self, config: SlaConfig | ConfigSource, timers: SlaTimers | None = None,
                 survey_delay: timedelta | None = None):
        self._config, self.timers, self.survey_delay = _source(config), timers, survey_delay

    @property
    def config(self) -> SlaConfig:
        return self._config()

    def terms(self, complaint: Complaint) -> SlaTerms:
        return self.config.terms_for(complaint.priority, complaint.category, complaint.channel, complaint.team,
                                     complaint.tier)

    def clocks(self, complaint: Complaint, history: list[Event], now: datetime) -> SlaClocks:
        return compute_clocks(complaint.created_at, history, self.terms(complaint), now)

    def tier_of(self, sender: Sender) -> str | None:
        return self.config.tier_of(sender.email, sender.phone)

    def stamp(self, complaint: Complaint, history: list[Event], now: datetime) -> Complaint:
        """The complaint with its deadlines, breach flag and next due instant (what the timers and the sweeper
        wake up for) recomputed from `history`, which must include the event being saved."""
        if complaint.status.value in ("invalid", "spam", "duplicate"):
            return complaint.evolve(next_due_at=None, timers={})  # no clocks: sync_timers deletes any schedules
        terms = self.terms(complaint)
        clocks = compute_clocks(complaint.created_at, history, terms, now)
        wanted = self.instants(complaint, history, clocks)
        return complaint.evolve(
            first_response_due_at=clocks.first_response.due_at or complaint.first_response_due_at,
            resolution_due_at=clocks.resolution.due_at or complaint.resolution_due_at,
            breached=clocks.breached,
            next_due_at=self._next_due(complaint, clocks, now),
            timers=_soonest(complaint.reference, wanted, terms.alert_lateness),
        )

    def _next_due(self, complaint: Complaint, clocks: SlaClocks, now: datetime) -> datetime | None:
        upcoming = next_deadline(clocks, now, escalate_after=self.config.escalation.l3_after_breach)
        if complaint.priority == "P1" and not complaint.assignee and complaint.status.is_open:
            unassigned_key = f"{complaint.reference}#unassigned_p1"
            if unassigned_key not in complaint.alerts_sent:
                return now  # an unassigned P1 alerts at once
        return upcoming

    def instants(self, complaint: Complaint, history: list[Event], clocks: SlaClocks) -> dict[str, datetime]:
        """"<clock>-<kind>" -> instant, for everything still to come: the clocks' alerts and the survey."""
        return {**self._wanted(complaint, clocks), **self._survey(complaint, history)}

    def _wanted(self, complaint: Complaint, clocks: SlaClocks) -> dict[str, datetime]:
        """"<clock>-<kind>" -> instant, for each running clock's warning and breach above the highest alert sent (a
        late check sends only the highest level due, so lower ones are passed, not pending). The L3 escalations,
        hours after a breach, are the sweeper's."""
        wanted = {}
        for clock in (c for c in clocks.current if c.running and c.due_at is not None):
            sent = [level for level in (1, 2, 3)
                    if alert_key(complaint.reference, clock.name, clock.cycle, level) in complaint.alerts_sent]
            instants = ((1, "warning", clock.warning_at), (2, "breach", clock.due_at))
            wanted.update({f"{clock.name}-{kind}": at for level, kind, at in instants
                           if at is not None and level > max(sent, default=0)})
        return wanted

    def _survey(self, complaint: Complaint, history: list[Event]) -> dict[str, datetime]:
        """The satisfaction survey's timer: `survey_delay` after a resolution, until its survey was sent."""
        if self.survey_delay is None or complaint.status.value != "resolved" or complaint.resolved_at is None:
            return {}
        if any(e.type == "survey_sent" and e.at >= complaint.resolved_at for e in history):
            return {}
        return {"survey-send": complaint.resolved_at + self.survey_delay}

    def sync_timers(self, before: Complaint | None, after: Complaint, fired: bool = False) -> int:
        """Creates, moves or deletes the complaint's one schedule (named after it) when its instant changed, or
        when it just `fired` (a fired schedule deletes itself); returns the calls made."""
        if self.timers is None:
            return 0
        old, new = (before.timers if before else {}), after.timers
        if old == new and not fired:
            return 0
        if not new:
            if fired:
                return 0
            self.timers.delete(after.reference)
            return 1
        ((key, at),) = new.items()
        clock, _, kind = key.rpartition("-")
        payload = {"reference": after.reference, "version": after.version, "clock": clock, "kind": kind}
        self.timers.set(after.reference, datetime.fromisoformat(at), payload, exists=bool(old) and not fired)
        return 1


def _soonest(reference: str, wanted: dict[str, datetime], lateness: timedelta) -> dict[str, str]:
    """The one timer a complaint keeps: "<clock>-<kind>" -> when it fires (the soonest wanted instant, moved a
    fixed part of the policy's alert lateness later); empty when nothing is wanted."""
    if not wanted:
        return {}
    fires = {key: at + spread_over(reference, key, lateness) for key, at in wanted.items()}
    key = min(fires, key=lambda k: (fires[k], k))
    return {key: fires[key].isoformat()}


class SkillRouter:
    """Router: the category's team, then the available agent with the skill and the least running load."""

    def __init__(self, config: SlaConfig | ConfigSource, workload: Workload, directory: Directory | None = None):
        self._config, self.workload, self.directory = _source(config), workload, directory

    @property
    def config(self) -> SlaConfig:
        return self._config()

    def roster(self, team: str) -> Team | None:
        """The team with its agents as they are now: the configuration's, and the staff directory's members."""
        if team not in self.config.teams:
            return None
        configured = self.config.teams[team]
        if self.directory is None:
            return configured
        return with_directory(configured, self.directory.of_team(team), self.directory.clock.now())

    def route(self, complaint: Complaint) -> Routing:
        team = self.config.routing.team_for(complaint.category)
        roster = self.roster(team)
        load = self.workload.open_by_agent([agent.id for agent in roster.agents]) if roster else Counter()
        # the round-robin cursor of the team's shard this complaint falls in: no single key takes every routing
        cursor = sharded(team, complaint.reference)
        assignment = assign(complaint.category, self.config, load, self.workload.last_assigned(cursor), roster=roster)
        if assignment.agent:
            self.workload.remember_assignment(sharded(assignment.team, complaint.reference), assignment.agent)
        return Routing(team=assignment.team, assignee=assignment.agent, reason=assignment.reason)

    def assignment_problem(self, team: str | None, assignee: str) -> tuple[str, str] | None:
        """Only the configured teams, and their active agents (configured or in the staff directory)."""
        roster = self.roster(team) if team else None
        if roster is None:
            return "team", f"unknown team {team!r}; teams: {', '.join(sorted(self.config.teams))}"
        inactive = {m.id for m in self.directory.members() if not m.active} if self.directory else set()
        members = [agent.id for agent in roster.agents if agent.id not in inactive]
        if assignee not in members:
            return "assignee", f"{assignee!r} is not an agent of team {team}; agents: {', '.join(members) or 'none'}"
        return None


class SlaMonitor:
    """What a timer or the sweeper does for one complaint: re-read it, and send the alerts due now (each once).
    A stale timer finds nothing due and changes nothing."""

    MAX_ATTEMPTS = 3

    def __init__(self, repository: ComplaintRepository, keeper: SlaKeeper, alerts: AlertPublisher,
                 windows: AlertWindows | None = None, base_url: str = ""):
        self.repository, self.keeper, self.alerts = repository, keeper, alerts
        self.windows, self.base_url = windows, base_url

    def check(self, reference: str, now: datetime, fired: bool = False) -> list[Alert]:
        """Sends the alerts due now that were not sent before. `fired`: the complaint's schedule woke this check
        (and deleted itself), so the next one is set whatever happens."""
        for attempt in range(self.MAX_ATTEMPTS):
            complaint = self.repository.find(reference)
            if complaint is None or not complaint.status.is_open:
                return []
            history = self.repository.history(reference)
            clocks = self.keeper.clocks(complaint, history, now)
            alerts = due_alerts(complaint, clocks, self.keeper.config, now, complaint.alerts_sent, self.base_url)
            if not alerts:
                stamped = self.keeper.stamp(complaint, history, now)
                self._refresh_due(complaint, stamped)
                if fired:
                    self.keeper.sync_timers(complaint, stamped, fired=True)
                return []
            event = Event(reference=reference, seq=complaint.version + 1, at=now, type="sla_alert", actor=SYSTEM.id,
                          actor_role=SYSTEM.role, visibility=Visibility.INTERNAL,
                          message="; ".join(a.subject for a in alerts),
                          data={"alerts": [{"key": a.key, "type": a.type, "level": a.level, "recipient": a.recipient}
                                           for a in alerts]})
            sent = (*complaint.alerts_sent, *(a.key for a in alerts))
            changed = self.keeper.stamp(complaint.evolve(alerts_sent=sent, version=event.seq, updated_at=now),
                                        [*history, event], now)
            # Published before they are marked sent, so a failed publish is retried, never lost; the publisher
            # sends each key once, so publishing again after a lost race repeats nothing.
            self._publish(alerts, now)
            try:
                self.repository.save(changed, event)
            except ConcurrentModification:
                if attempt == self.MAX_ATTEMPTS - 1:
                    raise
                continue
            self.keeper.sync_timers(complaint, changed, fired=fired)
            return alerts
        return []

    def _refresh_due(self, complaint: Complaint, stamped: Complaint) -> None:
        """Nothing due (a stale timer, or paused clocks): move the next due instant on, so the sweeper does not
        find this complaint again and again. Derived data: no event."""
        due = stamped.next_due_at
        if due != complaint.next_due_at:
            self.repository.set_next_due(complaint.reference, complaint.version, due)

    def _publish(self, alerts: list[Alert], now: datetime) -> None:
        """Past max_per_team alerts for a team within the window, the rest of the window's alerts become one
        digest (sent when the limit is first passed)."""
        settings = self.keeper.config.alerts
        for alert in alerts:
            if self.windows is None or not alert.team:
                self.alerts.publish(alert.to_port())
                continue
            window = _window_start(now, settings.window)
            count = self.windows.count(alert.team, window)
            if count <= settings.max_per_team:
                self.alerts.publish(alert.to_port())
            elif count == settings.max_per_team + 1:
                self.alerts.publish(digest_alert(alert.team, [alert], self.keeper.config, now, self.base_url).to_port())


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds()) or 60
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)
