"""The ledger table: accounts, point pools, ledger entries, authorizations, uniqueness keys
and the outbox of committed events. Every balance change is one conditional transaction.

Item layout (pk / sk):
  ACCOUNT#{ranac} / ACCOUNT      the account, its pool, role and preferences (with a version)
  CARD#{hmac}     / CARD         card-number lookup -> accountId, programId
  BCN#{hmac}      / BCN          bank customer number lookup -> accounts [{accountId, programId}]
  POOL#{poolId}   / POOL         balance, openingBalance, totalDebits, totalCredits
  POOL#{poolId}   / LEDGER#{ts}#{id}  immutable ledger entry (DEBIT or CREDIT)
  AUTH#{id}       / AUTH         processed authorization (gsi1: ACCOUNT#{ranac} / AUTH#{local time}#{id})
  UNIQUE#{key}    / UNIQUE       permanent business key (client + externalId, network reference)
  EVENT#{id}      / EVENT        outbox: one self-contained event per committed outcome (TTL)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rewards.adapters.dynamo import Item, Op, Table, dec, to_attr
from rewards.domain import (
    Account,
    AccountStatus,
    CardholderPreferences,
    HouseholdRole,
    PointPool,
    RedemptionFrequency,
)
from rewards.ids import new_uuid

EVENT_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class ItemKey:
    """The pk / sk of an entity stored as one item: ``{kind}#{id}`` / ``{kind}``."""

    kind: str

    def __call__(self, item_id: str | int) -> tuple[str, str]:
        return self.pk(item_id), self.kind

    def pk(self, item_id: str | int) -> str:
        return f"{self.prefix}{item_id}"

    @property
    def prefix(self) -> str:
        return f"{self.kind}#"


account_key = ItemKey("ACCOUNT")
pool_key = ItemKey("POOL")
card_key = ItemKey("CARD")
bcn_key = ItemKey("BCN")
authorization_key = ItemKey("AUTH")
unique_key = ItemKey("UNIQUE")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class LedgerMovement:
    """A change of a pool's balance: DEBIT (points leave) or CREDIT (points come back)."""

    pool_id: str
    points: Decimal
    cash: Decimal
    currency: str
    account_id: str
    source: str  # PWR_AUTHORIZATION, PWR_REPROCESS, DR_REDEMPTION, DR_CREDIT, ...
    reference: str
    kind: str = "DEBIT"
    entry_id: str = field(default_factory=new_uuid)


@dataclass(frozen=True)
class OutboxEvent:
    event_type: str
    program_id: str
    client_id: str | None
    payload: dict[str, Any]
    event_id: str = field(default_factory=new_uuid)


def preferences_to_item(prefs: CardholderPreferences) -> dict[str, Any]:
    return {
        "redemptionFrequency": prefs.redemptionFrequency.value,
        "minAccountPurchaseThreshold": prefs.minAccountPurchaseThreshold,
        "fixedAccountRedemptionAmount": prefs.fixedAccountRedemptionAmount,
        "receiveEmailSw": prefs.receiveEmailSw,
        "receiveSMSSw": prefs.receiveSMSSw,
        "emailAddress": prefs.emailAddress,
        "smsNumber": prefs.smsNumber,
    }


def _preferences(raw: dict[str, Any]) -> CardholderPreferences:
    def optional_decimal(name: str) -> Decimal | None:
        value = raw.get(name)
        return None if value is None else dec(value)

    return CardholderPreferences(
        redemptionFrequency=RedemptionFrequency(raw.get("redemptionFrequency", "OFF")),
        minAccountPurchaseThreshold=optional_decimal("minAccountPurchaseThreshold"),
        fixedAccountRedemptionAmount=optional_decimal("fixedAccountRedemptionAmount"),
        receiveEmailSw=bool(raw.get("receiveEmailSw", False)),
        receiveSMSSw=bool(raw.get("receiveSMSSw", False)),
        emailAddress=raw.get("emailAddress"),
        smsNumber=raw.get("smsNumber"),
    )


@dataclass(frozen=True)
class AccountRef:
    """What a card or customer-number lookup says: the account and its program."""

    accountId: str
    programId: str


def account_ref(item: Item) -> AccountRef:
    return AccountRef(str(item["accountId"]), str(item["programId"]))


def account_from_item(item: Item) -> Account:
    role = item.get("householdRole")
    return Account(
        accountId=item["accountId"],
        userId=item["userId"],
        programId=item["programId"],
        status=AccountStatus(item["status"]),
        poolId=item["poolId"],
        householdId=item.get("householdId"),
        householdRole=HouseholdRole(role) if role else None,
        lastFour=item["lastFour"],
        bankProductCode=item.get("bankProductCode"),
        preferences=_preferences(item.get("preferences", {})),
        version=int(item.get("version", 0)),
    )


def pool_from_item(item: Item) -> PointPool:
    return PointPool(
        poolId=item["poolId"],
        balance=dec(item["balance"]),
        openingBalance=dec(item["openingBalance"]),
        programId=item["programId"],
    )


class LedgerStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- reads -----------------------------------------------------------------------
    def account(self, account_id: str) -> Account | None:
        item = self.table.get(*account_key(account_id))
        return account_from_item(item) if item else None

    def accounts(self, account_ids: Iterable[str]) -> dict[str, Account]:
        items = self.table.get_many(account_key(a) for a in account_ids)
        return {item["accountId"]: account_from_item(item) for item in items.values()}

    def account_ids_for_cards(self, card_hashes: Iterable[str]) -> dict[str, str]:
        return {card: ref.accountId for card, ref in self.cards(card_hashes).items()}

    def cards(self, card_hashes: Iterable[str]) -> dict[str, AccountRef]:
        """Card hash -> the account and program it belongs to (one batched read)."""
        items = self.table.get_many(card_key(h) for h in card_hashes)
        return {pk.removeprefix("CARD#"): account_ref(item) for (pk, _), item in items.items()}

    def accounts_of_customer(self, bcn_hash: str) -> list[AccountRef]:
        """The accounts of a bank customer number, with their programs."""
        item = self.table.get(*bcn_key(bcn_hash))
        return [account_ref(entry) for entry in item.get("accounts", [])] if item else []

    def pool(self, pool_id: str) -> PointPool | None:
        item = self.table.get(*pool_key(pool_id))
        return pool_from_item(item) if item else None

    def pools(self, pool_ids: Iterable[str]) -> dict[str, PointPool]:
        items = self.table.get_many(pool_key(p) for p in pool_ids)
        return {item["poolId"]: pool_from_item(item) for item in items.values()}

    def authorization_item(self, auth_id: str) -> Item | None:
        return self.table.get(*authorization_key(auth_id))

    def unique_reference(self, business_key: str) -> str | None:
        item = self.unique_item(business_key)
        return item["reference"] if item else None

    def unique_item(self, business_key: str) -> Item | None:
        return self.table.get(*unique_key(business_key))

    def authorization_items_for_account(self, account_id: str, from_key: str, to_key: str, limit: int) -> list[Item]:
        return self.table.query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": f"ACCOUNT#{account_id}"},
                ":lo": {"S": f"AUTH#{from_key}"},
                ":hi": {"S": f"AUTH#{to_key}"},
            },
            ScanIndexForward=False,
            max_items=limit,
        )

    def pool_partition(self, pool_id: str) -> list[Item]:
        """The pool item and all its ledger entries (for the invariant check)."""
        return self.table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"POOL#{pool_id}"}},
            ConsistentRead=True,
        )

    def all_pool_ids(self) -> Iterator[str]:
        for item in self.table.scan(
            FilterExpression="sk = :sk", ExpressionAttributeValues={":sk": {"S": "POOL"}}, ProjectionExpression="poolId"
        ):
            yield item["poolId"]

    # -- transaction actions ---------------------------------------------------------
    def movement_ops(self, movement: LedgerMovement, now: datetime, seen_balance: Decimal) -> list[Op]:
        """The balance change plus its immutable ledger entry. The change is conditional on the
        balance the request read (``seen_balance``), so the balance it reports after the commit is
        exact; a refusal returns the pool as it is now (a lost race: decide again from it)."""
        pk, sk = pool_key(movement.pool_id)
        if movement.kind == "DEBIT":
            balance_update = self.table.update_action(
                pk,
                sk,
                "SET balance = balance - :p, totalDebits = totalDebits + :p",
                {":p": movement.points, ":seen": seen_balance},
                condition="attribute_exists(pk) AND balance = :seen AND balance >= :p",
                return_current=True,
            )
        else:
            balance_update = self.table.update_action(
                pk,
                sk,
                "SET balance = balance + :p, totalCredits = totalCredits + :p",
                {":p": movement.points, ":seen": seen_balance},
                condition="attribute_exists(pk) AND balance = :seen",
                return_current=True,
            )
        entry = self.table.put_action(
            {
                "pk": pk,
                "sk": f"LEDGER#{iso(now)}#{movement.entry_id}",
                "type": "LEDGER_ENTRY",
                "entryId": movement.entry_id,
                "entryType": movement.kind,
                "points": movement.points,
                "cash": movement.cash,
                "currency": movement.currency,
                "accountId": movement.account_id,
                "source": movement.source,
                "reference": movement.reference,
                "createdAt": iso(now),
            }
        )
        return [Op("balance", balance_update), Op("ledger", entry)]

    def unique_op(self, business_key: str, reference: str, now: datetime, **first_result: str) -> Op:
        """The permanent business key; ``first_result`` keeps what the first answer said, for replays."""
        pk, sk = unique_key(business_key)
        return Op(
            "unique",
            self.table.put_action({"pk": pk, "sk": sk, "reference": reference, "createdAt": iso(now), **first_result}),
        )

    def event_op(self, event: OutboxEvent, now: datetime) -> Op:
        return Op(
            "event",
            self.table.put_action(
                {
                    "pk": f"EVENT#{event.event_id}",
                    "sk": "EVENT",
                    "type": "EVENT",
                    "eventId": event.event_id,
                    "eventType": event.event_type,
                    "programId": event.program_id,
                    "clientId": event.client_id,
                    "payload": json.dumps(event.payload, default=str, separators=(",", ":")),
                    "createdAt": iso(now),
                    "expiresAt": int((now + EVENT_RETENTION).timestamp()),
                }
            ),
        )

    def preference_op(self, account: Account, *, turn_off: bool) -> Op:
        """Pin the preferences the decision used; SNGL turns itself OFF in the same write."""
        pk, sk = account_key(account.accountId)
        if turn_off:
            return Op(
                "account",
                self.table.update_action(
                    pk,
                    sk,
                    "SET preferences.redemptionFrequency = :off, version = version + :one",
                    {":off": RedemptionFrequency.OFF.value, ":one": 1, ":v": account.version},
                    condition="version = :v",
                ),
            )
        return Op("account", self.table.condition_action(pk, sk, "version = :v", {":v": account.version}))

    def record_op(self, values: dict[str, Any]) -> Op:
        """A new record (authorization, redemption); its random id must not exist yet."""
        return Op("record", self.table.put_action(values))

    def reprocess_op(self, auth_id: str, record: dict[str, Any], expected_reason: str, client_id: str) -> Op:
        """Mark an authorization reprocessed, once, and only from the outcome that was checked."""
        pk, sk = authorization_key(auth_id)
        return Op(
            "record",
            self.table.update_action(
                pk,
                sk,
                "SET #record = :record, reprocessClientId = :client",
                {":record": record, ":expected": expected_reason, ":client": client_id},
                condition="attribute_exists(pk) AND attribute_not_exists(#record.reprocessId)"
                " AND #record.responseReasonId = :expected",
                names={"#record": "record"},
            ),
        )

    def transact(self, ops: list[Op], token: str) -> None:
        self.table.transact(ops, token)

    def save_preferences(self, account: Account, prefs: CardholderPreferences, token: str) -> None:
        """Replace the preferences if the account is still at the version read; ``token`` marks the
        write so that a lost answer can be told from someone else's change (``preferences_written``)."""
        pk, sk = account_key(account.accountId)
        self.table.update(
            pk,
            sk,
            UpdateExpression="SET preferences = :prefs, version = version + :one, preferencesToken = :token",
            ConditionExpression="version = :v",
            ExpressionAttributeValues={
                ":prefs": to_attr({k: v for k, v in preferences_to_item(prefs).items() if v is not None}),
                ":one": to_attr(1),
                ":v": to_attr(account.version),
                ":token": to_attr(token),
            },
        )

    def preferences_written(self, account_id: str, token: str) -> bool:
        """Whether the last preference change of the account is the one made with ``token``."""
        item = self.table.get(*account_key(account_id))
        return item is not None and item.get("preferencesToken") == token
