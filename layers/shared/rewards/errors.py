"""Domain errors. Each carries its HTTP status and Mastercard ReasonCode; ``rewards.http``
turns any of them into the error envelope, so handlers never build error bodies."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    reason_code = "INVALID_REQUEST"
    recoverable = False

    def __init__(self, description: str, *, details: str | None = None, reason_code: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.details = details
        if reason_code is not None:
            self.reason_code = reason_code


class InvalidField(ServiceError):
    """A request field is missing or malformed; ``details`` names the field."""

    reason_code = "INVALID_FIELD"

    def __init__(self, field: str, description: str, *, reason_code: str | None = None) -> None:
        super().__init__(description, details=field, reason_code=reason_code)
        self.field = field


class MissingField(InvalidField):
    reason_code = "MISSING_REQUIRED_FIELD"


class Unauthenticated(ServiceError):
    status = 401
    reason_code = "UNAUTHENTICATED"


class NotFound(ServiceError):
    """Unknown resource, or one the caller's programs do not reach (no existence leak)."""

    status = 404
    reason_code = "NOT_FOUND"


class Conflict(ServiceError):
    status = 409
    reason_code = "CONFLICT"


class BusinessRefusal(ServiceError):
    """The request is well formed but the rules refuse it (422 with a specific ReasonCode)."""

    status = 422


class InsufficientPoints(BusinessRefusal):
    reason_code = "INSUFFICIENT_POINTS"


class AccountNotEligible(BusinessRefusal):
    reason_code = "ACCOUNT_NOT_ELIGIBLE"


class Unavailable(ServiceError):
    """A dependency failed; the client may retry the same request."""

    status = 503
    reason_code = "SERVICE_UNAVAILABLE"
    recoverable = True


NOT_COMMITTED = (
    "Nothing was committed: the ledger is busy. Retry the request; send the same externalId or "
    "Idempotency-Key so that a retry can never apply it twice."
)


def not_committed(details: str | None = None) -> Unavailable:
    """503 when the service knows that nothing of the request committed (docs/design.md, 2b)."""
    return Unavailable(NOT_COMMITTED, details=details)
