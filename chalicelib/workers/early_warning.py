"""Early warning, hourly: today's volume per category against its forecast (with the top terms and example
references of a spike), and the KPI triggers. Each alert goes out once a day (a marker per dedup key)."""
from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta, timezone

from ..observability import logger
from ..wiring import services

EXAMPLES = 5


def run_early_warning(now: datetime | None = None) -> list[str]:
    now = now or services.clock.now()
    day = now.date()
    start = datetime.combine(day, time.min, tzinfo=timezone.utc)
    reports = services.reports
    sent = []
    today_texts, before_texts, examples = {}, {}, {}
    for category in reports.categories:
        todays = services.repository.for_category(category, start, now)  # one bounded index query
        today_texts[category] = [f"{c.subject} {c.description}" for c in todays]
        examples[category] = [c.reference for c in todays[:EXAMPLES]]
        earlier = services.repository.for_category(category, start - timedelta(days=7), start)
        before_texts[category] = [f"{c.subject} {c.description}" for c in earlier]
    for alert in reports.early_warnings(day, today_texts, before_texts):
        if alert.type == "volume_spike":
            alert = dataclasses.replace(alert, body={**alert.body, "examples": examples.get(alert.category, [])})
        if services.alerts is not None:
            services.alerts.publish(alert)  # once per dedup key; claimed after SNS took it, so a failure retries
            if services.stats.claim(f"warning#{alert.dedup_key}"):
                sent.append(alert.dedup_key)
    logger.info("early warning", extra={"day": day.isoformat(), "alerts": sent})
    return sent
