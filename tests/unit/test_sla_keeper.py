"""The SLA in a complaint's life, on fakes with an injected clock (no sleeping): timers follow the clocks, a timer
or the sweeper sends each due alert once, stale timers do nothing, storms become digests, routing explains itself."""
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.domain.lifecycle import Actor, Command
from chalicelib.domain.model import Sender
from chalicelib.domain.service import ComplaintService, IntakePipeline
from chalicelib.domain.stages import BasicScreener, RequestedCategoryClassifier, SimpleTriage
from chalicelib import sla
from chalicelib.sla.config import default_config, parse_config
from chalicelib.sla.keeper import SkillRouter, SlaKeeper, SlaMonitor
from tests.fakes import make_message, RecordingAlerts

AGENT = Actor("agent-1", "agent")
MINUTE = timedelta(minutes=1)


class RecordingTimers:
    def __init__(self):
        self.calls, self.live = [], {}

    def set(self, name, at, payload, exists):
        self.calls.append(("set", name))
        self.live[name] = (at, payload)

    def delete(self, name):
        self.calls.append(("delete", name))
        self.live.pop(name, None)


class FakeWorkload:
    def __init__(self, load=None):
        self.load, self.cursor = Counter(load or {}), {}

    def open_by_agent(self, agents):
        return Counter({agent: self.load[agent] for agent in agents})

    def last_assigned(self, team):
        return self.cursor.get(team)

    def remember_assignment(self, team, agent):
        self.cursor[team] = agent
        self.load[agent] += 1


class CountingWindows:
    def __init__(self):
        self.counts = Counter()

    def count(self, team, window_start):
        self.counts[(team, window_start)] += 1
        return self.counts[(team, window_start)]


class World:
    def __init__(self, repo, notifier, clock, workload=None, windows=None, config=None):
        self.repo, self.clock = repo, clock
        self.config = config or default_config()
        self.timers, self.alerts = RecordingTimers(), RecordingAlerts()
        self.keeper = SlaKeeper(self.config, self.timers)
        self.router = SkillRouter(self.config, workload or FakeWorkload())
        self.pipeline = IntakePipeline(repo, notifier, SimpleTriage(BasicScreener(), RequestedCategoryClassifier()),
                                       self.keeper, self.router, clock, b"secret")
        self.service = ComplaintService(repo, notifier, clock, sla=self.keeper, router=self.router)
        self.monitor = SlaMonitor(repo, self.keeper, self.alerts, windows, base_url="https://complaints.example")

    def p1(self, **fields):
        reference = self.pipeline.process(make_message(requested_category="delivery", **fields)).reference
        self.service.perform(reference, Command("change_priority", priority="P1"), AGENT)
        return reference

    def check_at(self, reference, instant):
        self.clock.set(instant)
        return self.monitor.check(reference, instant)


@pytest.fixture
def world(repo, notifier, clock):
    return World(repo, notifier, clock)


def schedule(world, reference):
    """The complaint's one schedule: (when it fires, its payload), or None."""
    return world.timers.live.get(reference)


def test_a_new_complaint_keeps_one_schedule_at_its_soonest_instant_within_the_policys_lateness(world, repo):
    reference = world.pipeline.process(make_message(requested_category="billing")).reference
    assert world.timers.calls == [("set", reference)] and list(world.timers.live) == [reference]
    complaint = repo.get(reference)
    at, payload = schedule(world, reference)
    warning = world.keeper.clocks(complaint, repo.history(reference), world.clock.now()).first_response.warning_at
    assert (payload["reference"], payload["clock"], payload["kind"]) == (reference, "first_response", "warning")
    assert warning <= at <= warning + timedelta(minutes=90)  # P3 normal: alert_lateness = "90m"
    received = repo.history(reference)[0]
    assert received.data["assignment"]["assignee"] == "billing-agent-1"
    assert "least loaded available agent with skill 'billing'" in received.data["assignment"]["reason"]


def test_an_untouched_p1_warns_then_breaches_each_once_with_the_right_attributes(world, repo):
    reference = world.p1()
    complaint = repo.get(reference)
    warning_at = complaint.first_response_due_at - timedelta(minutes=15)  # 75% of 1h

    assert world.check_at(reference, warning_at - MINUTE) == []
    (warning,) = world.check_at(reference, warning_at)
    assert (warning.type, warning.level, warning.team, warning.category) == ("sla_warning", 1, "logistics", "delivery")
    port = warning.to_port()
    assert port.attributes == {"type": "sla_warning", "severity": "critical", "team": "logistics",
                               "category": "delivery", "level": "L1"}
    assert port.body["reference"] == reference and port.body["link"].endswith(f"/console/complaints/{reference}")
    assert world.check_at(reference, warning_at + MINUTE) == []  # a repeated timer or sweep sends nothing again

    (breach,) = world.check_at(reference, complaint.first_response_due_at)
    assert (breach.type, breach.level) == ("sla_breach", 2)
    assert "No response to the customer" in (breach.body["reason"] or "") or breach.body["state"] == "breached"
    assert repo.get(reference).breached
    assert [a.type for a in world.alerts.published] == ["sla_warning", "sla_breach"]
    assert [e.type for e in repo.history(reference)].count("sla_alert") == 2


def test_responding_before_the_warning_deletes_its_timers_and_no_alert_follows(world, repo):
    reference = world.p1()
    due = repo.get(reference).first_response_due_at
    world.clock.set(due - timedelta(minutes=30))
    world.service.perform(reference, Command("respond", message="We are on it."), AGENT)
    at, payload = schedule(world, reference)  # moved on to the resolution clock
    assert (payload["clock"], at) == ("resolution", repo.get(reference).resolution_due_at - timedelta(hours=2))
    assert world.check_at(reference, due + MINUTE) == []  # the stale breach timer is a no-op
    assert world.alerts.published == []


def test_a_reply_one_second_before_the_breach_meets_the_clock(world, repo):
    reference = world.p1()
    due = repo.get(reference).first_response_due_at
    world.check_at(reference, due - timedelta(minutes=15))  # the warning goes out
    world.clock.set(due - timedelta(seconds=1))
    world.service.perform(reference, Command("respond", message="Found it."), AGENT)
    assert world.check_at(reference, due) == []
    assert not repo.get(reference).breached
    assert [a.type for a in world.alerts.published] == ["sla_warning"]


def test_waiting_on_the_customer_pauses_the_clocks_and_their_timers(world, repo):
    reference = world.p1()
    due = repo.get(reference).first_response_due_at
    world.clock.set(due - timedelta(minutes=50))
    world.service.perform(reference, Command("respond", message="Which address?"), AGENT)
    world.service.perform(reference, Command("wait_on_customer", message="Please send the address."), AGENT)
    assert world.timers.live == {}  # nothing runs while we wait
    assert world.check_at(reference, due + timedelta(hours=20)) == []
    world.pipeline.process(make_message("12 High Street.", thread_reference=reference))
    resolution = repo.get(reference)
    assert resolution.resolution_due_at > due + timedelta(hours=20)  # moved by the paused time
    at, payload = schedule(world, reference)
    assert payload["clock"] in ("next_update", "resolution") and at > world.clock.now()


def test_a_complaint_marked_spam_has_its_timers_deleted(world, repo):
    reference = world.pipeline.process(make_message(requested_category="billing")).reference
    assert world.timers.live
    world.service.perform(reference, Command("mark_spam", message="Sells watches."), AGENT)
    assert world.timers.live == {} and repo.get(reference).timers == {}
    assert repo.get(reference).next_due_at is None


def test_a_reprioritisation_that_shortens_the_target_moves_the_timers(world, repo):
    reference = world.pipeline.process(make_message(requested_category="delivery")).reference
    before = schedule(world, reference)[0]
    world.service.perform(reference, Command("change_priority", priority="P1"), AGENT)
    after = schedule(world, reference)[0]
    due = repo.get(reference).first_response_due_at
    assert after < before and after == due - timedelta(minutes=15)  # P1: the warning, with no lateness
    assert [call for call in world.timers.calls if call[1] == reference] == [("set", reference)] * 2


def test_reopen_resumes_the_resolution_clock(world, repo):
    reference = world.p1()
    world.service.perform(reference, Command("respond", message="Refund issued."), AGENT)
    world.service.perform(reference, Command("resolve", resolution_code="refunded", root_cause="process",
                                             message="Refunded."), AGENT)
    assert world.timers.live == {}
    world.service.perform(reference, Command("reopen", message="Not received."), Actor("m-1", "manager"))
    assert schedule(world, reference)[1]["clock"] in ("resolution", "next_update")


def test_an_unassigned_p1_alerts_at_once(repo, notifier, clock):
    policy = (Path(sla.__file__).parent / "default_policy.toml").read_text()
    nobody = policy.replace('{ id = "logistics-agent-1", skills = ["delivery"], available = true }',
                            '{ id = "logistics-agent-1", skills = ["delivery"], available = false }')
    assert nobody != policy
    world = World(repo, notifier, clock, config=parse_config(nobody))
    reference = world.p1()
    assert repo.get(reference).assignee is None
    (alert,) = world.check_at(reference, clock.now())
    assert alert.type == "unassigned_p1"


def test_past_the_storm_limit_alerts_become_one_digest(repo, notifier, clock):
    windows = CountingWindows()
    world = World(repo, notifier, clock, windows=windows)
    limit = world.config.alerts.max_per_team
    references = [world.p1(text=f"Complaint number {n}: the courier lost my parcel.") for n in range(limit + 3)]
    instant = repo.get(references[-1]).first_response_due_at
    for reference in references:
        world.check_at(reference, instant)
    types = [a.type for a in world.alerts.published]
    assert types.count("digest") == 1 and len(types) == limit + 1


def test_least_loaded_agent_with_the_skill_and_round_robin_ties(repo, notifier, clock):
    world = World(repo, notifier, clock, workload=FakeWorkload({"cc-agent-1": 0, "cc-agent-2": 0}))
    first = world.pipeline.process(make_message(requested_category="general")).reference
    second = world.pipeline.process(make_message(requested_category="general",
                                                 sender=Sender(email="b@example.com"))).reference
    assert [repo.get(r).assignee for r in (first, second)] == ["cc-agent-1", "cc-agent-2"]


def test_a_category_correction_reroutes_with_its_reason(world, repo):
    reference = world.pipeline.process(make_message(requested_category="delivery")).reference
    _, event = world.service.perform(reference, Command("change_category", category="billing"), AGENT)
    complaint = repo.get(reference)
    assert (complaint.team, complaint.assignee) == ("billing", "billing-agent-1")
    assert event.changes["team"] == {"old": "logistics", "new": "billing"}
    assert "skill 'billing'" in event.data["assignment"]["reason"]


def test_a_resolution_schedules_the_survey_after_the_configured_delay(repo, notifier, clock):
    world = World(repo, notifier, clock)
    world.keeper.survey_delay = timedelta(minutes=60)
    reference = world.pipeline.process(make_message(requested_category="delivery")).reference
    world.service.perform(reference, Command("resolve", resolution_code="refunded", root_cause="process",
                                             message="Refunded."), AGENT)
    at, payload = schedule(world, reference)
    resolved = repo.get(reference).resolved_at
    assert resolved + timedelta(minutes=60) <= at <= resolved + timedelta(minutes=150)  # P3: 90 min lateness
    assert (payload["clock"], payload["kind"]) == ("survey", "send")
    world.service.perform(reference, Command("reopen", message="Still broken."), Actor("m-1", "manager"))
    assert schedule(world, reference)[1]["clock"] != "survey"  # reopened before the survey went out


def test_scheduler_timers_round_up_to_the_whole_second_so_they_never_fire_early():
    from datetime import datetime, timezone

    from chalicelib.adapters.sla_adapters import SchedulerTimers

    class Scheduler:
        def __init__(self):
            self.requests = []

        def create_schedule(self, **request):
            self.requests.append(request)

    scheduler = Scheduler()
    timers = SchedulerTimers("sla", "arn:queue", "arn:role", scheduler)
    timers.set("CMP-X-first_response-breach", datetime(2026, 11, 23, 15, 48, 7, 400_000, tzinfo=timezone.utc),
               {"reference": "CMP-X"}, exists=False)
    assert scheduler.requests[0]["ScheduleExpression"] == "at(2026-11-23T15:48:08)"


class FailingOnceAlerts(RecordingAlerts):
    """SNS refuses the first publish (an outage), then accepts."""

    def __init__(self):
        super().__init__()
        self.failures = 1

    def publish(self, alert):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SNS unreachable")
        super().publish(alert)


def test_an_alert_is_marked_sent_only_after_it_was_published(world, repo):
    world.monitor.alerts = world.alerts = FailingOnceAlerts()
    reference = world.p1()
    warning_at = repo.get(reference).first_response_due_at - timedelta(minutes=15)
    with pytest.raises(ConnectionError):
        world.check_at(reference, warning_at)
    assert repo.get(reference).alerts_sent == () and "sla_alert" not in [e.type for e in repo.history(reference)]

    (warning,) = world.check_at(reference, warning_at + MINUTE)  # the timer's retry, or the sweeper
    assert [a.dedup_key for a in world.alerts.published] == [warning.key]
    assert repo.get(reference).alerts_sent == (warning.key,)


def test_a_premium_customer_is_stamped_with_its_tier_and_measured_by_the_premium_policy(world, repo):
    premium = world.pipeline.process(make_message(sender=Sender(name="Bo", email="bo@premium.example"))).reference
    plain = world.pipeline.process(make_message()).reference
    for reference in (premium, plain):
        world.service.perform(reference, Command("change_priority", priority="P2"), AGENT)
    assert (repo.get(premium).tier, repo.get(plain).tier) == ("premium", None)
    clocks = {ref: world.keeper.clocks(repo.get(ref), repo.history(ref), world.clock.now()) for ref in (premium, plain)}
    assert (clocks[premium].policy, clocks[plain].policy) == ("P2 premium customers", "P2 high")


def test_a_fired_schedule_is_set_again_for_the_next_instant_even_when_nothing_was_due(world, repo):
    reference = world.p1()
    due = repo.get(reference).first_response_due_at
    at, payload = schedule(world, reference)
    world.timers.live.pop(reference)  # the scheduler deletes a schedule after it fired
    world.clock.set(at)
    (warning,) = world.monitor.check(reference, at, fired=True)
    assert warning.type == "sla_warning" and schedule(world, reference)[0] == due  # next: the breach
    world.timers.live.pop(reference)
    assert world.monitor.check(reference, at, fired=True) == []  # a repeated delivery: nothing due, yet still set
    assert schedule(world, reference)[0] == due


def test_timers_of_coinciding_instants_spread_over_the_lateness_and_stay_put():
    from chalicelib.sla.terms import spread_over

    window = timedelta(minutes=45)
    offsets = [spread_over(f"CMP-20261205-{n:05d}", "first_response-warning", window) for n in range(9000)]
    assert all(timedelta(0) <= o <= window for o in offsets)
    per_minute = Counter(int(o.total_seconds()) // 60 for o in offsets)
    assert len(per_minute) == 46 and max(per_minute.values()) < 2 * 9000 / 45  # about uniform
    assert spread_over("CMP-1", "k", window) == spread_over("CMP-1", "k", window)
    assert spread_over("CMP-1", "k", timedelta(0)) == timedelta(0)
