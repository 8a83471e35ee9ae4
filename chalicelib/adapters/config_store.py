"""Versioned run-time configuration in DynamoDB (ConfigVersionModel): append-only, newest version in force."""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from ..sla.live import ConfigVersion
from .dynamo_tables import ConfigVersionModel
from .optimistic import save_if


class DynamoConfigVersions:
    def latest(self, document: str) -> ConfigVersion | None:
        items = ConfigVersionModel.query(document, scan_index_forward=False, limit=1, consistent_read=True)
        return next((_version(item) for item in items), None)

    def get(self, document: str, version: int) -> ConfigVersion | None:
        try:
            return _version(ConfigVersionModel.get(document, version, consistent_read=True))
        except DoesNotExist:
            return None

    def history(self, document: str, limit: int, before: int | None = None) -> list[ConfigVersion]:
        condition = ConfigVersionModel.version < before if before else None
        items = ConfigVersionModel.query(document, condition, scan_index_forward=False, limit=limit)
        return [_version(item) for item in items]

    def append(self, version: ConfigVersion) -> None:
        item = ConfigVersionModel(version.document, version.version, text=version.text, action=version.action,
                                  saved_by=version.saved_by, saved_at=version.saved_at, note=version.note)
        save_if(item, ConfigVersionModel.version.does_not_exist(),
                f"{version.document} configuration version {version.version} was saved by someone else first")


def _version(item: ConfigVersionModel) -> ConfigVersion:
    return ConfigVersion(item.document, int(item.version), item.text, item.action, item.saved_by, item.saved_at,
                         item.note)
