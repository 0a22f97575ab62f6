"""Composition root: AWS clients and stores, created once per container and only when first used.

Each factory imports its own adapter or service, so a function loads only the code it uses
(cold start: the profile functions never import the authorization service, the notifier neither).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from rewards.cardnumbers import card_hash
from rewards.settings import settings

if TYPE_CHECKING:
    from rewards.adapters.config_store import ConfigStore
    from rewards.adapters.dynamo_ledger import DynamoLedger
    from rewards.adapters.queue import AuthorizationQueue
    from rewards.services.authorizations import AuthorizationService
    from rewards.services.profiles import ProfileService
    from rewards.services.redemptions import RedemptionService
    from rewards.services.reprocess import ReprocessService

SECRET_MAX_AGE_SECONDS = 300


@cache
def aws_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 4, "mode": "standard"})
    return boto3.client(service, config=config)


@cache
def ledger() -> DynamoLedger:
    from rewards.adapters.dynamo import Table
    from rewards.adapters.dynamo_ledger import DynamoLedger

    return DynamoLedger(Table(aws_client("dynamodb"), settings().ledger_table))


@cache
def config_store() -> ConfigStore:
    from rewards.adapters.config_store import ConfigStore
    from rewards.adapters.dynamo import Table

    return ConfigStore(Table(aws_client("dynamodb"), settings().config_table), settings().config_cache_seconds)


@cache
def authorization_queue() -> AuthorizationQueue:
    from rewards.adapters.queue import AuthorizationQueue

    url = settings().auth_queue_url
    if not url:
        raise RuntimeError("AUTH_QUEUE_URL is not set for this function")
    return AuthorizationQueue(aws_client("sqs"), url)


@cache
def ssm_provider() -> Any:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=aws_client("ssm"))


def card_secret() -> bytes:
    """The card-number hashing key from SSM Parameter Store (SecureString), cached 5 minutes."""
    name = settings().pan_hash_key_param
    if not name:
        raise RuntimeError("PAN_HASH_KEY_PARAM is not set for this function")
    return str(ssm_provider().get(name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)).encode()


def hash_card(card_number: str) -> str:
    return card_hash(card_secret(), card_number)


def reset() -> None:
    """Forget every cached client and store (tests switch endpoints and tables)."""
    for function in (
        aws_client,
        ledger,
        config_store,
        authorization_queue,
        authorization_service,
        reprocess_service,
        profile_service,
        redemption_service,
    ):
        function.cache_clear()
    ssm_provider.cache_clear()
    settings.cache_clear()


@cache
def authorization_service() -> AuthorizationService:
    from rewards.services.authorizations import AuthorizationService

    return AuthorizationService(ledger(), config_store(), hash_card)


@cache
def reprocess_service() -> ReprocessService:
    from rewards.services.reprocess import ReprocessService

    return ReprocessService(ledger(), config_store(), hash_card)


@cache
def profile_service() -> ProfileService:
    from rewards.services.profiles import ProfileService

    return ProfileService(ledger(), config_store(), hash_card)


@cache
def redemption_service() -> RedemptionService:
    from rewards.services.redemptions import RedemptionService

    return RedemptionService(ledger(), config_store(), hash_card)
