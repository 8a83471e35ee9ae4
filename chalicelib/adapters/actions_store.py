"""PDCA improvement actions in DynamoDB, one item each (the action as JSON), written under optimistic locking."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from ..domain.errors import NotFound
from ..quality.pdca import ImprovementAction, StageChange
from .dynamo_tables import ImprovementActionModel
from .optimistic import save_if

KIND = "action"


class DynamoActionStore:
    def list(self) -> list[ImprovementAction]:
        return [to_action(item.body) for item in ImprovementActionModel.query(KIND)]

    def get(self, action_id: str) -> ImprovementAction:
        try:
            return to_action(ImprovementActionModel.get(KIND, action_id, consistent_read=True).body)
        except DoesNotExist:
            raise NotFound(f"improvement action {action_id} not found") from None

    def save(self, action: ImprovementAction, previous_version: int | None) -> None:
        """previous_version None: a new action (its id must be new)."""
        item = ImprovementActionModel(KIND, action.id, body=to_json(action), version=len(action.history))
        condition = (ImprovementActionModel.id.does_not_exist() if previous_version is None
                     else ImprovementActionModel.version == previous_version)
        save_if(item, condition, f"improvement action {action.id} changed meanwhile; reload")


def to_json(action: ImprovementAction) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, (date, datetime)) else value

    data = {k: plain(v) for k, v in dataclasses.asdict(action).items() if k != "history"}
    data["history"] = [{k: plain(v) for k, v in dataclasses.asdict(change).items()} for change in action.history]
    return data


def to_action(data: dict[str, Any]) -> ImprovementAction:
    history = tuple(StageChange(**{**c, "at": datetime.fromisoformat(c["at"])}) for c in data["history"])
    return ImprovementAction(**{**data, "start": date.fromisoformat(data["start"]),
                                "due": date.fromisoformat(data["due"]), "history": history})
