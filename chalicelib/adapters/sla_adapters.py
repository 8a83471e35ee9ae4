"""Adapters of the SLA ports: one-time timers on EventBridge Scheduler, the team workload and round-robin cursor,
and the alert storm windows, on DynamoDB."""
from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from pynamodb.exceptions import DoesNotExist

from ..domain.ports import lanes_of
from .dynamo_tables import AgentLoadModel, AlertWindowModel, ComplaintModel, TeamRoutingModel


class SchedulerTimers:
    """Each timer is a one-time schedule `at(...)` in the SLA group that sends its payload to the timer queue and
    deletes itself after it ran (ActionAfterCompletion=DELETE). Moving a timer is one UpdateSchedule."""

    def __init__(self, group: str, target_arn: str, role_arn: str, scheduler=None):
        import boto3

        self.group, self.target_arn, self.role_arn = group, target_arn, role_arn
        self._scheduler = scheduler or boto3.client("scheduler")

    def set(self, name: str, at: datetime, payload: dict, exists: bool) -> None:
        if at.microsecond:  # at() has whole seconds: round up, or the timer fires before its instant and finds nothing
            at = at.replace(microsecond=0) + timedelta(seconds=1)
        request = {
            "Name": name, "GroupName": self.group,
            "ScheduleExpression": f"at({at.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%S})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Target": {"Arn": self.target_arn, "RoleArn": self.role_arn, "Input": json.dumps(payload)},
        }
        if exists:
            try:
                self._scheduler.update_schedule(**request)
                return
            except self._scheduler.exceptions.ResourceNotFoundException:
                pass  # it fired and deleted itself meanwhile
        try:
            self._scheduler.create_schedule(**request)
        except self._scheduler.exceptions.ConflictException:
            self._scheduler.update_schedule(**request)  # a retried change created it already

    def delete(self, name: str) -> None:
        try:
            self._scheduler.delete_schedule(Name=name, GroupName=self.group)
        except self._scheduler.exceptions.ResourceNotFoundException:
            pass  # fired (and deleted itself) already


class DynamoWorkload:
    def open_by_agent(self, agents: list[str]) -> Counter:
        """The members' load counters (kept by the complaint's own transactions): a BatchGet of the roster."""
        if not agents:
            return Counter()
        return Counter({item.agent: max(0, int(item.open)) for item in AgentLoadModel.batch_get(set(agents))})

    def last_assigned(self, cursor: str) -> str | None:
        try:
            return TeamRoutingModel.get(cursor).last_assigned
        except DoesNotExist:
            return None

    def remember_assignment(self, cursor: str, agent: str) -> None:
        TeamRoutingModel(cursor, last_assigned=agent).save()


class DynamoAlertWindows:
    def count(self, team: str, window_start: datetime) -> int:
        item = AlertWindowModel(f"{team}#{window_start.isoformat()}")
        item.update(actions=[AlertWindowModel.count.add(1),
                             AlertWindowModel.expires_at.set(int(time.time()) + 2 * 86400)])
        return int(item.count)  # the updated value, as DynamoDB returned it


def count_open(team: str, at_most: int) -> str:
    """The team's open complaints with a running clock, counted up to `at_most` (a bounded Query per shard of the
    team, until the count is past it): "12", "100+"."""
    seen = 0
    for lane in lanes_of("team", team):
        if seen > at_most:
            break
        seen += sum(1 for _ in ComplaintModel.by_team_due.query(lane.partition, limit=at_most + 1 - seen,
                                                                attributes_to_get=["reference"]))
    return f"{at_most}+" if seen > at_most else str(seen)
