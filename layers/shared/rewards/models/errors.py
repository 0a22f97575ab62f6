"""The Mastercard error envelope: {"Errors": {"Error": [{Source, ReasonCode, ...}]}}."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    Source: str
    ReasonCode: str
    Description: str
    Recoverable: bool = False
    Details: str | None = None


class ErrorList(BaseModel):
    Error: list[ErrorItem] = Field(min_length=1)


class ErrorEnvelope(BaseModel):
    Errors: ErrorList
