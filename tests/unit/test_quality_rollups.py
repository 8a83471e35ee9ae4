"""KPI rollups: a small scripted history through the real state machine, KPIs checked against hand arithmetic."""
import dataclasses
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from chalicelib.domain.lifecycle import CUSTOMER, Actor, Command, apply
from chalicelib.domain.model import Channel, Complaint, Event, Sender, Status, Visibility
from chalicelib.quality import histogram
from chalicelib.quality.rollups import (
    MAX_INCREMENTS, RollupKey, RollupStore, counter_deltas, idempotency_key, kpis, metric, needs_history,
    updates_for, verdicts_from_clocks,
)

UTC = timezone.utc


def mon(hour, minute=0):  # Monday 23 November 2026
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)


def tue(hour, minute=0):
    return datetime(2026, 11, 24, hour, minute, tzinfo=UTC)


class Script:
    """Complaints moved through lifecycle.apply; every event is fed to the rollup store as the worker would."""

    def __init__(self):
        self.store = RollupStore()
        self.complaints: dict[str, Complaint] = {}
        self.history: dict[str, list[Event]] = {}
        self.increments: list[int] = []

    def receive(self, ref, at, channel, category, team, assignee=None, outcome="accepted", sentiment=0.0,
                fr_due=None, res_due=None, triage=None):
        status = {"accepted": Status.NEW, "spam": Status.SPAM, "duplicate": Status.DUPLICATE}[outcome]
        complaint = Complaint(ref, channel, f"m-{ref}", Sender(email="c@example.com"), "Problem", "It broke", at, at,
                              status=status, category=category, team=team, assignee=assignee,
                              first_response_due_at=fr_due, resolution_due_at=res_due, version=1)
        event = Event(ref, 1, at, "received", "system", "system", Visibility.PUBLIC,
                      data={"screening": {"outcome": outcome},
                            "classification": {"sentiment": sentiment, **(triage or {})}})
        self.complaints[ref], self.history[ref] = complaint, []
        self._feed(event)

    def do(self, ref, at, action, message=None, actor=None, data=None, **fields):
        if action == "resolve":
            fields = {"resolution_code": "fixed", "root_cause": "process", **fields}
        actor = actor or Actor(self.complaints[ref].assignee or "dave", "agent")
        complaint, event = apply(self.complaints[ref], Command(action, message=message, **fields), actor, at)
        if data:
            event = dataclasses.replace(event, data={**event.data, **data})
        self.complaints[ref] = complaint
        self._feed(event)

    def system(self, ref, at, kind, **data):
        complaint = self.complaints[ref].evolve(version=self.complaints[ref].version + 1, updated_at=at)
        self.complaints[ref] = complaint
        self._feed(Event(ref, complaint.version, at, kind, "system", "system", data=data))

    def _feed(self, event):
        complaint = self.complaints[event.reference]
        self.history[event.reference].append(event)
        increments = updates_for(event, complaint, self.history[event.reference])
        self.increments.append(len(increments))
        assert self.store.apply(idempotency_key(event), increments)

    def week(self, dimension="all", value="all"):
        return self.store.query("week", dimension, value)

    def day(self, day, dimension="all", value="all"):
        return self.store.query("day", dimension, value, start=day, end=day)


@pytest.fixture
def script():
    s = Script()
    # A: billing by e-mail; answered in 1 h (due 4 h), resolved at 3 h at first contact; CSAT 5.
    s.receive("A", mon(9), Channel.EMAIL, "billing", "billing-team", "alice", sentiment=0.2,
              fr_due=mon(13), res_due=tue(9))
    s.do("A", mon(10), "respond", "We are on it.")
    s.do("A", mon(12), "resolve", "Refunded.", data={"sub_cause": "handoff"})
    s.system("A", mon(12, 5), "survey_sent")
    s.system("A", mon(18), "survey_answered", score=5)
    # B: billing on the web; answered late (2 h, due 1 h); the customer writes again, so not first contact; CSAT 2.
    s.receive("B", mon(9, 30), Channel.WEB, "billing", "billing-team", "bob", sentiment=-0.05,
              fr_due=mon(10, 30), res_due=tue(9, 30))
    s.do("B", mon(11, 30), "respond", "Checking your invoice.")
    s.do("B", mon(12), "customer_message", "Any news?", actor=CUSTOMER)
    s.do("B", mon(15, 30), "resolve", "Corrected the invoice.")
    s.system("B", mon(15, 35), "survey_sent")
    s.system("B", tue(8), "survey_answered", score=2, reason="slow")
    # C: delivery by SMS; acknowledged (not a response), answered late (4 h, due 2 h), resolved at first contact,
    # then the customer writes on Tuesday (a reopen) and it is resolved again after 24 h, past its due instant.
    s.receive("C", mon(10), Channel.SMS, "delivery", "logistics", "carol", sentiment=-0.3,
              fr_due=mon(12), res_due=tue(9))
    s.do("C", mon(10, 10), "acknowledge")
    s.do("C", mon(14), "respond", "The courier has it.")
    s.do("C", mon(16), "resolve", "Delivered.", root_cause="product")
    s.system("C", mon(16, 5), "survey_sent")
    s.do("C", tue(8, 30), "customer_message", "It was the wrong parcel.", actor=CUSTOMER)
    s.do("C", tue(10), "resolve", "Sent the right one.", root_cause="product")
    # D: still open, unassigned, negative; a note counts nothing.  E: spam.  F: a duplicate of A.
    s.receive("D", mon(11), Channel.EMAIL, "delivery", "logistics", None, sentiment=-0.6,
              fr_due=mon(15), res_due=tue(11))
    s.do("D", mon(11, 30), "note", "Asked the warehouse.", actor=Actor("dave", "agent"))
    s.receive("E", mon(11, 30), Channel.WEB, "general", None, outcome="spam")
    s.receive("F", mon(12), Channel.EMAIL, "billing", None, outcome="duplicate")
    return s


def test_week_kpis_for_all_complaints_match_hand_arithmetic(script):
    now = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    report = kpis(script.week(), open_complaints=script.complaints.values(), now=now)

    assert report.buckets == 1
    assert (report.received, report.volume, report.screened_out, report.duplicates) == (6, 4, 1, 1)  # A-F; A-D; E; F
    assert report.duplicate_rate == pytest.approx(1 / 6)  # 1 duplicate / 6 received
    assert report.negative_share == pytest.approx(0.5)  # C (-0.3) and D (-0.6) of 4 accepted; B's -0.05 is neutral

    # first responses: A 1 h, B 2 h, C 4 h = 3600 + 7200 + 14400 = 25200 s / 3 = 8400 s
    assert report.first_response.count == 3
    assert report.first_response.mean_s == pytest.approx(8400)
    # histogram buckets: 3600 s in [60*2^5.5, 60*2^6) = [2715.29, 3840); 7200 s in [5430.58, 7680);
    # 14400 s in [10861.16, 15360). Median rank 0.5*3 = 1.5 -> 2nd bucket, halfway: (5430.58 + 7680) / 2 = 6555.29
    assert report.first_response.median_s == pytest.approx(6555.29, abs=0.01)
    # p90 rank 0.9*3 = 2.7 -> 3rd bucket, 0.7 of the way: 10861.16 + 0.7 * (15360 - 10861.16) = 14010.35
    assert report.first_response.p90_s == pytest.approx(14010.35, abs=0.01)

    # resolutions: A 3 h, B 6 h, C 6 h, C again at Tue 10:00, 24 h after its creation
    # 10800 + 21600 + 21600 + 86400 = 140400 s / 4 = 35100 s
    assert report.resolution.count == report.resolved == 4
    assert report.resolution.mean_s == pytest.approx(35100)
    # buckets: 10800 in [7680, 10861.16); 21600 (x2) in [15360, 21722.32); 86400 in [61440, 86889.28).
    # median rank 2 -> 2nd bucket (1 before it, 2 in it): 15360 + (21722.32 - 15360) * (2 - 1) / 2 = 18541.16
    assert report.resolution.median_s == pytest.approx(18541.16, abs=0.01)
    # p90 rank 3.6 -> last bucket: 61440 + (86889.28 - 61440) * 0.6 = 76709.57
    assert report.resolution.p90_s == pytest.approx(76709.57, abs=0.01)

    # SLA: first response A met, B and C late -> 1/3; resolution A, B, C met, C's second late -> 3/4; all 4/7
    assert (report.sla["first_response"].met, report.sla["first_response"].breached) == (1, 2)
    assert report.sla["first_response"].rate == pytest.approx(1 / 3)
    assert report.sla["resolution"].rate == pytest.approx(3 / 4)
    assert "next_update" not in report.sla
    assert report.sla_compliance == pytest.approx(4 / 7)

    # resolution rate: 3 first resolutions (A, B, C) / 4 accepted = 0.75
    assert (report.resolved_first, report.resolution_rate) == (3, 0.75)
    # FCR: A and C's first resolution; B had a customer message after its first response -> 2 / 4 resolutions
    assert (report.first_contact_resolutions, report.fcr_rate) == (2, 0.5)
    assert (report.reopened, report.reopen_rate) == (1, 0.25)  # C reopened by the customer: 1 / 4 resolutions

    # backlog: opened A, B, C, D + C's reopen = 5; closed by the 4 resolutions = 4 -> 1 (D)
    assert (report.backlog_change, report.backlog) == (1, 1)
    assert kpis(script.week(), opening_backlog=10).backlog == 11
    # only D is open: created Mon 11:00, now Wed 11:00 -> 2.0 days
    assert report.backlog_age.count == 1
    assert (report.backlog_age.mean_days, report.backlog_age.oldest_days) == (2.0, 2.0)

    # CSAT: scores 5 and 2 -> (5 + 2) / 2 = 3.5; satisfied 1 / 2; 2 answers / 3 surveys sent
    assert (report.csat_responses, report.csat_average, report.csat_satisfied_share) == (2, 3.5, 0.5)
    assert report.csat_low == 1
    assert report.survey_response_rate == pytest.approx(2 / 3)
    assert report.root_causes == {"process": 2, "process/handoff": 1, "product": 2}


def test_facts_count_on_the_day_they_happen(script):
    monday, tuesday = kpis(script.day("2026-11-23")), kpis(script.day("2026-11-24"))
    # Monday: 3 resolutions (10800 + 21600 + 21600 = 54000 s / 3 = 18000 s); Tuesday: C's second one only
    assert (monday.resolved, monday.resolution.mean_s) == (3, 18000)
    assert (tuesday.resolved, tuesday.resolution.mean_s) == (1, 86400)
    # backlog: Monday +4 opened -3 resolved = +1; Tuesday +1 reopened -1 resolved = 0
    assert (monday.backlog_change, tuesday.backlog_change) == (1, 0)
    # B's survey answer came on Tuesday
    assert (monday.csat_average, tuesday.csat_average) == (5.0, 2.0)
    # months hold the same totals as the week here
    assert kpis(script.store.query("month")).counters == kpis(script.week()).counters


def test_dimensions_split_the_same_facts(script):
    billing = kpis(script.week("category", "billing"))
    # A, B and the duplicate F; first responses 3600 + 7200 = 10800 / 2; resolutions 10800 + 21600 = 32400 / 2
    assert (billing.received, billing.volume, billing.duplicates) == (3, 2, 1)
    assert (billing.first_response.mean_s, billing.resolution.mean_s) == (5400, 16200)
    assert billing.fcr_rate == 0.5  # A yes, B no

    carol = kpis(script.week("agent", "carol"))
    # C: received (assigned to carol), answered, resolved twice, reopened once by the customer
    assert (carol.volume, carol.first_response.count, carol.resolved, carol.reopened) == (1, 1, 2, 1)
    assert kpis(script.week("agent", "unassigned")).volume == 1  # D
    assert script.store.query("week", "agent", "dave") == []  # a note counts nothing
    assert kpis(script.week("channel", "sms")).sla["resolution"].rate == 0.5  # C: 1 met, 1 late
    assert script.store.values("team") == ["billing-team", "logistics", "unassigned"]

    # the dimensions partition the volume
    for dimension in ("team", "channel", "category", "agent"):
        total = sum(kpis(script.week(dimension, v)).volume for v in script.store.values(dimension))
        assert total == 4


def test_a_replayed_event_is_counted_once(script):
    event = script.history["A"][-1]  # the CSAT answer
    complaint = script.complaints["A"]
    before = kpis(script.week()).counters
    again = updates_for(event, complaint, script.history["A"])
    assert idempotency_key(event) == "rollup#A#5" == idempotency_key(dataclasses.replace(event))
    assert script.store.apply(idempotency_key(event), again) is False
    assert kpis(script.week()).counters == before
    # the increments themselves are deterministic: the same event gives the same list
    assert again == updates_for(event, complaint, script.history["A"])


def test_every_event_gives_zero_or_a_constant_number_of_increments(script):
    assert MAX_INCREMENTS == 20  # (3 periods + the running balance) x 5 dimensions
    # 15 for an event that opens or closes nothing, 20 with the balances; history length does not matter: 200 notes,
    # then a resolution, still 20 increments with unique keys
    s = Script()
    s.receive("G", mon(9), Channel.WEB, "billing", "billing-team", "alice", fr_due=mon(10), res_due=tue(9))
    for minute in range(200):
        s.do("G", mon(9) + timedelta(minutes=minute), "note", "still looking")
    writes = s.store.writes
    s.do("G", mon(13), "resolve", "Fixed.")
    resolve = updates_for(s.history["G"][-1], s.complaints["G"], s.history["G"])
    assert set(script.increments) <= {0, 15, MAX_INCREMENTS}
    assert len(resolve) == MAX_INCREMENTS == len({i.key for i in resolve})
    assert s.store.writes - writes == MAX_INCREMENTS
    assert set(s.increments[1:-1]) == {0}


def test_the_opening_backlog_comes_from_the_running_balance_whatever_the_history(script):
    from chalicelib.quality.reporting import Reports, Window

    reads = []

    class Counting:
        def query(self, period, dimension="all", value="all", start=None, end=None):
            found = script.store.query(period, dimension, value, start, end)
            reads.append(len(found))
            return found

    reports = Reports(Counting(), [], [])
    days = [date.fromisoformat(b.key.start) for b in script.store.query("day")]
    assert len(days) >= 2
    whole = Window(date(2000, 1, 1), days[-1])  # from before anything happened: the backlog opens at zero
    assert reports.kpis(whole).backlog == kpis(script.store.query("day", "all", "all")).backlog
    later = Window(days[1], days[-1])
    days_before = [b for b in script.store.query("day") if b.key.start < later.start.isoformat()]
    opening = sum(b.counters.get("opened", 0) - b.counters.get("closed", 0) for b in days_before)
    reads.clear()
    assert reports.kpis(later).backlog == kpis(script.store.query("day", "all", "all", later.start.isoformat()),
                                               opening_backlog=opening).backlog
    assert sum(reads) <= later.days + 1  # the window's days and the balance, none of the days before


def test_resolve_needs_the_history():
    s = Script()
    s.receive("H", mon(9), Channel.WEB, "billing", "t", "alice")
    complaint, event = apply(s.complaints["H"], Command("resolve", "Done.", resolution_code="fixed",
                                                        root_cause="people"), Actor("alice", "agent"), mon(10))
    assert needs_history(event) and not needs_history(s.history["H"][0])
    with pytest.raises(ValueError, match="history"):
        updates_for(event, complaint)


def test_keys_and_periods():
    key = RollupKey("week", "2026-11-23", "category", "billing")
    assert (key.partition_key, key.sort_key) == ("week#category#billing", "2026-11-23")
    assert RollupKey.from_keys(key.partition_key, key.sort_key) == key
    s = Script()
    # Sunday 29 November 23:30 UTC is Monday 30 November in Tokyo: its week and day follow the time zone given
    s.receive("J", datetime(2026, 11, 29, 23, 30, tzinfo=UTC), Channel.WEB, "a#b", None)
    event, complaint = s.history["J"][0], s.complaints["J"]
    keys = {i.key for i in updates_for(event, complaint)}
    assert RollupKey("week", "2026-11-23", "category", "a%23b") in keys
    assert RollupKey("month", "2026-11-01", "all", "all") in keys
    from zoneinfo import ZoneInfo
    tokyo = {i.key for i in updates_for(event, complaint, tz=ZoneInfo("Asia/Tokyo"))}
    assert RollupKey("week", "2026-11-30", "team", "unassigned") in tokyo
    assert RollupKey("month", "2026-11-01", "all", "all") in tokyo


def test_sla_verdicts_from_business_time_clocks_replace_due_instants(script):
    event, complaint = script.history["B"][1], script.complaints["B"]  # the late first response
    assert counter_deltas(event, complaint)["sla_breached_first_response"] == 1
    clock = lambda name, late: SimpleNamespace(name=name, met=True, late=late, stopped_at=event.at)
    clocks = SimpleNamespace(first_response=clock("first_response", False),
                             resolution=SimpleNamespace(name="resolution", met=False, late=False, stopped_at=None),
                             update_cycles=(clock("next_update", True),))
    verdicts = verdicts_from_clocks(clocks, event)
    assert verdicts == {"first_response": True, "next_update": False}
    deltas = counter_deltas(event, complaint, sla=verdicts)
    assert (deltas["sla_met_first_response"], deltas["sla_breached_next_update"]) == (1, 1)
    assert "sla_breached_first_response" not in deltas


def test_unlinked_duplicate_becomes_volume_and_backlog():
    s = Script()
    s.receive("K", mon(9), Channel.EMAIL, "billing", "t", "alice", outcome="duplicate")
    s.do("K", mon(10), "unlink_duplicate", "Different order.")
    report = kpis(s.week())
    # received 1 duplicate, then unlinked: net duplicates 0, volume 1, one complaint in the backlog
    assert (report.duplicates, report.volume, report.backlog, report.duplicate_rate) == (0, 1, 1, 0.0)


def test_released_spam_becomes_volume_and_leaves_the_screened_out_count():
    s = Script()
    s.receive("S", mon(9), Channel.WEB, "billing", "t", "alice", outcome="spam")
    s.do("S", mon(10), "release", "A real complaint.")
    report = kpis(s.week())
    assert (report.screened_out, report.volume, report.backlog) == (0, 1, 1)


def test_spam_marked_by_staff_leaves_volume_and_backlog_for_the_screened_out_count():
    s = Script()
    s.receive("S", mon(9), Channel.WEB, "billing", "t", "alice")
    s.do("S", mon(10), "mark_spam", "Sells watches.")
    report = kpis(s.week())
    assert (report.screened_out, report.volume, report.backlog) == (1, 0, 0)


def test_accepted_complaints_count_under_the_priority_rule_that_set_their_level():
    s = Script()
    media = {"priority_rule": "media", "priority": "P2", "priority_raised": 0}
    s.receive("M1", mon(9), Channel.WEB, "billing", "t", triage=media)
    s.receive("M2", mon(9), Channel.WEB, "billing", "t", triage={**media, "priority": "P1", "priority_raised": 1})
    s.receive("M3", mon(9), Channel.WEB, "billing", "t", outcome="spam", triage=media)
    s.receive("M4", mon(9), Channel.WEB, "billing", "t")  # triaged before rules were recorded
    [week] = s.week()
    assert {k: v for k, v in week.counters.items() if k.startswith("priority_rule:")} == {"priority_rule:media/P2": 1}


def test_metrics_by_name_and_mixed_buckets_refused(script):
    report = kpis(script.week())
    assert metric(report, "first_response_mean_hours") == (pytest.approx(8400 / 3600), 3)
    assert metric(report, "csat_average") == (3.5, 2)
    with pytest.raises(ValueError, match="unknown KPI"):
        metric(report, "happiness")
    with pytest.raises(ValueError, match="mixed"):
        kpis(script.week() + script.week("category", "billing"))


def test_histogram_edges_and_quantiles():
    assert histogram.bucket_of(0) == 0 and histogram.bucket_of(59.9) == 0
    assert histogram.bucket_of(60) == 1 and histogram.bucket_of(120) == 3  # an edge opens its bucket
    assert histogram.bucket_of(10 ** 9) == histogram.BUCKETS - 1
    assert histogram.quantile({}, 0.5) is None
    assert histogram.quantile({histogram.BUCKETS - 1: 2}, 0.9) == histogram.EDGES[-1]
    # 10 values of 60 s (bucket 1 = [60, 84.85)): the median is halfway into the bucket
    assert histogram.quantile({1: 10}, 0.5) == pytest.approx(60 + (60 * 2 ** 0.5 - 60) / 2)
