"""Which SLA alerts are due for a complaint, and alert-storm protection.

Levels, per clock (and per next-update cycle), only while the clock is running:
    L1  sla_warning     to the team lead   when the clock passes its warning fraction
    L2  sla_breach      to the manager     at the breach instant
    L3  sla_escalation  to head of service escalation.l3_after_breach (clock time) after the breach
Only the highest level due is produced, and each alert has a dedup key: the caller records sent keys and passes
them back, so nothing is ever repeated and a lower level is never sent after a higher one (a late scheduler run
that finds a clock already breached sends the breach, not a stale warning). An unassigned P1 alerts at once.

Storm protection: past alerts.max_per_team to one team within alerts.window, the rest are held for a digest.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Collection, Iterable, Mapping

from chalicelib.domain.model import Complaint

from .calendar import BusinessCalendar
from .clocks import Clock, SlaClocks, when
from .config import SlaConfig
from .durations import format_duration

SLA_WARNING, SLA_BREACH, SLA_ESCALATION, UNASSIGNED_P1, DIGEST = (
    "sla_warning", "sla_breach", "sla_escalation", "unassigned_p1", "digest"
)
SEVERITIES = ("info", "warning", "critical")  # lowest first; the vocabulary of domain.ports.Alert
_TYPE_BY_LEVEL = {1: SLA_WARNING, 2: SLA_BREACH, 3: SLA_ESCALATION}
_CLOCK_WORDS = {"first_response": "first response", "next_update": "next update", "resolution": "resolution"}


@dataclass(frozen=True)
class Alert:
    type: str  # sla_warning | sla_breach | sla_escalation | unassigned_p1 | digest
    severity: str  # info | warning | critical
    level: int  # 1 lead, 2 manager, 3 head of service
    team: str | None
    category: str
    recipient: str  # a role name or id from the config
    subject: str
    body: dict[str, Any]  # JSON-able
    key: str  # dedup key: record it once sent (or digested) and never send it again

    def to_port(self):  # -> chalicelib.domain.ports.Alert, for an AlertPublisher
        from chalicelib.domain.ports import Alert as PortAlert

        body = {**self.body, "recipient": self.recipient}
        return PortAlert(type=self.type, severity=self.severity, subject=self.subject, body=body, team=self.team,
                         category=self.category, level=f"L{self.level}", dedup_key=self.key)


@dataclass(frozen=True)
class Throttled:
    send_now: tuple[Alert, ...]
    held: dict[str, tuple[Alert, ...]]  # team -> alerts to roll into that team's digest


def due_alerts(
    complaint: Complaint,
    clocks: SlaClocks,
    config: SlaConfig,
    now: datetime,
    sent: Collection[str],
    base_url: str = "",
) -> list[Alert]:
    """The alerts due now for one complaint that have not been sent yet."""
    if not complaint.status.is_open:
        return []
    team = complaint.team or config.routing.fallback_team
    contacts = config.teams[team] if team in config.teams else config.teams[config.routing.fallback_team]
    recipients = {1: contacts.lead, 2: contacts.manager, 3: config.escalation.head_of_service}
    alerts = []
    if complaint.priority == "P1" and not complaint.assignee:
        alert = _unassigned(complaint, team, contacts.lead, base_url)
        if alert.key not in sent:
            alerts.append(alert)
    for clock in clocks.current:
        level = _level_due(clock, now, config.escalation.l3_after_breach)
        if level is None:
            continue
        local = config.team_calendar(team)  # times in subjects read in the team's timezone
        alert = _clock_alert(complaint, clock, level, team, recipients[level], now, base_url, local)
        if alert.key not in sent:
            alerts.append(alert)
    return alerts


def alert_key(reference: str, clock: str, cycle: int, level: int) -> str:
    return f"{reference}#{clock}#{cycle}#L{level}"


def throttle(alerts: Iterable[Alert], recent: Mapping[str | None, int], max_per_team: int) -> Throttled:
    """Partition alerts into send-now and per-team digest buckets.

    `recent` is how many alerts each team already received within the current window. A team gets at most
    max_per_team in the window; its most severe alerts go first, the rest are held for its digest.
    """
    by_team: dict[str | None, list[Alert]] = {}
    for alert in alerts:
        by_team.setdefault(alert.team, []).append(alert)
    send_now: list[Alert] = []
    held: dict[str, tuple[Alert, ...]] = {}
    for team, team_alerts in by_team.items():
        ranked = sorted(team_alerts, key=lambda a: (-SEVERITIES.index(a.severity), -a.level))  # stable sort
        allowance = max(0, max_per_team - recent.get(team, 0))
        send_now += ranked[:allowance]
        if ranked[allowance:]:
            held[team or ""] = tuple(ranked[allowance:])
    return Throttled(tuple(send_now), held)


def digest_alert(team: str, held: Iterable[Alert], config: SlaConfig, now: datetime, base_url: str = "") -> Alert:
    """One message that rolls up the alerts held back for a team (sent to the team lead, never throttled)."""
    held = list(held)
    window = config.alerts.window
    categories = sorted({a.category for a in held})
    severity = max((a.severity for a in held), key=SEVERITIES.index, default="info")
    lead = config.teams[team].lead if team in config.teams else config.teams[config.routing.fallback_team].lead
    fingerprint = hashlib.sha256("|".join(sorted(a.key for a in held)).encode()).hexdigest()[:12]
    return Alert(
        type=DIGEST,
        severity=severity,
        level=max((a.level for a in held), default=1),
        team=team,
        category=categories[0] if len(categories) == 1 else "various",
        recipient=lead,
        subject=f"SLA digest for team {team}: {len(held)} more alert{'s' if len(held) != 1 else ''} "
                f"in the last {format_duration(window, days=True)}",
        body={
            "type": DIGEST,
            "team": team,
            "count": len(held),
            "window": format_duration(window, days=True),
            "at": now.isoformat(),
            "alerts": [
                {"key": a.key, "type": a.type, "severity": a.severity, "subject": a.subject,
                 "reference": a.body.get("reference"), "link": a.body.get("link")}
                for a in held
            ],
        },
        key=f"digest#{team}#{fingerprint}",
    )


# -- building alerts -----------------------------------------------------------------------------------------
def _level_due(clock: Clock, now: datetime, l3_after: timedelta) -> int | None:
    """The highest escalation level a running clock has reached at `now`."""
    if not clock.running:
        return None
    if clock.due_at is not None and clock.due_at <= now:
        return 3 if clock.due_at + l3_after <= now else 2
    if clock.warning_at is not None and clock.warning_at <= now:
        return 1
    return None


def _clock_alert(
    complaint: Complaint,
    clock: Clock,
    level: int,
    team: str,
    recipient: str,
    now: datetime,
    base_url: str,
    local: BusinessCalendar,
) -> Alert:
    words = _CLOCK_WORDS[clock.name] + (f" (update {clock.cycle})" if clock.name == "next_update" else "")
    due = when(clock.due_at, local)
    if level == 1:
        subject = f"SLA warning: {complaint.reference} {words} due {due}"
    elif level == 2:
        subject = f"SLA breached: {complaint.reference} {words} was due {due}"
    else:
        overdue = format_duration(now - clock.due_at, days=True) if clock.due_at else "a while"
        subject = f"SLA escalation: {complaint.reference} {words} breached {overdue} ago"
    body = {
        **_basics(complaint, team, base_url),
        "clock": clock.name,
        "cycle": clock.cycle,
        "level": level,
        "recipient": recipient,
        "state": clock.state,
        "due_at": _iso(clock.due_at),
        "warning_at": _iso(clock.warning_at),
        "target": format_duration(clock.target),
        "elapsed": format_duration(clock.elapsed),
        "reason": clock.reason,
    }
    return Alert(
        type=_TYPE_BY_LEVEL[level], severity=_severity(level, complaint.priority), level=level, team=team,
        category=complaint.category, recipient=recipient, subject=f"[{complaint.priority}] {subject}", body=body,
        key=alert_key(complaint.reference, clock.name, clock.cycle, level),
    )


def _unassigned(complaint: Complaint, team: str, lead: str, base_url: str) -> Alert:
    return Alert(
        type=UNASSIGNED_P1, severity="critical", level=1, team=team, category=complaint.category, recipient=lead,
        subject=f"[P1] Unassigned: {complaint.reference} ({complaint.category}) needs an owner now",
        body={**_basics(complaint, team, base_url), "level": 1, "recipient": lead},
        key=f"{complaint.reference}#unassigned_p1",
    )


def _basics(complaint: Complaint, team: str, base_url: str) -> dict[str, Any]:
    return {
        "reference": complaint.reference,
        "priority": complaint.priority,
        "category": complaint.category,
        "team": team,
        "assignee": complaint.assignee,
        "status": complaint.status.value,
        "subject": complaint.subject,
        "link": f"{base_url.rstrip('/')}/console/complaints/{complaint.reference}",  # the console page
    }


def _severity(level: int, priority: str) -> str:
    """A warning is 'warning' (for a P1 'critical'); a breach and its escalation are 'critical'."""
    return "warning" if level == 1 and priority != "P1" else "critical"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
