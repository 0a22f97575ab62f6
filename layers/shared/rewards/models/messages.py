"""Messages on the authorization queue."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rewards.models.pwr import AuthorizationFields
from rewards.models.text import NO_CARD_NUMBER


class QueuedAuthorization(BaseModel):
    """One approved authorization to process.

    NETWORK: the card network's copy; ``externalId`` is its network reference, unique forever.
    CLIENT: a POST /authorizations with queueTransaction=Y; the account is already resolved to its RANAC.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    origin: Literal["NETWORK", "CLIENT"]
    clientId: str | None = Field(default=None, min_length=1, max_length=40)
    externalId: Annotated[str, Field(min_length=1, max_length=15), NO_CARD_NUMBER]
    authorization: AuthorizationFields

    @model_validator(mode="after")
    def _client_named(self) -> Self:
        if (self.origin == "CLIENT") != (self.clientId is not None):
            raise ValueError("clientId is required for CLIENT messages and forbidden for NETWORK ones")
        return self
