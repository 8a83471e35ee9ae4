"""Cost of the SLA machinery on moto, counted through botocore events (not timed): a sweep over 10,000 open
complaints of which 20 are due reads only the due ones, and one new complaint's clocks take one schedule."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import boto3

from chalicelib.domain.model import Channel, Complaint, Sender, Status
from tests.performance.aws_calls import AwsCalls

OPEN, DUE = 10_000, 20


def _complaint(n: int, now: datetime, due: bool) -> Complaint:
    created = now - timedelta(hours=2 if due else 1)
    return Complaint(
        reference=f"CMP-{n:06d}", channel=Channel.WEB,
        channel_message_id=f"m{n}", sender=Sender(email=f"c{n}@example.com"), subject="s", description="d",
        created_at=created, updated_at=created, status=Status.NEW, team=f"team-{n % 10}",
        next_due_at=now - timedelta(minutes=1) if due else now + timedelta(days=1 + n % 5), version=1,
    )


def test_sweep_reads_follow_the_due_work_and_a_new_complaint_schedules_cheaply(moto_tables):
    from chalicelib.adapters.dynamo_repository import DynamoComplaintRepository, _to_item
    from chalicelib.adapters.dynamo_tables import ComplaintModel

    now = datetime.now(timezone.utc)
    due_numbers = set(range(0, OPEN, OPEN // DUE))
    with ComplaintModel.batch_write() as batch:
        for n in range(OPEN):
            batch.save(_to_item(_complaint(n, now, n in due_numbers)))

    counter = AwsCalls()
    events = ComplaintModel._get_connection().connection.client.meta.events
    events.register("after-call.dynamodb.*", counter)
    found = []
    for team in (f"team-{t}" for t in range(10)):
        found += DynamoComplaintRepository().open_for_team(team, due_before=now, limit=100)
    events.unregister("after-call.dynamodb.*", counter)
    print(f"\nsweep over {OPEN} open complaints, {DUE} due: {len(found)} found, "
          f"{counter.items_read} items read in {sum(counter.calls.values())} queries")
    assert len(found) == DUE
    assert counter.items_read <= 100

    # one new complaint through the pipeline with Scheduler timers: count the scheduler calls
    from chalicelib.adapters.sla_adapters import SchedulerTimers
    from chalicelib.domain.service import IntakePipeline
    from chalicelib.domain.stages import BasicScreener, RequestedCategoryClassifier, SimpleTriage
    from chalicelib.sla.config import default_config
    from chalicelib.sla.keeper import SkillRouter, SlaKeeper
    from chalicelib.adapters.sla_adapters import DynamoWorkload
    from chalicelib.wiring import SystemClock
    from tests.fakes import RecordingNotifier, make_message

    scheduler = boto3.client("scheduler", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    scheduler.create_schedule_group(Name="sla")
    calls = AwsCalls()
    scheduler.meta.events.register("after-call.scheduler.*", calls)
    keeper = SlaKeeper(default_config(), SchedulerTimers("sla", "arn:aws:sqs:us-east-1:123456789012:timers",
                                                         "arn:aws:iam::123456789012:role/scheduler", scheduler))
    pipeline = IntakePipeline(DynamoComplaintRepository(), RecordingNotifier(),
                              SimpleTriage(BasicScreener(), RequestedCategoryClassifier()), keeper,
                              SkillRouter(default_config(), DynamoWorkload()), SystemClock(), b"k")
    pipeline.process(make_message(requested_category="billing"))
    scheduler_calls = sum(calls.calls.values())
    print(f"scheduling one new complaint's clocks: {scheduler_calls} Scheduler calls {dict(calls.calls)}")
    assert dict(calls.calls) == {"scheduler.CreateSchedule": 1}  # one schedule per complaint, at its next instant
    assert len(scheduler.list_schedules(GroupName="sla")["Schedules"]) == 1
