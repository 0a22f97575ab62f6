"""The composition root of every function: AWS clients, stores and services, created once per
container and only when first used, from the function's settings (``settings.py``).

Each factory imports its own adapter or service, so a function loads only the code it uses
(cold start: the profile functions never import the authorization service, the notifier neither).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from rewards.cardnumbers import card_hash
from rewards.settings import (
    AuthorizationsSettings,
    AuthorizerSettings,
    CardholderSettings,
    ConfigurationSettings,
    LedgerSettings,
    NotifierSettings,
    SettlementSettings,
    WebhookSenderSettings,
    settings,
)

if TYPE_CHECKING:
    from rewards.adapters.config_store import ConfigStore
    from rewards.adapters.dynamo_ledger import DynamoLedger
    from rewards.adapters.queue import AuthorizationQueue
    from rewards.adapters.rebate_store import DynamoRebateStore
    from rewards.notifications.adapters import ClientDirectory, MarkerStore, Visibility
    from rewards.notifications.service import Notifier, WebhookSender
    from rewards.security.verifier import RequestVerifier
    from rewards.services.authorizations import AuthorizationService
    from rewards.services.profiles import ProfileService
    from rewards.services.redemptions import RedemptionService
    from rewards.services.reprocess import ReprocessService
    from rewards.settlement.service import RebateService

SECRET_MAX_AGE_SECONDS = 300
# A send's own timeouts (connect 2 s, read 5 s, bounded retries) end well inside the lease.
MARKER_LEASE_SECONDS = 60


_clients: list[Any] = []  # every client made in this container (close_connections)


@cache
def aws_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 4, "mode": "standard"})
    client = boto3.client(service, config=config)
    _clients.append(client)
    return client


@cache
def ledger() -> DynamoLedger:
    from rewards.adapters.dynamo import Table
    from rewards.adapters.dynamo_ledger import DynamoLedger

    return DynamoLedger(Table(aws_client("dynamodb"), settings(LedgerSettings).ledger_table))


@cache
def config_store() -> ConfigStore:
    from rewards.adapters.config_store import ConfigStore
    from rewards.adapters.dynamo import Table

    config = settings(ConfigurationSettings)
    return ConfigStore(Table(aws_client("dynamodb"), config.config_table), config.config_cache_seconds)


@cache
def authorization_queue() -> AuthorizationQueue:
    from rewards.adapters.queue import AuthorizationQueue

    return AuthorizationQueue(aws_client("sqs"), settings(AuthorizationsSettings).auth_queue_url)


@cache
def ssm_provider() -> Any:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=aws_client("ssm"))


def card_secret() -> bytes:
    """The card-number hashing key from SSM Parameter Store (SecureString), cached 5 minutes."""
    name = settings(CardholderSettings).pan_hash_key_param
    return str(ssm_provider().get(name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)).encode()


def hash_card(card_number: str) -> str:
    return card_hash(card_secret(), card_number)


def close_connections() -> None:
    """Close every client's open connections (after a SnapStart restore); each reconnects on its next call."""
    for client in _clients:
        client.close()


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
        verifier,
        marker_store,
        notifier,
        webhook_sender,
        visibility,
        rebate_store,
        rebate_service,
        settlement_service,
        client_directory,
    ):
        function.cache_clear()
    ssm_provider.cache_clear()
    _clients.clear()


@cache
def authorization_service() -> AuthorizationService:
    from rewards.services.authorizations import AuthorizationService

    return AuthorizationService(ledger(), config_store(), hash_card, rebates=rebate_store())


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

    return RedemptionService(ledger(), config_store(), hash_card, rebates=rebate_store())


# -- the request authorizer: its own client, short timeouts (API Gateway waits for it) -----------
@cache
def verifier() -> RequestVerifier:
    import boto3
    from botocore.config import Config

    from rewards.adapters.config_store import ConfigStore
    from rewards.adapters.dynamo import Table
    from rewards.security.nonces import NonceStore
    from rewards.security.verifier import RequestVerifier

    config = settings(AuthorizerSettings)
    dynamodb = boto3.client("dynamodb", config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2}))
    _clients.append(dynamodb)
    return RequestVerifier(
        ConfigStore(Table(dynamodb, config.config_table), config.config_cache_seconds),
        NonceStore(Table(dynamodb, config.nonce_table)),
    )


# -- the notifier and the webhook sender -----------------------------------------------------------
@cache
def marker_store() -> MarkerStore:
    from rewards.adapters.dynamo import Table
    from rewards.notifications.adapters import MarkerStore

    table = settings(WebhookSenderSettings).notifications_table
    return MarkerStore(Table(aws_client("dynamodb"), table), MARKER_LEASE_SECONDS)


def email_templates(config: NotifierSettings) -> dict[str, str]:
    from rewards.notifications.routing import CommunicationKind

    return {
        CommunicationKind.SUCCESSFUL_REDEMPTION.value: config.successful_redemption_template,
        CommunicationKind.INSUFFICIENT_BALANCE.value: config.insufficient_balance_template,
        CommunicationKind.BELOW_PROGRAM_THRESHOLD.value: config.below_program_threshold_template,
        CommunicationKind.REBATE_REJECTED.value: config.rebate_rejected_template,
    }


@cache
def notifier() -> Notifier:
    from rewards.adapters.dynamo import Table
    from rewards.notifications.adapters import ClientDirectory, DeliveryQueue, EmailSender, EventTopic, SmsSender
    from rewards.notifications.service import Notifier

    config = settings(NotifierSettings)
    return Notifier(
        markers=marker_store(),
        ledger=ledger(),
        config=config_store(),
        directory=ClientDirectory(Table(aws_client("dynamodb"), config.config_table)),
        topic=EventTopic(aws_client("sns"), config.events_topic_arn),
        email=EmailSender(aws_client("ses"), config.sender_address, email_templates(config)),
        sms=SmsSender(aws_client("sns")),
        webhooks=DeliveryQueue(aws_client("sqs"), config.webhook_queue_url),
    )


@cache
def webhook_sender() -> WebhookSender:
    from rewards.notifications.adapters import HttpPoster, SecretStore
    from rewards.notifications.service import WebhookSender

    timeout = settings(WebhookSenderSettings).webhook_timeout_seconds
    return WebhookSender(marker_store(), SecretStore(aws_client("ssm")), HttpPoster(timeout))


@cache
def visibility() -> Visibility:
    from rewards.notifications.adapters import Visibility

    return Visibility(aws_client("sqs"))


def retry_base_seconds() -> int:
    return settings(WebhookSenderSettings).webhook_retry_base_seconds


@cache
def client_directory() -> ClientDirectory:
    from rewards.adapters.dynamo import Table
    from rewards.notifications.adapters import ClientDirectory

    return ClientDirectory(Table(aws_client("dynamodb"), settings(ConfigurationSettings).config_table))


@cache
def rebate_store() -> DynamoRebateStore:
    """The rebate instructions and settlement files, on the ledger table."""
    from rewards.adapters.rebate_store import DynamoRebateStore

    return DynamoRebateStore(ledger().table, ledger())


@cache
def rebate_service() -> RebateService:
    """Recording instructions: the ledger table only."""
    from rewards.settlement.service import RebateService

    return RebateService(rebate_store(), ledger(), config_store())


@cache
def settlement_service() -> RebateService:
    """Settling, acknowledgements and reconciliation: the settlement bucket as well."""
    from rewards.adapters.settlement_bucket import S3SettlementBucket
    from rewards.settlement.service import RebateService

    bucket = S3SettlementBucket(aws_client("s3"), settings(SettlementSettings).settlement_bucket)
    return RebateService(rebate_store(), ledger(), config_store(), bucket)
