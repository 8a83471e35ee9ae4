"""KPI rollup writes at volume (not timed): many complaints live at once, and the stream consumer counts their
versions in batches of STREAM_BATCH records (the deployed stream's batch size), as the complaints table's stream
delivers them. Prints the stats table's write units per complaint life and its hottest key, against counting each
event on its own (a transaction of its marker and its fifteen buckets). The complaints live on the in-memory repository; the stats table is moto's,
metered as DynamoDB bills (tests/performance/capacity.py)."""
from __future__ import annotations

from chalicelib.adapters.change_feed import ChangeFeedRepository
from chalicelib.domain.lifecycle import CUSTOMER, Actor, Command
from chalicelib.domain.model import Channel, Sender
from chalicelib.domain.service import ComplaintService, IntakePipeline
from chalicelib.domain.stages import BasicScreener, FixedTargetsSla, RequestedCategoryClassifier, SimpleTriage
from tests.fakes import FixedClock, InMemoryComplaintRepository, RecordingNotifier, make_message
from infra.resources import STREAM_BATCH
from tests.performance.capacity import CapacityMeter

LIVES = STREAM_BATCH  # one full batch per step of the lives
KEY_LIMIT = 1000  # write units a second one DynamoDB partition key takes
CATEGORIES = ("billing", "delivery", "product", "technical", "service_attitude", "policy", "general")
TEAMS = ("billing", "logistics", "product-care", "technical-support", "customer-care")


class Router:
    def route(self, complaint):
        from chalicelib.domain.stages import Routing

        n = CATEGORIES.index(complaint.category)
        return Routing(team=TEAMS[n % len(TEAMS)], assignee=f"agent-{n}-{hash(complaint.reference) % 4}")

    def assignment_problem(self, team, assignee):
        return None


def lives() -> tuple[InMemoryComplaintRepository, list]:
    """LIVES typical lives, step by step across all of them (concurrent traffic): each stored version, in order."""
    versions: list = []
    repository = ChangeFeedRepository(InMemoryComplaintRepository(), versions.append)
    clock = FixedClock()
    pipeline = IntakePipeline(repository, RecordingNotifier(), SimpleTriage(BasicScreener(),
                              RequestedCategoryClassifier()), FixedTargetsSla(), Router(), clock, b"k")
    service = ComplaintService(repository, RecordingNotifier(), clock)
    agent = Actor("agent", "agent")
    references = [pipeline.process(make_message(
        f"Order {n} was charged twice on my card, please refund.", channel=(Channel.WEB, Channel.EMAIL)[n % 2],
        sender=Sender(email=f"c{n}@example.com"), requested_category=CATEGORIES[n % len(CATEGORIES)],
        received_at=clock.now())).reference for n in range(LIVES)]
    steps = [(Command("acknowledge"), agent), (Command("respond", message="We are on it."), agent),
             (Command("customer_message", message="Thanks, any news?"), CUSTOMER),
             (Command("resolve", resolution_code="refunded", root_cause="process", message="Refunded."), agent),
             (Command("close"), agent)]
    for command, actor in steps:
        clock.advance(hours=2)
        for reference in references:
            service.perform(reference, command, actor)
    return repository, versions


def test_rollups_write_each_bucket_once_per_stream_batch(moto_tables):
    from infra import moto_patches

    moto_patches.apply()  # transactions without moto's copy of the whole table for rollback
    from chalicelib.adapters.stats_store import DynamoStatsStore
    from chalicelib.quality.ingest import RollupIngest

    repository, versions = lives()
    batches = [versions[i:i + STREAM_BATCH] for i in range(0, len(versions), STREAM_BATCH)]
    with CapacityMeter() as batched:
        counted = sum(RollupIngest(repository, DynamoStatsStore()).count_batch(batch) for batch in batches)
    assert counted == sum(len(_entries(RollupIngest(repository, None), c)) for c in versions) >= 3 * LIVES

    alone = RollupIngest(repository, DynamoStatsStore())
    sample = versions[:STREAM_BATCH]
    with CapacityMeter() as single:  # the same kind of traffic, one event per transaction
        for complaint in sample:
            alone.store.apply_many([e for e in _entries(alone, complaint)])
    per_life = batched.write_units / LIVES
    hot_key, hot_units = batched.hottest("write", 1)[0]
    one_by_one = single.write_units / len(sample) * len(versions) / LIVES
    print(f"\nrollups for {LIVES} lives ({len(versions)} versions, stream batches of {STREAM_BATCH}): "
          f"{per_life:.1f} write units per life (each event on its own: {one_by_one:.1f})")
    print(f"  hottest key {hot_key}: {hot_units / LIVES:.3f} write units per complaint; at {KEY_LIMIT} units a second "
          f"it takes {KEY_LIMIT * LIVES / hot_units:,.0f} complaints a second (one stream shard's batches)")
    assert per_life < one_by_one / 3


def _entries(ingest, complaint):
    from chalicelib.quality.rollups import idempotency_key, updates_for

    history = ingest.repository.history(complaint.reference)
    event = next(e for e in history if e.seq == complaint.version)
    increments = updates_for(event, complaint, history)
    return [(idempotency_key(event), increments)] if increments else []
