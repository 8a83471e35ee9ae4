"""SLA timers and the sweeper. A timer (an EventBridge Scheduler one-time schedule delivering to the timer queue, one
per complaint at a time, at the next instant something is due) names a complaint; the sweeper (an EventBridge rule every few minutes) finds what is due through the due-time
index, team by team, with no Scan. Both run the same check, which re-reads the complaint and sends only the
alerts due now that were not sent before, so a stale or repeated timer is a no-op and nothing fires twice."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..observability import logger
from ..wiring import services
from .batch import process_batch

SWEEP_LIMIT = 100  # due complaints read per team and sweep; the rest wait for the next sweep


def handle_timer_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_batch(event, context, _on_timer)


def _on_timer(record: Any) -> None:
    timer = json.loads(record.body)
    logger.set_correlation_id(timer["reference"])
    if timer.get("clock") == "survey":  # the satisfaction survey, a while after a resolution
        result = services.surveys.send(timer["reference"], services.clock.now())
        logger.info("survey timer", extra={"result": str(result)})
        return
    alerts = services.sla_monitor.check(timer["reference"], services.clock.now(), fired=True)
    logger.info("sla timer", extra={"clock": timer.get("clock"), "kind": timer.get("kind"),
                                    "timer_version": timer.get("version"), "alerts": [a.key for a in alerts]})


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Checks every complaint whose next due instant has passed; returns counts for the log."""
    now = now or services.clock.now()
    checked = fired = 0
    for team in services.live_config.current().teams:
        for complaint in services.repository.open_for_team(team, due_before=now, limit=SWEEP_LIMIT):
            checked += 1
            fired += len(services.sla_monitor.check(complaint.reference, now))
    logger.info("sla sweep", extra={"checked": checked, "alerts": fired})
    return {"checked": checked, "alerts": fired}
