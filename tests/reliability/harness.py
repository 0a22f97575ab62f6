"""Shared pieces of the reliability suite: fresh households, events, per-thread handler copies,
and the ledger invariant read straight from the table."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType
from typing import Any

from tools import moto_lock
from tools.apigw import http_event, sqs_event
from tools.make_events import PURCHASE
from tools.samtemplate import handler_path

from rewards.adapters.dynamo import from_item
from rewards.records import PoolLedger, StoredAuthorization
from tests.support import LambdaContext, Stack, account_authorizations, ledger_of, load_config

PROGRAM_ID = "PWRREL"
# The same program with partial redemption on. Its own id keeps every program id's configuration
# fixed for the whole run: the functions cache a program for 60 s, so a household that switched one
# id between full and partial would see the previous household's program depending on the clock.
PARTIAL_PROGRAM_ID = "PWRRELP"
PROGRAM_IDS = [PROGRAM_ID, PARTIAL_PROGRAM_ID]
CLIENT_ID = "rel-issuer"
CALLER = {"clientId": CLIENT_ID, "programIds": ",".join(PROGRAM_IDS), "role": "ISSUER"}
MERCHANT_ID = "rel-merchant"
MERCHANT = {"clientId": MERCHANT_ID, "programIds": ",".join(PROGRAM_IDS), "role": "MERCHANT"}
DR_ITEM = "REL1"  # a catalog item priced like the program's base tier (1 point per cent)
COST_PER_POINT = Decimal("0.01")
_serial = itertools.count(1)


def program(partial: bool = False) -> dict[str, Any]:
    return {
        "programId": PARTIAL_PROGRAM_ID if partial else PROGRAM_ID,
        "programName": "Reliability",
        "pointsName": "Points",
        "currencyCode": "USD",
        "authRewardsServiceType": "PWR",
        "filters": {"minPurchaseAmount": "1.00"},
        "baseConversion": {"name": "Base", "tiers": [{"fromAmount": "0", "costPerPoint": str(COST_PER_POINT)}]},
        "roundingMethod": "NATURAL",
        "redemptionMinimumCash": "10.00",
        "partialRedemption": {"enabled": partial, "cashIncrement": "10.00"},
        "reprocessableReasonCodes": ["59", "72"],
        "catalog": {
            "redemptionItems": [
                {
                    "redemptionItemId": DR_ITEM,
                    "type": "MERCHANDISE",
                    "description": "Reliability item",
                    "costPerPoint": str(COST_PER_POINT),
                }
            ]
        },
    }


@dataclass(frozen=True)
class Household:
    """One pool shared by a SNGL redeemer, a MULT redeemer and an OFF redeemer (and, when asked
    for, more MULT redeemers: ``members``)."""

    pool_id: str
    opening: Decimal
    alice: str
    bob: str
    carol: str
    more: tuple[str, ...] = ()

    @property
    def accounts(self) -> tuple[str, ...]:
        return self.alice, self.bob, self.carol, *self.more

    @property
    def members(self) -> tuple[str, ...]:
        """The MULT redeemers: Bob and the extra members."""
        return self.bob, *self.more


def new_household(stack: Stack, opening: Decimal, *, partial: bool = False, members: int = 1) -> Household:
    """Load a household no earlier test has touched (unique ids, unique card numbers); ``members``
    MULT redeemers in all (Bob and ``members - 1`` more)."""
    n = next(_serial)
    tag = f"{n:06d}"
    more = tuple(f"RANACM{tag}{m:02d}" for m in range(members - 1))
    household = Household(f"HH-REL-{tag}", opening, f"RANACA{tag}", f"RANACB{tag}", f"RANACC{tag}", more)
    program_id = PARTIAL_PROGRAM_ID if partial else PROGRAM_ID

    def account(account_id: str, card: int, frequency: str) -> dict[str, Any]:
        return {
            "accountId": account_id,
            "cardNumber": f"59{n:08d}{card:06d}",
            "programId": program_id,
            "householdId": household.pool_id,
            "householdRole": "PRIMARY_REDEEMER" if card == 1 else "REDEEMER",
            "preferences": {"redemptionFrequency": frequency},
        }

    document = {
        "programs": [program(False), program(True)],
        "clients": [
            {"clientId": CLIENT_ID, "name": "Reliability", "role": "ISSUER", "programIds": PROGRAM_IDS},
            {"clientId": MERCHANT_ID, "name": "Reliability shop", "role": "MERCHANT", "programIds": PROGRAM_IDS},
        ],
        "households": [{"householdId": household.pool_id, "programId": program_id, "openingBalance": str(opening)}],
        "users": [
            {"userId": f"alice{tag}", "accounts": [account(household.alice, 1, "SNGL")]},
            {"userId": f"bob{tag}", "accounts": [account(household.bob, 2, "MULT")]},
            {"userId": f"carol{tag}", "accounts": [account(household.carol, 3, "OFF")]},
            *({"userId": f"m{m}{tag}", "accounts": [account(a, 10 + m, "MULT")]} for m, a in enumerate(more)),
        ],
    }
    load_config(stack, text=json.dumps(document))
    return household


def fields(account_id: str, amount: Decimal) -> dict[str, Any]:
    """The sample purchase of events/, for ``account_id`` (RANAC) and ``amount`` USD."""
    return {
        **PURCHASE,
        "accountId": account_id,
        "accountIdType": "RANAC",
        "cardholderBillingAmount": f"{amount:.2f}",
        "transactionAmount": f"{amount:.2f}",
        "transactionCurrencyCode": "USD",
    }


def points_for(amount: Decimal) -> Decimal:
    return amount / COST_PER_POINT


def post_authorization(account_id: str, amount: Decimal, external_id: str) -> dict[str, Any]:
    body = {**fields(account_id, amount), "externalId": external_id, "queueTransaction": "N"}
    return http_event("POST", "/authorizations", body=body, authorizer=CALLER)


def network_message(account_id: str, amount: Decimal, reference: str) -> str:
    return json.dumps({"origin": "NETWORK", "externalId": reference, "authorization": fields(account_id, amount)})


def network_event(*bodies: str) -> dict[str, Any]:
    return sqs_event(list(bodies))


def put_preferences(account_id: str, preferences: dict[str, Any]) -> dict[str, Any]:
    return http_event(
        "PUT",
        f"/redeemers/{account_id}/preferences",
        route_key="PUT /redeemers/{id}/preferences",
        path_parameters={"id": account_id},
        query={"redemption_type": "PWR"},
        body={"userIdType": "RANAC", "preferences": preferences},
        authorizer=CALLER,
    )


def post_reprocess(auth_id: str, account_id: str, processed_by: str = "RELTEST") -> dict[str, Any]:
    return http_event(
        "POST",
        f"/authorizations/{auth_id}/reprocess",
        route_key="POST /authorizations/{id}/reprocess",
        path_parameters={"id": auth_id},
        body={"processedBy": processed_by, "accountId": account_id, "accountIdType": "RANAC"},
        authorizer=CALLER,
    )


def dr_redemption(account_id: str, amount: Decimal, external_id: str) -> dict[str, Any]:
    """POST /redemptions of one catalog item worth ``amount`` (points_for(amount) points)."""
    return {
        "items": [
            {
                "description": "Reliability item",
                "cashEquivalent": f"{amount:.2f}",
                "paymentOption": "POINTS_ONLY",
                "quantity": 1,
                "redemptionItemId": DR_ITEM,
            }
        ],
        "processedBy": "RELTEST",
        "redemptionType": "MERCHANDISE",
        "userId": account_id,
        "userIdType": "RANAC",
        "externalId": external_id,
    }


def post_redemption(account_id: str, amount: Decimal, external_id: str) -> dict[str, Any]:
    body = dr_redemption(account_id, amount, external_id)
    return http_event("POST", "/redemptions", body=body, authorizer=MERCHANT)


def post_credit(redemption_id: int, points: int | None) -> dict[str, Any]:
    return http_event(
        "POST",
        f"/redemptions/{redemption_id}/credits",
        route_key="POST /redemptions/{id}/credits",
        path_parameters={"id": str(redemption_id)},
        body={"pointsCredited": points} if points is not None else None,
        authorizer=MERCHANT,
    )


# -- handlers ----------------------------------------------------------------------------
def fresh_handler(logical_id: str) -> Any:
    """A new copy of a function's module: one Lambda container, safe to call from its own thread
    (a resolver or batch processor is stateful and serves one invocation at a time)."""
    path, function = handler_path(logical_id)
    name = f"container_{logical_id}_{next(_serial)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves the module's postponed annotations through it
    spec.loader.exec_module(module)
    handler = getattr(module, function)

    def call(event: dict[str, Any]) -> dict[str, Any]:
        return dict(handler(event, LambdaContext(function_name=logical_id)))

    return call


# -- reading the ledger ------------------------------------------------------------------
@dataclass(frozen=True)
class PoolState:
    balance: Decimal
    opening: Decimal
    total_debits: Decimal
    total_credits: Decimal
    entries: list[dict[str, Any]]

    def sum(self, kind: str) -> Decimal:
        return sum((Decimal(e["points"]) for e in self.entries if e["entryType"] == kind), Decimal(0))


def _state(ledger: PoolLedger) -> PoolState:
    assert ledger.pool is not None
    entries = [
        {
            "points": e.points,
            "entryType": e.kind,
            "source": e.source,
            "reference": e.reference,
            "accountId": e.account_id,
        }
        for e in ledger.entries
    ]
    return PoolState(
        ledger.pool.balance, ledger.pool.openingBalance, ledger.total_debits, ledger.total_credits, entries
    )


def pool_state(stack: Stack, pool_id: str) -> PoolState:
    return _state(ledger_of(stack).pool_ledger(pool_id))


def _record(stored: StoredAuthorization) -> dict[str, Any]:
    """An authorization as these checks read it: its account and its Mastercard record."""
    return {"accountId": stored.account_id, "record": stored.record().model_dump(exclude_none=True)}


def household_snapshot(stack: Stack, household: Household) -> tuple[PoolState, list[dict[str, Any]]]:
    """The pool's state and its cardholders' authorizations, read from moto's table under its lock
    (what is committed, without the cost of serializing every item over the API: the model-based
    test reads it after every step), parsed by the ledger adapter's own item functions."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from rewards.adapters import ledger_items

    pool_pk = ledger_items.pool_key(household.pool_id)[0]
    accounts = set(household.accounts)
    pool_item: dict[str, Any] | None = None
    entries, records = [], []
    with moto_lock.serialized():
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(stack.ledger_table)
        for raw in table.all_items():
            pk = str(raw.hash_key.value)
            if pk == pool_pk or pk.startswith("AUTH#"):
                item = from_item(raw.to_json()["Attributes"])
                if pk.startswith("AUTH#"):
                    if item.get("acct") in accounts:
                        records.append(_record(ledger_items.authorization_from_item(item)))
                elif item["sk"] == "POOL":
                    pool_item = item
                else:
                    entries.append(ledger_items.ledger_entry_from_item(item))
    assert pool_item is not None
    ledger = PoolLedger(
        ledger_items.pool_from_item(pool_item),
        Decimal(str(pool_item["totalDebits"])),
        Decimal(str(pool_item["totalCredits"])),
        entries,
    )
    return _state(ledger), records


def authorization_items(stack: Stack, account_id: str) -> list[dict[str, Any]]:
    """The account's authorizations: {"accountId", "record"} each."""
    return [_record(stored) for stored in account_authorizations(stack, account_id)]


def assert_ledger_adds_up(state: PoolState) -> None:
    """balance = opening - debits + credits, the running totals agree, nothing is negative."""
    debits, credits = state.sum("DEBIT"), state.sum("CREDIT")
    assert state.balance >= 0, state
    assert all(Decimal(e["points"]) > 0 for e in state.entries)
    assert state.total_debits == debits and state.total_credits == credits, state
    assert state.balance == state.opening - debits + credits, state


def assert_each_redeemed_once(state: PoolState) -> None:
    """One debit per (source, authorization or redemption request): nothing is redeemed twice.
    (A DR redemption may be credited in several parts; assert_credits_within_redemptions checks those.)"""
    counts = Counter((e["source"], e["reference"]) for e in state.entries if e["source"] != "DR_CREDIT")
    assert all(count == 1 for count in counts.values()), counts.most_common(3)


def assert_records_agree_with_ledger(
    stack: Stack, household: Household, state: PoolState, records: list[dict[str, Any]] | None = None
) -> int:
    """Every Authorization record's pointsRedeemed equals the ledger debits made for it
    (records: the household's AUTH items, read here when not given)."""
    debited: Counter[str] = Counter()
    for entry in state.entries:
        if entry["entryType"] == "DEBIT" and entry["source"].startswith("PWR_"):
            debited[entry["reference"]] += Decimal(entry["points"])
    if records is None:
        records = [item for a in household.accounts for item in authorization_items(stack, a)]
    for item in records:
        recorded = Decimal(item["record"].get("pointsRedeemed") or 0)
        assert recorded == debited.pop(item["record"]["id"], Decimal(0)), item["record"]
    assert not debited, f"ledger debits without an authorization record: {dict(debited)}"
    return len(records)


def assert_credits_within_redemptions(state: PoolState, redeemed: dict[str, Decimal]) -> None:
    """Credits of each DR redemption line (by redemptionId) never exceed the points it redeemed."""
    credited: Counter[str] = Counter()
    for entry in state.entries:
        if entry["source"] == "DR_CREDIT":
            credited[entry["reference"]] += Decimal(entry["points"])
    for redemption_id, points in credited.items():
        assert points <= redeemed.get(redemption_id, Decimal(0)), (redemption_id, points, redeemed)


def assert_no_authorization_redeemed_twice(state: PoolState) -> None:
    """An authorization is redeemed at most once, whether at authorization time or by reprocess."""
    counts = Counter(e["reference"] for e in state.entries if e["source"].startswith("PWR_"))
    assert all(count == 1 for count in counts.values()), counts.most_common(3)


def empty_ledger(stack: Stack) -> None:
    """Recreate the ledger table with the same schema (moto's queries scan the whole table, so a
    long model-based run stays fast when every example starts from an empty table)."""
    client = stack.client("dynamodb")
    table = client.describe_table(TableName=stack.ledger_table)["Table"]
    client.delete_table(TableName=stack.ledger_table)
    request: dict[str, Any] = {
        "TableName": stack.ledger_table,
        "AttributeDefinitions": table["AttributeDefinitions"],
        "KeySchema": table["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            for index in table.get("GlobalSecondaryIndexes", [])
        ],
    }
    if "StreamSpecification" in table:
        request["StreamSpecification"] = table["StreamSpecification"]
    client.create_table(**request)


def record_kinds(stack: Stack, household: Household) -> dict[str, Any]:
    """How many records of each kind the household's cardholders have (authorizations, redemption
    lines, credits, committed events), and each account's preferences and version."""
    accounts = set(household.accounts)
    kinds: Counter[str] = Counter()
    preferences: dict[str, Any] = {}
    versions: dict[str, int] = {}
    for name, account_id in zip("ABC", household.accounts[:3], strict=True):
        account = ledger_of(stack).account(account_id)
        assert account is not None
        preferences[name], versions[name] = account.preferences, account.version
    for account_id in household.accounts:
        kinds["AUTHORIZATION"] += len(account_authorizations(stack, account_id))
    for event in committed_events(stack):
        if getattr(event.data, "accountId", None) in accounts:
            kinds[event.eventType] += 1
    state = pool_state(stack, household.pool_id)
    kinds["LEDGER_ENTRY"] = len(state.entries)
    return {"kinds": dict(sorted(kinds.items())), "preferences": preferences, "versions": versions}


def committed_events(stack: Stack) -> list[Any]:
    from tests.support import committed_events as events

    return list(events(stack))


def household_events(stack: Stack, household: Household) -> list[dict[str, Any]]:
    """The data of the household's committed events (what every channel is told)."""
    return [
        event.data.model_dump(mode="json")
        for event in committed_events(stack)
        if getattr(event.data, "accountId", None) in household.accounts
    ]


def assert_event_balances_chain(opening: Decimal, final: Decimal, events: list[dict[str, Any]]) -> None:
    """Every event that moved points reports the pool's balance right after its own commit: ordered
    by that balance, each is the one before it minus the points it redeemed, from the opening
    balance down to the final one (no two events report the same balance)."""
    moved = [e for e in events if Decimal(str(e.get("pointsRedeemed") or 0)) > 0]
    moved.sort(key=lambda e: Decimal(str(e["pointBalance"])), reverse=True)
    balance = opening
    for event in moved:
        balance -= Decimal(str(event["pointsRedeemed"]))
        assert Decimal(str(event["pointBalance"])) == balance, (event, balance)
    assert balance == final, (balance, final)
