"""GET /redeemers/{id} and POST /redeemers/search: profile, household balance, conversion factors."""

from __future__ import annotations

from typing import Annotated, Literal

from rewards import runtime, snapstart
from rewards.http import PWR_SOURCE, answers, build_router, current_caller, lambda_entry
from rewards.models.pwr import RedeemerProfile, SearchProfileRequest
from rewards.router import Path, Query
from rewards.services import profiles  # noqa: F401 - the use case loads at init, not on the first request
from rewards.settings import CardholderSettings

app = build_router(PWR_SOURCE)
SETTINGS = CardholderSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.profile_service)  # SnapStart: built before the snapshot


@app.get(
    "/redeemers/<id>",
    tags=["Redeemers"],
    summary="A cardholder's profile and points balance",
    description=(
        "The account (status, last four digits, program), the household pool's balance and its cash value. "
        "redemption_type PWR adds the purchase thresholds; DR with redemption_item_id prices the balance "
        "in that catalog item's cost per point, and includes=preferences adds the cardholder's preferences. "
        "The id is the account's RANAC."
    ),
    openapi_extensions=answers(422),
)
def get_redeemer(
    id: Annotated[str, Path(min_length=1, max_length=30)],
    redemption_type: Annotated[
        Literal["PWR", "DR"], Query(description="Mastercard: PWR; DR answers the Digital Redemptions checkout view.")
    ],
    user_id_type: Annotated[Literal["RANAC"], Query()] = "RANAC",
    redemption_item_id: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    includes: Annotated[
        Literal["preferences"] | None,
        Query(description="Digital Redemptions: attributes not answered by default (preferences)."),
    ] = None,
) -> RedeemerProfile:
    return runtime.profile_service().profile(
        current_caller(app),
        id,
        user_id_type,
        field="id",
        redemption_type=redemption_type,
        redemption_item_id=redemption_item_id,
        item_field="redemption_item_id",
        includes=frozenset([includes] if includes else []),
    )


@app.post(
    "/redeemers/search",
    tags=["Redeemers"],
    summary="Find a cardholder by card number, bank customer number or RANAC",
    description=(
        "The same answer as GET /redeemers/{id}, for a userId of type BAN (card number), BCN (bank customer "
        "number), RANCU (random customer id) or RANAC."
    ),
    openapi_extensions=answers(422),
)
def search_redeemer(request: SearchProfileRequest) -> RedeemerProfile:
    return runtime.profile_service().profile(
        current_caller(app),
        request.userId,
        request.userIdType,
        redemption_type=request.redemptionType,
        redemption_item_id=request.redemptionItemId,
    )


lambda_handler = lambda_entry(app, SETTINGS)
