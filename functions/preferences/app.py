"""GET and PUT /redeemers/{id}/preferences (redemption_type=PWR)."""

from __future__ import annotations

from typing import Annotated, Literal

from rewards import runtime, snapstart
from rewards.http import PWR_SOURCE, answers, build_router, current_caller, lambda_entry
from rewards.models.pwr import Preferences, SetPreferencesRequest
from rewards.router import Path, Query
from rewards.services import profiles  # noqa: F401 - the use case loads at init, not on the first request
from rewards.settings import CardholderSettings

app = build_router(PWR_SOURCE)
SETTINGS = CardholderSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.profile_service)  # SnapStart: built before the snapshot

RedeemerId = Annotated[str, Path(min_length=1, max_length=30)]


@app.get(
    "/redeemers/<id>/preferences",
    tags=["Pay with Rewards"],
    summary="A cardholder's Pay with Rewards preferences",
    description="redemptionFrequency (OFF, SNGL: the next purchase only, MULT: every purchase), thresholds, alerts.",
)
def get_preferences(
    id: RedeemerId,
    redemption_type: Literal["PWR"],
    user_id_type: Annotated[Literal["RANAC"], Query()] = "RANAC",
) -> Preferences:
    return runtime.profile_service().preferences(current_caller(app), id)


@app.put(
    "/redeemers/<id>/preferences",
    tags=["Pay with Rewards"],
    summary="Turn Pay with Rewards on or off, set thresholds and alerts",
    description=(
        "Only the fields sent change. minAccountPurchaseThreshold may not be below the program's minimum; "
        "fixedAccountRedemptionAmount redeems that cash amount instead of the whole purchase. Extension: the "
        "answer carries the preferences as stored (Mastercard's generated client expects no body and ignores it)."
    ),
    openapi_extensions=answers(409, 503),
)
def set_preferences(id: RedeemerId, redemption_type: Literal["PWR"], request: SetPreferencesRequest) -> Preferences:
    return runtime.profile_service().set_preferences(current_caller(app), id, request.preferences)


lambda_handler = lambda_entry(app, SETTINGS)
