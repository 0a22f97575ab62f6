"""The ledger table's keys and item shapes, and their domain records (docs/design.md, section 2).

pk / sk                                  what
ACCOUNT#{ranac} / ACCOUNT                the account: pool, role, preferences (with a version)
CARD#{hmac} / CARD, BCN#{hmac} / BCN     card and bank-customer-number lookups, with the programs
POOL#{pool} / POOL                       balance, openingBalance, totalDebits, totalCredits
POOL#{pool} / LEDGER#{time}#{entry}      an immutable ledger entry (DEBIT or CREDIT)
AUTH#{id} / AUTH                         a processed authorization; it is its own uniqueness key (its
                                         id is derived from the business key) and, when inserted, its
                                         own outbox item. gsi1: PWR#{ranac}#{category}{Y|N} /
                                         {business date}#{time}#{id}
REDEMPTION#{rid} / REDEMPTION            a DR redemption line; the request's first line holds the
                                         request (fingerprint, answer) and is its outbox item.
                                         gsi1: DR#{ranac} / {business date}#{time}#REDEMPTION#{rid}
CREDIT#{id} / CREDIT                     a credit of a line, with its answer; outbox item.
                                         gsi1: DR#{ranac} / {business date}#{time}#CREDIT#{id}
DRREQUEST#{id} / DRREQUEST               a statement credit (model 2): answer; outbox item
UNIQUE#{key} / UNIQUE                    a DR business key (externalId, Idempotency-Key)
EVENT#{id} / EVENT                       the outbox item of a reprocess (TTL)
INTENT#{business key} / {bank key}       a movement asked of a client's point bank: PENDING before
                                         the call, COMMITTED with the outcome, REFUSED, REVERSED

An outbox item is any item inserted with an ``eventType``: the notifier's stream filter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rewards.adapters.dynamo import Item, dec
from rewards.domain import (
    Account,
    AccountRef,
    AccountStatus,
    CardholderPreferences,
    HouseholdRole,
    PointPool,
    RedemptionFrequency,
)
from rewards.events import EVENT, AuthorizationProcessed, AuthorizationProcessedData, CommittedEvent
from rewards.models.pwr import AuthorizationFields
from rewards.money import plain
from rewards.records import (
    LedgerEntry,
    Movement,
    Outcome,
    Reprocessed,
    StoredAuthorization,
)
from rewards.rules.reasons import Detail, ReasonCode
from rewards.timestamps import iso

EVENT_RETENTION = timedelta(days=30)
# The index of the account histories, and the attributes it projects: what the two listings read
# (template.yaml declares exactly these; the outbox and replay attributes stay in the table).
HISTORY_INDEX = "gsi1"
HISTORY_ATTRIBUTES = (
    *("key", "ext", "acct", "pool", "prog", "client", "origin", "svc", "at", "f", "o", "first", "rp", "sc"),
    *("rid", "req", "item", "rtype", "pts", "credited", "cash", "cur", "qty", "by", "matrix", "ritem", "desc"),
    *("details", "cid", "cpts", "ctotal"),
)
DATE_HIGH = "~"  # sorts after every time and id of a day: a range's last day is included


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


# -- keys -----------------------------------------------------------------------------------------
def account_key(account_id: str) -> tuple[str, str]:
    return f"ACCOUNT#{account_id}", "ACCOUNT"


def card_key(card_hash: str) -> tuple[str, str]:
    return f"CARD#{card_hash}", "CARD"


def bcn_key(bcn_hash: str) -> tuple[str, str]:
    return f"BCN#{bcn_hash}", "BCN"


def pool_key(pool_id: str) -> tuple[str, str]:
    return f"POOL#{pool_id}", "POOL"


def authorization_key(authorization_id: str) -> tuple[str, str]:
    return f"AUTH#{authorization_id}", "AUTH"


def line_key(redemption_id: int) -> tuple[str, str]:
    return f"REDEMPTION#{redemption_id}", "REDEMPTION"


def credit_key(credit_id: str) -> tuple[str, str]:
    return f"CREDIT#{credit_id}", "CREDIT"


def request_key(request_id: str) -> tuple[str, str]:
    return f"DRREQUEST#{request_id}", "DRREQUEST"


def unique_key(business_key: str) -> tuple[str, str]:
    return f"UNIQUE#{business_key}", "UNIQUE"


def event_key(event_id: str) -> tuple[str, str]:
    return f"EVENT#{event_id}", "EVENT"


def authorizations_partition(account_id: str, category: str, reprocessed: bool) -> str:
    """One gsi1 partition per account, outcome category and reprocessed state: a filter on either
    is a choice of partitions, never a read of what it discards."""
    return f"PWR#{account_id}#{category}{'Y' if reprocessed else 'N'}"


def authorizations_partitions(account_id: str, categories: frozenset[str], include_reprocessed: bool) -> list[str]:
    states = (False, True) if include_reprocessed else (False,)
    return [authorizations_partition(account_id, c, r) for c in sorted(categories) for r in states]


def history_partition(account_id: str) -> str:
    return f"DR#{account_id}"


def day_range(first: date, last: date) -> tuple[str, str]:
    """The gsi1 sort-key bounds of the business dates [first, last]."""
    return first.isoformat(), f"{last.isoformat()}{DATE_HIGH}"


# -- accounts and pools ---------------------------------------------------------------------------
def preferences_to_item(prefs: CardholderPreferences) -> dict[str, Any]:
    return compact(
        {
            "redemptionFrequency": prefs.redemptionFrequency.value,
            "minAccountPurchaseThreshold": prefs.minAccountPurchaseThreshold,
            "fixedAccountRedemptionAmount": prefs.fixedAccountRedemptionAmount,
            "receiveEmailSw": prefs.receiveEmailSw,
            "receiveSMSSw": prefs.receiveSMSSw,
            "emailAddress": prefs.emailAddress,
            "smsNumber": prefs.smsNumber,
        }
    )


def preferences_from_item(raw: Mapping[str, Any]) -> CardholderPreferences:
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
        cardBin=item.get("cardBin"),
        preferences=preferences_from_item(item.get("preferences", {})),
        version=int(item.get("version", 0)),
    )


def account_ref(item: Mapping[str, Any]) -> AccountRef:
    pool_id = item.get("poolId")
    return AccountRef(str(item["accountId"]), str(item["programId"]), str(pool_id) if pool_id else None)


def pool_from_item(item: Item) -> PointPool:
    return PointPool(
        poolId=item["poolId"],
        balance=dec(item["balance"]),
        openingBalance=dec(item["openingBalance"]),
        programId=item["programId"],
    )


def intent_key(business_key: str, bank_key: str) -> tuple[str, str]:
    return f"INTENT#{business_key}", bank_key


def ledger_entry_item(movement: Movement, now: datetime) -> Item:
    pk, _ = pool_key(movement.pool_id)
    return {
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


def ledger_entry_from_item(item: Item) -> LedgerEntry:
    return LedgerEntry(
        entry_id=str(item["entryId"]),
        kind="CREDIT" if item.get("entryType") == "CREDIT" else "DEBIT",
        points=dec(item["points"]),
        source=str(item["source"]),
        reference=str(item["reference"]),
        account_id=str(item["accountId"]),
    )


# -- authorizations -------------------------------------------------------------------------------
def outcome_to_item(outcome: Outcome) -> dict[str, Any]:
    return compact(
        {
            "r": outcome.reason.value,
            "d": outcome.detail.value,
            "p": outcome.points,
            "c": outcome.cash,
            "q": outcome.required,
            "x": outcome.factor,
            "cur": outcome.currency,
            "part": outcome.partial,
        }
    )


def outcome_from_item(raw: Mapping[str, Any]) -> Outcome:
    return Outcome(
        reason=ReasonCode(raw["r"]),
        detail=Detail(raw["d"]),
        points=dec(raw["p"]),
        cash=dec(raw["c"]),
        required=dec(raw["q"]) if "q" in raw else None,
        factor=dec(raw["x"]) if "x" in raw else None,
        currency=raw.get("cur"),
        partial=bool(raw.get("part", False)),
    )


def reprocessed_to_item(reprocessed: Reprocessed) -> dict[str, Any]:
    return {"id": reprocessed.reprocess_id, "by": reprocessed.by, "at": reprocessed.at, "client": reprocessed.client_id}


def authorization_sort_key(business_date: date, fields: AuthorizationFields, authorization_id: str) -> str:
    return f"{business_date.isoformat()}#{iso(fields.transactionDateAndTime)}#{authorization_id}"


def authorization_item(
    authorization: StoredAuthorization, business_date: date, commit_token: str, event: AuthorizationProcessed
) -> Item:
    """The AUTH item: the record, its uniqueness, and (as inserted) its own outbox item. Only what
    the event cannot be rebuilt from is kept beside the record (lastFour, pwrOn, the balance after)."""
    a = authorization
    pk, sk = authorization_key(a.id)
    return compact(
        {
            "pk": pk,
            "sk": sk,
            "type": "AUTHORIZATION",
            "gsi1pk": authorizations_partition(a.account_id, a.outcome.reason.category, a.reprocessed is not None),
            "gsi1sk": authorization_sort_key(business_date, a.fields, a.id),
            "key": a.business_key,
            "token": commit_token,
            "ext": a.external_id,
            "acct": a.account_id,
            "pool": a.pool_id,
            "prog": a.program_id,
            "client": a.client_id,
            "origin": a.origin,
            "svc": a.service_type,
            "at": a.processed_at,
            "f": a.fields.model_dump_json(exclude_none=True),
            "o": outcome_to_item(a.outcome),
            "eventId": event.eventId,
            "eventType": event.eventType,
            "l4": event.data.lastFour,
            "on": event.data.pwrOn,
            "bal": event.data.pointBalance,
        }
    )


def authorization_from_item(item: Item) -> StoredAuthorization:
    outcome = outcome_from_item(item["o"])
    reprocess = item.get("rp")
    return StoredAuthorization(
        id=str(item["pk"]).removeprefix("AUTH#"),
        business_key=str(item["key"]),
        external_id=str(item["ext"]),
        account_id=str(item["acct"]),
        pool_id=str(item["pool"]),
        program_id=str(item["prog"]),
        client_id=item.get("client"),
        origin="NETWORK" if item.get("origin") == "NETWORK" else "CLIENT",
        service_type=str(item.get("svc", "PWR")),
        fields=AuthorizationFields.model_validate_json(item["f"]),
        outcome=outcome,
        first_reason=ReasonCode(item["first"]) if "first" in item else outcome.reason,
        processed_at=str(item["at"]),
        reprocessed=Reprocessed(
            str(reprocess["id"]), str(reprocess["by"]), str(reprocess["at"]), str(reprocess["client"])
        )
        if reprocess
        else None,
        statement_credit=dict(item["sc"]) if "sc" in item else None,
    )


def authorization_event(item: Item) -> AuthorizationProcessed:
    """The event of an AUTH item as it was inserted (its first outcome)."""
    stored = authorization_from_item(item)
    fields, outcome = stored.fields, stored.outcome
    return AuthorizationProcessed(
        eventId=str(item["eventId"]),
        occurredAt=stored.processed_at,
        programId=stored.program_id,
        clientId=stored.client_id,
        data=AuthorizationProcessedData(
            authorizationId=stored.id,
            externalId=stored.external_id,
            origin=stored.origin,
            accountId=stored.account_id,
            lastFour=str(item["l4"]),
            programId=stored.program_id,
            authRewardsServiceType=stored.service_type,
            responseReasonId=outcome.reason.value,
            responseReasonDesc=outcome.reason.description,
            detail=outcome.detail.value,
            pwrOn=bool(item["on"]),
            pointsRedeemed=plain(outcome.points),
            cashBackAmount=plain(outcome.cash),
            totalPointsRequired=plain(outcome.required) if outcome.required is not None else None,
            partiallyRedeemed=outcome.partial,
            pointBalance=str(item["bal"]),
            amount=fields.cardholderBillingAmount,
            currency=fields.cardholderBillingCurrencyCode,
            merchant=fields.cardAcceptorNameAndLocation,
            occurredAt=stored.processed_at,
        ),
    )


def event_item(event: CommittedEvent, now: datetime) -> Item:
    """A stand-alone outbox item (a reprocess): the event as JSON, kept 30 days."""
    pk, sk = event_key(event.eventId)
    return {
        "pk": pk,
        "sk": sk,
        "type": "EVENT",
        "eventId": event.eventId,
        "eventType": event.eventType,
        "event": event.model_dump_json(),
        "createdAt": iso(now),
        "expiresAt": int((now + EVENT_RETENTION).timestamp()),
    }


def json_event(item: Item) -> CommittedEvent:
    return EVENT.validate_json(item["event"])


def as_json(values: Mapping[str, Any]) -> str:
    return json.dumps(values, default=str, separators=(",", ":"), sort_keys=True)
