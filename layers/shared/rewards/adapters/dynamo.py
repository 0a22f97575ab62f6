"""Low-level DynamoDB helpers: (de)serialization, batched reads, transactions with roles."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from rewards.errors import Unavailable

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]
Key = tuple[str, str]

BATCH_GET_LIMIT = 100
# Timeouts and lost connections once botocore's own retries are spent (ReadTimeoutError,
# ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError, ...).
TRANSPORT_ERRORS = (BotocoreConnectionError, HTTPClientError)
RETRYABLE_CANCELLATIONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
# The same token re-sent while its first send still runs: the outcome is not known yet.
IN_PROGRESS = "TransactionInProgressException"


def to_attr(value: Any) -> dict[str, Any]:
    return cast(dict[str, Any], _serializer.serialize(value))


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> Item:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def key(pk: str, sk: str | None) -> dict[str, Any]:
    """The key of an item; ``sk`` None for a table keyed by ``pk`` alone."""
    return {"pk": {"S": pk}} if sk is None else {"pk": {"S": pk}, "sk": {"S": sk}}


@dataclass(frozen=True)
class Op:
    """One action of a TransactWriteItems call, tagged with the role it plays for the caller."""

    role: str
    action: dict[str, Any]


class TransactionRefused(Exception):
    """A condition of the transaction failed; ``roles`` names which ones, and ``current`` holds the
    item as it is now for each refused action that asked for it (ReturnValuesOnConditionCheckFailure)."""

    def __init__(self, roles: set[str], current: dict[str, Item] | None = None) -> None:
        super().__init__(f"transaction refused by condition(s): {sorted(roles)}")
        self.roles = roles
        self.current = current or {}


class TransientConflict(Unavailable):
    """A retryable failure: conflict, throttling, timeout or lost connection.

    After a timeout the change may or may not have been committed: the caller re-sends the same
    transaction with the same token, which DynamoDB applies at most once, and reads back what
    committed before it answers.
    """

    def __init__(self, cause: str) -> None:
        super().__init__("The ledger is busy; retry the request.", details=cause)
        self.cause = cause


class Table:
    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def get(self, pk: str, sk: str | None, *, consistent: bool = True) -> Item | None:
        response = self._call(self.client.get_item, TableName=self.name, Key=key(pk, sk), ConsistentRead=consistent)
        item = response.get("Item")
        return from_item(item) if item else None

    def get_many(self, keys: Iterable[Key]) -> dict[Key, Item]:
        """BatchGetItem in chunks of 100, following UnprocessedKeys; consistent reads."""
        return read_many({self: keys}).get(self, {})

    def query(self, **kwargs: Any) -> list[Item]:
        items: list[Item] = []
        limit = kwargs.pop("max_items", None)
        while True:
            response = self._call(self.client.query, TableName=self.name, **kwargs)
            items.extend(from_item(raw) for raw in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start or (limit is not None and len(items) >= limit):
                return items[:limit] if limit is not None else items
            kwargs["ExclusiveStartKey"] = start

    def query_pages(self, **kwargs: Any) -> Iterator[Item]:
        """A query's items as its pages arrive (bounded memory, however many there are)."""
        while True:
            response = self._call(self.client.query, TableName=self.name, **kwargs)
            yield from (from_item(raw) for raw in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                return
            kwargs["ExclusiveStartKey"] = start

    def scan(self, **kwargs: Any) -> Iterable[Item]:
        while True:
            response = self._call(self.client.scan, TableName=self.name, **kwargs)
            yield from (from_item(raw) for raw in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                return
            kwargs["ExclusiveStartKey"] = start

    def put(self, values: Mapping[str, Any], *, condition: str | None = None, **extra: Any) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": to_item(values), **extra}
        if condition:
            kwargs["ConditionExpression"] = condition
        self._call(self.client.put_item, **kwargs)

    def update(self, pk: str, sk: str | None, **kwargs: Any) -> Item:
        response = self._call(
            self.client.update_item, TableName=self.name, Key=key(pk, sk), ReturnValues="ALL_NEW", **kwargs
        )
        return from_item(response.get("Attributes", {}))

    def transact(self, ops: Sequence[Op], token: str) -> None:
        """All or nothing, at most once per ``token`` (DynamoDB's ClientRequestToken: a re-send of
        the same actions with the same token within ten minutes succeeds without applying them
        again). A failed condition raises TransactionRefused with the roles that failed."""
        try:
            self.client.transact_write_items(TransactItems=[op.action for op in ops], ClientRequestToken=token)
        except TRANSPORT_ERRORS as error:
            raise TransientConflict(type(error).__name__) from error
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == IN_PROGRESS:
                raise TransientConflict(code) from error
            if code != "TransactionCanceledException":
                raise _translate(error) from error
            reasons = error.response.get("CancellationReasons") or _reasons_from_message(error, len(ops))
            codes = [reason.get("Code", "None") for reason in reasons]
            failed = {ops[i].role for i, c in enumerate(codes) if c == "ConditionalCheckFailed"}
            if failed:
                current = {
                    ops[i].role: from_item(reason["Item"])
                    for i, reason in enumerate(reasons)
                    if reason.get("Code") == "ConditionalCheckFailed" and reason.get("Item")
                }
                raise TransactionRefused(failed, current) from error
            if any(c in RETRYABLE_CANCELLATIONS for c in codes):
                raise TransientConflict(str(codes)) from error
            raise Unavailable("The ledger could not commit the change; retry the request.") from error

    # -- action builders -------------------------------------------------------------
    def put_action(
        self,
        values: Mapping[str, Any],
        condition: str | None = "attribute_not_exists(pk)",
        *,
        return_current: bool = False,
    ) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.name, "Item": to_item(values)}
        if condition:
            put["ConditionExpression"] = condition
        if return_current:
            put["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {"Put": put}

    def update_action(
        self,
        pk: str,
        sk: str,
        update: str,
        values: Mapping[str, Any],
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        return_current: bool = False,
    ) -> dict[str, Any]:
        action: dict[str, Any] = {
            "TableName": self.name,
            "Key": key(pk, sk),
            "UpdateExpression": update,
            "ExpressionAttributeValues": {name: to_attr(value) for name, value in values.items()},
        }
        if condition:
            action["ConditionExpression"] = condition
        if names:
            action["ExpressionAttributeNames"] = dict(names)
        if return_current:
            action["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {"Update": action}

    def condition_action(self, pk: str, sk: str, condition: str, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self.name,
                "Key": key(pk, sk),
                "ConditionExpression": condition,
                "ExpressionAttributeValues": {name: to_attr(value) for name, value in values.items()},
            }
        }

    @staticmethod
    def _call(method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except TRANSPORT_ERRORS as error:
            raise TransientConflict(type(error).__name__) from error
        except ClientError as error:
            raise _translate(error) from error


def read_many(wanted: Mapping[Table, Iterable[Key]]) -> dict[Table, dict[Key, Item]]:
    """The items of several tables of one client in the fewest BatchGetItem requests (100 keys each,
    UnprocessedKeys followed), consistent reads; by table."""
    pending = [(table, k) for table, keys in wanted.items() for k in dict.fromkeys(keys)]
    found: dict[Table, dict[Key, Item]] = {}
    for start in range(0, len(pending), BATCH_GET_LIMIT):
        chunk = pending[start : start + BATCH_GET_LIMIT]
        tables = {table.name: table for table, _ in chunk}
        request: dict[str, Any] = {}
        for table, (pk, sk) in chunk:
            request.setdefault(table.name, {"Keys": [], "ConsistentRead": True})["Keys"].append(key(pk, sk))
        while request:
            response = Table._call(chunk[0][0].client.batch_get_item, RequestItems=request)
            for name, raws in response.get("Responses", {}).items():
                for raw in raws:
                    item = from_item(raw)
                    found.setdefault(tables[name], {})[(item["pk"], item["sk"])] = item
            request = response.get("UnprocessedKeys") or {}
    return found


def _translate(error: ClientError) -> Exception:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        current = error.response.get("Item")  # with ReturnValuesOnConditionCheckFailure=ALL_OLD
        return TransactionRefused({"condition"}, {"condition": from_item(current)} if current else None)
    if code in {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }:
        return TransientConflict(code)
    return cast(Exception, error)


def _reasons_from_message(error: ClientError, count: int) -> list[dict[str, str]]:
    """Older emulators only list the reasons in the message: '[None, ConditionalCheckFailed, None]'."""
    message = error.response.get("Error", {}).get("Message", "")
    if "[" not in message:
        return []
    inner = message[message.rfind("[") + 1 : message.rfind("]")]
    codes = [part.strip() for part in inner.split(",")]
    return [{"Code": code} for code in codes[:count]]


def dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
