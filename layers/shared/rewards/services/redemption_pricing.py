"""Pricing a redemption request's lines against the program catalog, per redemption type:
CASHBACK lines by their reward-matrix item, MERCHANDISE and TRAVEL lines by catalog item."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rewards.errors import InvalidField
from rewards.ledger import Ledger
from rewards.models.config import Program, RewardItem
from rewards.models.dr import CashbackLine, CashbackRedemption, CatalogLine, PointsRedemption, TravelRedemption
from rewards.money import cash_for_points
from rewards.rules.redemption_rules import (
    PricedLine,
    Pricing,
    check_external_item,
    check_whole_points,
    price_cashback,
    price_line,
)


@dataclass(frozen=True)
class Line:
    """A priced line with its catalog reference, ready to record."""

    reference_field: str  # redemptionItemId or redemptionMatrixItemId
    reference: str
    matrix_item_id: str | None
    item_id: str | None
    priced: PricedLine
    currency: str
    quantity: int
    description: str | None
    additional: dict[str, Any] | None


def base_cost_per_point(program: Program) -> Decimal:
    """Cash value of one point at the program's base conversion (its first tier)."""
    return program.baseConversion.tiers[0].costPerPoint


def balance_cash(program: Program, balance: Decimal) -> Decimal:
    return cash_for_points(balance, base_cost_per_point(program))


def price_request(store: Ledger, request: PointsRedemption, program: Program) -> list[Line]:
    if isinstance(request, CashbackRedemption):
        check_cashback_account(store, request.cashbackAccountId, program)
        return [cashback_line(line, index, program) for index, line in enumerate(request.items)]
    if (
        isinstance(request, TravelRedemption)
        and request.currencyCode is not None
        and request.currencyCode != program.currencyCode
    ):
        raise InvalidField(
            "currencyCode",
            f"currencyCode must be the program currency {program.currencyCode}",
            reason_code="CURRENCY_MISMATCH",
        )
    lines = [catalog_line(line, index, program, request.sourceCode) for index, line in enumerate(request.items)]
    if isinstance(request, TravelRedemption) and request.pointsRedeemed is not None:
        check_whole_points(request.pointsRedeemed, program.wholePointsOnly, "pointsRedeemed")
        if sum((line.priced.points for line in lines), Decimal(0)) > request.pointsRedeemed:
            raise InvalidField(
                "pointsRedeemed",
                "pointsRedeemed (the booking total) is less than the points of its items",
                reason_code="POINTS_TOTAL_MISMATCH",
            )
    return lines


def cashback_line(cashback: CashbackLine, index: int, program: Program) -> Line:
    prefix = f"items[{index}]"
    item = catalog_item(program, None, cashback.redemptionMatrixItemId, prefix)
    priced = price_cashback(cashback.pointsRedeemed, cashback.cashbackAmount, pricing(program, item), prefix)
    return Line(
        "redemptionMatrixItemId",
        cashback.redemptionMatrixItemId,
        cashback.redemptionMatrixItemId,
        None,
        priced,
        item.currencyCode or program.currencyCode,
        cashback.quantity,
        cashback.description,
        None,
    )


def catalog_line(line: CatalogLine, index: int, program: Program, source_code: str | None) -> Line:
    prefix = f"items[{index}]"
    additional = None
    if line.additionalDetails is not None:
        check_external_item(prefix, line.additionalDetails.itemSkuCode, source_code)
        additional = line.additionalDetails.model_dump(exclude_none=True)
    item = catalog_item(program, line.redemptionItemId, line.redemptionMatrixItemId, prefix)
    priced = price_line(line.pointsRedeemed, line.cashEquivalent, pricing(program, item), prefix)
    field, reference = (
        ("redemptionItemId", line.redemptionItemId)
        if line.redemptionItemId is not None
        else ("redemptionMatrixItemId", line.redemptionMatrixItemId or "")
    )
    return Line(
        field,
        reference,
        line.redemptionMatrixItemId,
        line.redemptionItemId,
        priced,
        item.currencyCode or program.currencyCode,
        line.quantity,
        line.description,
        additional,
    )


def catalog_item(program: Program, item_id: str | None, matrix_id: str | None, prefix: str) -> RewardItem:
    """The item that prices a line: the redemption item when given, else the matrix item; both must exist."""
    catalog = program.catalog
    matrix = None
    if matrix_id is not None:
        matrix = catalog.matrix_item(matrix_id)
        if matrix is None:
            raise InvalidField(
                f"{prefix}.redemptionMatrixItemId",
                f"redemptionMatrixItemId {matrix_id} is not in the program's reward matrix",
                reason_code="UNKNOWN_ITEM",
            )
    if item_id is not None:
        item = catalog.redemption_item(item_id)
        if item is None:
            raise InvalidField(
                f"{prefix}.redemptionItemId",
                f"redemptionItemId {item_id} is not in the program's catalog",
                reason_code="UNKNOWN_ITEM",
            )
        return item
    assert matrix is not None  # the request model requires one of the two
    return matrix


def pricing(program: Program, item: RewardItem) -> Pricing:
    return Pricing(item.costPerPoint, program.roundingMethod, program.wholePointsOnly)


def check_cashback_account(store: Ledger, account_id: str, program: Program) -> None:
    target = store.account(account_id)
    if target is None or target.programId != program.programId:
        raise InvalidField(
            "cashbackAccountId",
            "cashbackAccountId is not an account of this program",
            reason_code="UNKNOWN_ACCOUNT",
        )
