"""What the duplicate check reads on moto, counted through botocore events (not timed): a customer with hundreds of
past complaints, among thousands of other customers', costs two bounded index queries and no Scan."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.domain.model import Channel, Complaint, Sender, Status
from tests.performance.aws_calls import AwsCalls

OTHERS, ADA_PAST = 5_000, 300
ADA = Sender(name="Ada", email="ada@example.com", phone="+447700900123")


def _complaint(n: int, sender: Sender, created: datetime) -> Complaint:
    return Complaint(
        reference=f"CMP-{n:06d}", channel=Channel.WEB if n % 2 else Channel.EMAIL, channel_message_id=f"m{n}",
        sender=sender, subject=f"Order {n}", description=f"Complaint number {n} about order {n * 7}.",
        created_at=created, updated_at=created, status=Status.RESOLVED if n % 3 else Status.NEW, version=1,
    )


def test_the_duplicate_check_reads_only_the_customers_newest_complaints(moto_tables):
    from chalicelib.adapters.dynamo_repository import DynamoComplaintRepository, _to_item
    from chalicelib.adapters.dynamo_tables import ComplaintModel
    from chalicelib.domain.service import IntakePipeline
    from chalicelib.domain.stages import CategoryTeamRouter, FixedTargetsSla
    from chalicelib.triage.stage import Triage
    from chalicelib.wiring import SystemClock
    from tests.fakes import RecordingNotifier, make_message

    now = datetime.now(timezone.utc)
    with ComplaintModel.batch_write() as batch:
        for n in range(OTHERS):
            batch.save(_to_item(_complaint(n, Sender(email=f"c{n}@example.com", phone=f"+4477009{n:05d}"),
                                           now - timedelta(hours=n % 2000))))
        for n in range(OTHERS, OTHERS + ADA_PAST):
            batch.save(_to_item(_complaint(n, ADA, now - timedelta(hours=6 * (n - OTHERS) + 1))))

    pipeline = IntakePipeline(DynamoComplaintRepository(), RecordingNotifier(), Triage(model_dir=None),
                              FixedTargetsSla(), CategoryTeamRouter(), SystemClock(), b"k")
    counter = AwsCalls()
    events = ComplaintModel._get_connection().connection.client.meta.events
    events.register("after-call.dynamodb.*", counter)
    recent = pipeline._recent(make_message("The heater broke again.", sender=ADA))
    events.unregister("after-call.dynamodb.*", counter)
    lookup_reads, lookup_calls = counter.items_read, dict(counter.calls)
    counter = AwsCalls()  # now the whole intake of a repeat
    events.register("after-call.dynamodb.*", counter)
    repeat = make_message(f"Complaint number {OTHERS + 1} about order {(OTHERS + 1) * 7}.", sender=ADA,
                          subject=f"Order {OTHERS + 1}", channel=Channel.WEB)  # resends an open one
    result = pipeline.process(repeat)
    events.unregister("after-call.dynamodb.*", counter)

    print(f"\nduplicate check for a customer with {ADA_PAST} past complaints among {OTHERS + ADA_PAST}: "
          f"{lookup_reads} items read in {sum(lookup_calls.values())} queries {lookup_calls}; "
          f"the whole intake of the repeat: {counter.items_read} items read, {dict(counter.calls)}")
    limit = IntakePipeline.RECENT_LIMIT
    assert len(recent) == limit and recent[0].reference == f"CMP-{OTHERS:06d}"  # the newest first
    # two index Queries (keys only), then one BatchGetItem of the newest: reads grow with the limit, not the history
    assert lookup_calls == {"dynamodb.Query": 2, "dynamodb.BatchGetItem": 1} and lookup_reads <= 3 * limit
    assert not any(name.endswith(".Scan") for name in counter.calls)
    stored = DynamoComplaintRepository().get(result.reference)
    assert stored.status == Status.DUPLICATE and stored.duplicate_of == f"CMP-{OTHERS + 1:06d}"
