"""Patches to moto for the local stack and the tests. Local development only.

1. TransactWriteItems without whole-table backups. moto backs up every table a transaction touches with
   copy.deepcopy, once per item, before it writes, so each of our transactional writes costs time and memory in
   proportion to the tables' size (the stack grew by gigabytes in a replay of a few hundred complaints). The patch
   checks every condition first, against the current items, and writes only when all hold, which is what DynamoDB
   promises; so no backup is needed.
2. One import of the private key that moto gives every Cognito user pool (an RSA check of 0.3 s per pool).
3. One botocore loader per process: mock_aws drops boto3's default session, and each new session parsed the
   service models' JSON again (a quarter of a second for the clients one test makes).
4. The moto server lists its own package's folders once, not on every request (about 150 stat calls each).
"""
from __future__ import annotations

import functools
from typing import Any

import botocore.session
import moto.backends as moto_backends
import moto.cognitoidp.models as cognito_models
import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.comparisons import get_filter_expression


class _NoBackup:
    """Stands in for the module's `copy`: the original method's backups become references (nothing to restore)."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        return value


def _key(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return op["Key"]
    table = backend.get_table(op["TableName"])
    names = [n for n in (table.hash_key_attr, table.range_key_attr) if n]
    return {name: op["Item"][name] for name in names}


def _failed_conditions(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple]:
    errors, failed = [], False
    for item in transact_items:
        op_type, op = next(iter(item.items()))
        condition = op.get("ConditionExpression")
        if condition is None or op.get("TableName") not in backend.tables:
            errors.append((None, None, None))
            continue
        current = backend.get_item(op["TableName"], _key(backend, op_type, op))
        check = get_filter_expression(condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues"))
        if check.expr(current):
            errors.append((None, None, None))
        else:
            failed = True
            errors.append(("ConditionalCheckFailed", "The conditional request failed", None))
    return errors if failed else []


@functools.cache
def _pool_key() -> Any:
    from moto.utilities.utils import load_resource

    return cognito_models.jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


class _PoolKeys:
    """Stands in for moto.cognitoidp.models' `jwk`, which it uses only to import that one key."""

    class RSAKey:
        @staticmethod
        def import_key(value: Any) -> Any:
            return _pool_key()


def apply() -> None:
    if botocore.session.create_loader.__name__ != "shared_loader":
        create_loader = botocore.session.create_loader

        @functools.cache
        def shared_loader(search_path_string: str | None = None) -> Any:
            return create_loader(search_path_string)

        botocore.session.create_loader = shared_loader
    if not hasattr(moto_backends.list_of_moto_modules, "cache_info"):
        listed = tuple(moto_backends.list_of_moto_modules())
        moto_backends.list_of_moto_modules = functools.cache(lambda: listed)
    if cognito_models.jwk is not _PoolKeys:
        _pool_key()
        cognito_models.jwk = _PoolKeys
    original = dynamodb_models.DynamoDBBackend.transact_write_items
    if getattr(original, "_checked_first", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        errors = _failed_conditions(self, transact_items)
        if errors:
            raise TransactionCanceledException(errors)
        module_copy, dynamodb_models.copy = dynamodb_models.copy, _NoBackup
        try:
            return original(self, transact_items)
        finally:
            dynamodb_models.copy = module_copy

    transact_write_items._checked_first = True
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items
