"""What run-time configuration costs a function on moto, counted through botocore events (not timed): the SLA
document and the staff directory are re-read at most every 30 s, whatever the traffic, and one read each time.
The document has 50 saved versions and the directory 200 members, so the figures show what grows and what does not."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.performance.aws_calls import AwsCalls

MINUTES, CALLS_PER_SECOND = 10, 20


class SteppingClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 5, 9, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.at


def test_configuration_and_directory_reads_do_not_grow_with_traffic_or_history(moto_tables):
    from chalicelib.adapters.config_store import DynamoConfigVersions
    from chalicelib.adapters.dynamo_tables import ConfigVersionModel, StaffMemberModel
    from chalicelib.adapters.staff_store import DynamoStaffStore
    from chalicelib.domain.staff import StaffDirectory, StaffMember
    from chalicelib.sla.config import DEFAULT_PATH
    from chalicelib.sla.live import LiveSlaConfig

    clock, text = SteppingClock(), DEFAULT_PATH.read_text(encoding="utf-8")
    writer = LiveSlaConfig(DynamoConfigVersions(), clock, seed=lambda: text)
    for n in range(1, 50):  # 50 versions of history
        writer.save(text + f"\n# change {n}\n", by="admin", expected_version=n)
    store = DynamoStaffStore()
    for n in range(200):
        store.save(StaffMember(f"agent-{n:03d}", f"Agent {n}", f"a{n}@example.com", teams=("billing",)), None)

    live = LiveSlaConfig(DynamoConfigVersions(), clock, seed=lambda: text)  # another function's copy
    directory = StaffDirectory(store, clock)
    counter = AwsCalls()
    clients = {id(m._get_connection().connection.client): m._get_connection().connection.client
               for m in (ConfigVersionModel, StaffMemberModel)}  # PynamoDB may keep one client per model
    for client in clients.values():
        client.meta.events.register("after-call.dynamodb.*", counter)
    lookups = 0
    for _ in range(MINUTES * 60):
        for _ in range(CALLS_PER_SECOND):
            live.current()
            directory.of_team("billing")
            lookups += 2
        clock.at += timedelta(seconds=1)
    for client in clients.values():
        client.meta.events.unregister("after-call.dynamodb.*", counter)

    queries = counter.calls["dynamodb.Query"]
    per_minute = queries / MINUTES
    print(f"\nrun-time configuration over {MINUTES} min at {CALLS_PER_SECOND} routing decisions a second "
          f"({lookups} lookups): {queries} Queries ({per_minute:.0f} a minute: the document and the directory, "
          f"each every 30 s), {counter.items_read} items read; the document has 50 versions, the directory 200 "
          f"members; calls {dict(counter.calls)}")
    assert set(counter.calls) == {"dynamodb.Query"}
    assert per_minute <= 4  # two each a minute, whatever the traffic
    # The document read is one item (Limit 1, newest first), whatever the history; the directory read is its size.
    assert counter.items_read == MINUTES * 2 * (1 + 200)
