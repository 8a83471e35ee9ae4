"""Reports on a year of rollups (20 categories, 10 teams) answer fast, warm and in-process on moto; the rollup
update writes the same number of items per event whatever the data size. Figures are printed."""
from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

import boto3

from chalicelib.quality.rollups import PERIODS, RollupIncrement, RollupKey, period_start
from tests.integration.conftest import provision_fake_aws, staff_headers

CATEGORIES = [f"category-{n:02d}" for n in range(20)]
TEAMS = [f"team-{n:02d}" for n in range(10)]
DAYS = 365
BUDGET_MS = 200


def _year_of_buckets(today: date):
    """One bucket per (period start, series) over a year, with plausible counters."""
    series = [("all", "all"), *(("category", c) for c in CATEGORIES), *(("team", t) for t in TEAMS),
              *(("channel", c) for c in ("web", "email", "sms"))]
    seen = set()
    for back in range(DAYS):
        day = today - timedelta(days=back)
        for period in PERIODS:
            for dimension, value in series:
                key = RollupKey(period, period_start(day, period), dimension, value)
                if key not in seen:
                    seen.add(key)
                    yield key, {"received": 12, "volume": 11, "opened": 11, "closed": 10, "frt_count": 9,
                                "frt_sum_s": 9 * 5400, "frt_h10": 9, "res_count": 8, "res_sum_s": 8 * 86400,
                                "res_h16": 8, "resolved_first": 8, "fcr": 5, "reopened": 1, "sla_met_first_response": 8,
                                "sla_breached_first_response": 1, "surveys_sent": 6, "csat_count": 3, "csat_sum": 12,
                                "csat_satisfied": 2, "cause:process": 4, "cause:product": 2, "cause:people": 2}


def _load(table: str, buckets) -> int:
    client, batch, count = boto3.client("dynamodb"), [], 0
    for key, counters in buckets:
        item = {"pk": {"S": key.partition_key}, "sk": {"S": key.sort_key},
                **{name: {"N": str(value)} for name, value in counters.items()}}
        batch.append({"PutRequest": {"Item": item}})
        count += 1
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})
    return count


def _timed(client, path: str, rounds: int = 7) -> float:
    headers = staff_headers("manager", "bench")
    client.http.get(path, headers=headers)  # warm
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.http.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.body
    return statistics.median(times)


def test_reports_on_a_year_of_rollups_and_constant_writes_per_event(tmp_path, monkeypatch):
    from chalice.test import Client

    with provision_fake_aws(tmp_path):
        import app as application
        from chalicelib.adapters.dynamo_tables import StatsModel
        from chalicelib.wiring import services

        today = services.clock.now().date()
        items = _load(StatsModel.Meta.table_name, _year_of_buckets(today))
        services.override(reports=type(services.reports)(services.stats, CATEGORIES, TEAMS))
        with Client(application.app) as client:
            figures = {path: _timed(client, path) for path in (
                "/reports/kpis", "/reports/kpis?dimension=category&value=category-07",
                f"/reports/kpis?from={today - timedelta(days=364)}&to={today}", "/reports/quality",
                "/reports/pareto", "/reports/pareto?by=root_cause")}
        print(f"\n{items} rollup items (a year, {len(CATEGORIES)} categories, {len(TEAMS)} teams); "
              f"median ms, warm, in-process on moto:")
        for path, ms in figures.items():
            print(f"  {ms:7.1f} ms  {path}")
        assert figures["/reports/kpis"] <= BUDGET_MS

        # one counting event, with a year of data in the table: one marker + one update per period x dimension
        increments = [RollupIncrement(RollupKey(p, period_start(today, p), d, v), {"volume": 1})
                      for p in PERIODS for d, v in (("all", "all"), ("team", TEAMS[0]), ("channel", "web"),
                                                    ("category", CATEGORIES[0]), ("agent", "a"))]
        before = services.stats.writes
        assert services.stats.apply("bench#event", increments)
        written = services.stats.writes - before
        print(f"rollup writes for one counting event with {items} items stored: {written}")
        assert written == 1 + len(increments) == 16
