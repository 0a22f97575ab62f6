"""Each function's configuration: one model of its environment (template.yaml sets it, the local
stack and the tests give each function exactly that), validated at its first use in a container.
A missing or malformed variable fails the function with its name, before any request is served.

Which model a function uses is its handler module's ``SETTINGS``; the composition root
(``runtime.py``) reads the parts it builds from (``settings(LedgerSettings)``, ...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(RuntimeError):
    """The function's environment does not hold what its settings need."""


class FunctionSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=False, defer_build=True)

    @classmethod
    def variables(cls) -> frozenset[str]:
        """The environment variables the model reads."""
        return frozenset(field.alias or name for name, field in cls.model_fields.items())

    @classmethod
    def from_environment(cls: type[S], environment: Mapping[str, str]) -> S:
        try:
            return cls.model_validate({name: environment[name] for name in cls.variables() if name in environment})
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise SettingsError(f"{cls.__name__} from the environment: {problems}") from None


S = TypeVar("S", bound=FunctionSettings)


class ConfigurationSettings(FunctionSettings):
    """Programs and clients, cached per container."""

    config_table: str = Field(alias="CONFIG_TABLE_NAME", min_length=3, max_length=255)
    config_cache_seconds: int = Field(60, alias="CONFIG_CACHE_SECONDS", ge=0, le=3600)


class LedgerSettings(ConfigurationSettings):
    """Every function that reads or writes the ledger."""

    ledger_table: str = Field(alias="LEDGER_TABLE_NAME", min_length=3, max_length=255)


class CardholderSettings(LedgerSettings):
    """The API functions and the queue processor: they find accounts by card number."""

    pan_hash_key_param: str = Field(alias="PAN_HASH_KEY_PARAM", pattern=r"^/\S+$")


class AuthorizationsSettings(CardholderSettings):
    """POST /authorizations also queues (queueTransaction=Y)."""

    auth_queue_url: str = Field(alias="AUTH_QUEUE_URL", pattern=r"^https?://\S+$")


class AuthorizerSettings(ConfigurationSettings):
    """The request authorizer: client keys (a revoked key is refused within 30 s by default), and
    the nonces it records."""

    config_cache_seconds: int = Field(30, alias="CONFIG_CACHE_SECONDS", ge=0, le=3600)
    nonce_table: str = Field(alias="NONCE_TABLE_NAME", min_length=3, max_length=255)


class NotifierSettings(LedgerSettings):
    notifications_table: str = Field(alias="NOTIFICATIONS_TABLE_NAME", min_length=3, max_length=255)
    events_topic_arn: str = Field(alias="EVENTS_TOPIC_ARN", pattern=r"^arn:aws[\w-]*:sns:\S+$")
    webhook_queue_url: str = Field(alias="WEBHOOK_QUEUE_URL", pattern=r"^https?://\S+$")
    sender_address: str = Field(alias="NOTIFICATION_SENDER_ADDRESS", min_length=3, max_length=320)
    successful_redemption_template: str = Field(alias="EMAIL_TEMPLATE_SUCCESSFUL_REDEMPTION", min_length=1)
    insufficient_balance_template: str = Field(alias="EMAIL_TEMPLATE_INSUFFICIENT_BALANCE", min_length=1)
    below_program_threshold_template: str = Field(alias="EMAIL_TEMPLATE_BELOW_PROGRAM_THRESHOLD", min_length=1)
    rebate_rejected_template: str = Field(alias="EMAIL_TEMPLATE_REBATE_REJECTED", min_length=1)


class WebhookSenderSettings(FunctionSettings):
    notifications_table: str = Field(alias="NOTIFICATIONS_TABLE_NAME", min_length=3, max_length=255)
    webhook_timeout_seconds: int = Field(3, alias="WEBHOOK_TIMEOUT_SECONDS", ge=1, le=10)  # whole seconds
    webhook_retry_base_seconds: int = Field(30, alias="WEBHOOK_RETRY_BASE_SECONDS", ge=0, le=900)


class RebateSettings(LedgerSettings):
    """The rebate recorder: instructions on the ledger table."""


class SettlementSettings(LedgerSettings):
    """Settlement files, acknowledgements and reconciliation: the settlement bucket as well."""

    settlement_bucket: str = Field(alias="SETTLEMENT_BUCKET_NAME", min_length=3, max_length=63)


def settings(model: type[S]) -> S:
    """``model`` from the current environment; validated once per distinct environment."""
    found = _validated(model, tuple(sorted((n, os.environ[n]) for n in model.variables() if n in os.environ)))
    assert isinstance(found, model)
    return found


@cache
def _validated(model: type[FunctionSettings], values: tuple[tuple[str, str], ...]) -> FunctionSettings:
    return model.from_environment(dict(values))
