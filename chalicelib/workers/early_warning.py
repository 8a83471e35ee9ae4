"""Early warning, hourly: today's volume per category (from the rollups) against its forecast, with the top
terms of a spike from a bounded sample of texts (TEXT_SAMPLE newest today and in the week before) and example
references, and the KPI triggers. Each alert goes out once a day (a marker per dedup key)."""
from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta, timezone

from ..observability import logger
from ..wiring import services

EXAMPLES = 5
TEXT_SAMPLE = 200  # newest texts per category and window read for a spike's top terms (volumes come from rollups)


def run_early_warning(now: datetime | None = None) -> list[str]:
    now = now or services.clock.now()
    day = now.date()
    start = datetime.combine(day, time.min, tzinfo=timezone.utc)
    reports = services.reports
    sent = []
    today_texts, before_texts, examples = {}, {}, {}
    for category in reports.categories:
        todays = services.repository.for_category(category, start, now, limit=TEXT_SAMPLE)
        today_texts[category] = [f"{c.subject} {c.description}" for c in todays]
        examples[category] = [c.reference for c in todays[:EXAMPLES]]
        earlier = services.repository.for_category(category, start - timedelta(days=7), start, limit=TEXT_SAMPLE)
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
