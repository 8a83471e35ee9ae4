"""The staff directory and console sessions in DynamoDB."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist

from ..domain.staff import StaffMember
from .dynamo_tables import StaffMemberModel, StaffSessionModel
from .optimistic import save_if

KIND = "member"


class DynamoStaffStore:
    def all(self) -> list[StaffMember]:
        return [to_member(item.body) for item in StaffMemberModel.query(KIND)]

    def get(self, member_id: str) -> StaffMember | None:
        try:
            return to_member(StaffMemberModel.get(KIND, member_id, consistent_read=True).body)
        except DoesNotExist:
            return None

    def save(self, member: StaffMember, previous_version: int | None) -> None:
        item = StaffMemberModel(KIND, member.id, body=to_json(member), version=member.version)
        condition = (StaffMemberModel.id.does_not_exist() if previous_version is None
                     else StaffMemberModel.version == previous_version)
        save_if(item, condition, f"staff member {member.id} changed meanwhile; reload")


def to_json(member: StaffMember) -> dict[str, Any]:
    data = dataclasses.asdict(member)
    data["away_until"] = member.away_until.isoformat() if member.away_until else None
    return data


def to_member(data: dict[str, Any]) -> StaffMember:
    tuples = {k: tuple(data.get(k) or ()) for k in ("teams", "lead_of", "skills", "languages")}
    until = datetime.fromisoformat(data["away_until"]) if data.get("away_until") else None
    return StaffMember(**{**data, **tuples, "away_until": until})


class DynamoSessionStore:
    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(StaffSessionModel.get(key, consistent_read=True).body)
        except DoesNotExist:
            return None

    def put(self, key: str, body: dict[str, Any], expires_at: int) -> None:
        StaffSessionModel(key, body=body, expires_at=expires_at).save()

    def delete(self, key: str) -> None:
        StaffSessionModel(key).delete()

    def take(self, key: str) -> dict[str, Any] | None:
        """Get, then delete on the condition that the item is still there: of two takes, one gets it."""
        body = self.get(key)
        if body is None:
            return None
        try:
            StaffSessionModel(key).delete(condition=StaffSessionModel.id.exists())
        except DeleteError as error:
            if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
                return None
            raise
        return body
