"""Reports on a year of rollups (20 categories, 10 teams) answer fast, warm and in-process (the rollups in an
in-memory store with the DynamoDB store's query interface, so the figure is our code's cost, not moto's), and read
the same number of buckets with 30 days or 3 years of history behind; the rollup update writes the same number of
items per event whatever the data size (DynamoDB store on moto). Figures printed."""
from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

from chalicelib.quality.reporting import Reports
from chalicelib.quality.rollups import BALANCE, BALANCE_START, PERIODS, RollupBucket, RollupIncrement, RollupKey, RollupStore, period_start
from tests.integration.conftest import provision_fake_aws, staff_headers

CATEGORIES = [f"category-{n:02d}" for n in range(20)]
TEAMS = [f"team-{n:02d}" for n in range(10)]
DAYS = 365
BUDGET_MS = 200


def _year_of_buckets(today: date, days: int = DAYS):
    """One bucket per (period start, series) over `days`, with plausible counters, and each series' balance."""
    series = [("all", "all"), *(("category", c) for c in CATEGORIES), *(("team", t) for t in TEAMS),
              *(("channel", c) for c in ("web", "email", "sms"))]
    seen = set()
    for dimension, value in series:
        yield RollupKey(BALANCE, BALANCE_START, dimension, value), {"opened": 11 * days, "closed": 10 * days}
    for back in range(days):
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


class YearOfRollups(RollupStore):
    """The in-memory store, indexed by series like the stats table's partitions (a Query reads one series)."""

    def __init__(self, buckets):
        super().__init__()
        self.series: dict[str, list[RollupBucket]] = {}
        for key, counters in buckets:
            self.series.setdefault(key.partition_key, []).append(RollupBucket(key, counters))
        for items in self.series.values():
            items.sort(key=lambda b: b.key.start)

    def query(self, period, dimension="all", value="all", start=None, end=None):
        series = self.series.get(RollupKey(period, "", dimension, value).partition_key, [])
        found = [b for b in series if (start is None or b.key.start >= start) and (end is None or b.key.start <= end)]
        self.read += len(found)
        return found

    read = 0  # buckets returned, as a Query of the stats table would read them

    def recent_alerts(self, today, days=7, limit=50):
        return []


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
        from chalicelib.wiring import services

        today = services.clock.now().date()
        store = YearOfRollups(_year_of_buckets(today))
        items = sum(len(series) for series in store.series.values())
        services.override(reports=Reports(store, CATEGORIES, TEAMS))
        with Client(application.app) as client:
            figures = {path: _timed(client, path) for path in (
                "/reports/kpis", "/reports/kpis?dimension=category&value=category-07",
                f"/reports/kpis?from={today - timedelta(days=364)}&to={today}", "/reports/quality",
                "/reports/pareto", "/reports/pareto?by=root_cause")}
        print(f"\n{items} rollup items (a year, {len(CATEGORIES)} categories, {len(TEAMS)} teams); "
              f"median ms, warm, in-process:")
        for path, ms in figures.items():
            print(f"  {ms:7.1f} ms  {path}")
        assert figures["/reports/kpis"] <= BUDGET_MS

        reads = {}
        for days in (30, 3 * 365):  # the dashboard's default window, with a month or three years behind it
            store = YearOfRollups(_year_of_buckets(today, days))
            services.override(reports=Reports(store, CATEGORIES, TEAMS))
            with Client(application.app) as client:
                assert client.http.get("/reports/kpis", headers=staff_headers("manager", "bench")).status_code == 200
            reads[days] = store.read
        print(f"buckets read by /reports/kpis: {reads[30]} with 30 days of history, {reads[3 * 365]} with 3 years")
        assert reads[30] == reads[3 * 365]

        # one counting event on the DynamoDB store (moto): one marker + one update per period x dimension
        increments = [RollupIncrement(RollupKey(p, period_start(today, p), d, v), {"volume": 1})
                      for p in PERIODS for d, v in (("all", "all"), ("team", TEAMS[0]), ("channel", "web"),
                                                    ("category", CATEGORIES[0]), ("agent", "a"))]
        before = services.stats.writes
        assert services.stats.apply("bench#event", increments)
        written = services.stats.writes - before
        print(f"rollup writes for one counting event: {written}, whatever is stored already")
        assert written == 1 + len(increments) == 16
