"""The local stack: the moto process, the template's resources, the demo configuration, gateway and pollers."""

from __future__ import annotations

import errno
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from tools import provision
from tools.local.functions import LOCAL_AWS_ENVIRONMENT, FunctionHost
from tools.local.gateway import Gateway
from tools.local.keys import STATE_DIR, ensure_keys, register_local_key, save_local_clients
from tools.local.moto_server import MotoServer, ensure_free
from tools.local.motoview import MotoView
from tools.local.pollers import SQS_CONCURRENCY, EmailFolder, Poller, SettlementFolder, start_pollers
from tools.local.webhook_receiver import DEFAULT_PORT as WEBHOOK_PORT
from tools.local.webhook_receiver import WebhookReceiver, register_webhook_secrets
from tools.samtemplate import REGION, ROOT, Resolver, resources

DEMO_CONFIG = ROOT / "config" / "demo.yaml"
DEFAULT_PREFIX = "rewards-local"
PAN_KEY_FILE = "pan-hash-key"
SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "sns", "ses", "ssm", "s3")
LOCAL_HOSTS = ("127.0.0.1", "localhost")

log = logging.getLogger("tools.local.stack")


@dataclass
class StackOptions:
    host: str = "127.0.0.1"
    port: int = 3000  # gateway; 0 picks a free port
    moto_port: int = 5000
    moto_host: str = "127.0.0.1"  # 0.0.0.0 lets `sam local` containers reach it
    prefix: str = DEFAULT_PREFIX
    state_dir: Path = STATE_DIR
    config: Path = DEMO_CONFIG
    pollers: bool = True
    sqs_concurrency: int = SQS_CONCURRENCY  # concurrent batches per queue (capped by MaximumConcurrency)
    item_level_transactions: bool = True  # moto rolls back by touched items, not table copies (tools.moto_lock)
    webhook_port: int | None = WEBHOOK_PORT  # the Auth Notifier receiver; 0 picks a free port, None: none
    echo_webhooks: bool = False  # print each call the receiver gets
    # seconds between the settlement function's scheduled runs (make run: 60); None: only on request,
    # since a background invocation switches this process's environment to the stack's
    settlement_every: float | None = None


@dataclass
class LocalStack:
    options: StackOptions = field(default_factory=StackOptions)
    moto: MotoServer | None = None
    gateway: Gateway | None = None
    functions: FunctionHost | None = None
    pollers: list[Poller] = field(default_factory=list)
    resolver: Resolver | None = None
    clients: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    private_key: Path | None = None
    webhook: WebhookReceiver | None = None
    webhook_problem: str = ""  # why the receiver did not start
    local_clients: list[str] = field(default_factory=list)  # clients the local key signs for
    own_key_clients: list[str] = field(default_factory=list)  # clients with keys of their own
    emails: EmailFolder | None = None
    settlement: SettlementFolder | None = None

    @property
    def emails_dir(self) -> Path:
        return self.options.state_dir / "emails"

    @property
    def settlement_dir(self) -> Path:
        return self.options.state_dir / "settlement"

    @property
    def url(self) -> str:
        assert self.gateway is not None, "start() first"
        return self.gateway.url

    @property
    def moto_url(self) -> str:
        assert self.moto is not None, "start() first"
        return self.moto.url

    @property
    def view(self) -> MotoView:
        """What moto holds that no AWS API returns (sent emails, SMS, published messages)."""
        return MotoView(self.moto_url)

    def client(self, service: str) -> Any:
        """A boto3 client for the local moto server (fake credentials, never a real account)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.moto_url,
            region_name=REGION,
            aws_access_key_id=LOCAL_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=LOCAL_AWS_ENVIRONMENT["AWS_SESSION_TOKEN"],
        )

    def start(self) -> Self:
        options = self.options
        ensure_free(options.host, options.port, "gateway")
        self.moto = MotoServer(options.moto_host, options.moto_port, options.item_level_transactions)
        try:
            self.moto.start()
            self.resolver = Resolver(prefix=options.prefix, endpoint=self.moto_url)
            self.clients = {service: self.client(service) for service in SERVICES}
            self._start_webhook_receiver()
            self._provision()
            self.functions = host = FunctionHost(self.resolver, self.moto_url)
            self.gateway = Gateway(host, options.host, options.port, options.state_dir)
            self.gateway.start()
            if options.pollers:
                self.pollers = start_pollers(host, self.resolver, self.clients, options.sqs_concurrency)
                self.emails = EmailFolder(self.emails_dir, self.view)
                self.emails.clear()
                self.emails.refresh()
                self.emails.start()
                self.settlement = SettlementFolder(
                    host,
                    self.clients["s3"],
                    self.buckets["SettlementBucket"],
                    self.settlement_dir,
                    schedule=options.settlement_every,
                )
                self.settlement.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_webhook_receiver(self) -> None:
        """A port in use is no reason to stop the stack: it runs without the receiver."""
        port = self.options.webhook_port
        if port is None:
            return
        try:
            self.webhook = WebhookReceiver(port=port, echo=self.options.echo_webhooks).start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            self.webhook_problem = f"port {port} is already in use"
            log.warning("webhook receiver not started (%s): the webhooks keep their configured URLs", error)

    def _provision(self) -> None:
        assert self.resolver is not None
        resolver, clients = self.resolver, self.clients
        self.tables = provision.create_tables(clients["dynamodb"], resolver)
        self.queues = provision.create_queues(clients["sqs"], resolver)
        provision.create_topics(clients["sns"], resolver)
        self.buckets = provision.create_buckets(clients["s3"], resolver)
        provision.create_email_identities(clients["ses"], resolver)
        provision.create_email_templates(clients["ses"], resolver)
        secret = self._card_hash_key()
        for name in self._pan_key_parameters():
            clients["ssm"].put_parameter(Name=name, Value=secret, Type="SecureString", Overwrite=True)
        self._load_configuration(secret.encode())

    def _pan_key_parameters(self) -> set[str]:
        assert self.resolver is not None
        names = set()
        for logical_id in resources("AWS::Serverless::Function"):
            name = self.resolver.function_environment(logical_id).get("PAN_HASH_KEY_PARAM")
            if name:
                names.add(name)
        return names

    def _card_hash_key(self) -> str:
        """Random on the first start, then reused: card hashes stay stable across restarts."""
        path = self.options.state_dir / PAN_KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32))
        return path.read_text().strip()

    def _load_configuration(self, secret: bytes) -> None:
        from rewards.adapters.dynamo import Table
        from tools.config_loader import ConfigurationLoader, parse_document, raw_document

        self.private_key, public_pem = ensure_keys(self.options.state_dir)
        raw = raw_document(self.options.config)
        self.local_clients = register_local_key(raw, public_pem)
        clients = [str(c.get("clientId")) for c in raw.get("clients") or []]
        self.own_key_clients = [c for c in clients if c not in self.local_clients]
        save_local_clients(self.options.state_dir, self.local_clients)
        register_webhook_secrets(self.clients["ssm"], self._point_webhooks_at_receiver(raw))
        document = parse_document(json.dumps(raw))
        dynamodb = self.clients["dynamodb"]
        ConfigurationLoader(
            Table(dynamodb, self.tables["LedgerTable"]), Table(dynamodb, self.tables["ConfigTable"]), secret
        ).load(document)

    def _point_webhooks_at_receiver(self, raw_document: dict[str, Any]) -> list[str]:
        """The clients' webhook secret parameters; webhooks aimed at the local receiver's default
        address (127.0.0.1:3100) are aimed at the port it actually listens on."""
        names = []
        for client in raw_document.get("clients") or []:
            webhook = client.get("webhook")
            if not webhook:
                continue
            names.append(webhook["secretParameterName"])
            url = urlsplit(webhook["url"])
            if self.webhook is not None and url.hostname in LOCAL_HOSTS and url.port == WEBHOOK_PORT:
                receiver = urlsplit(self.webhook.url)
                webhook["url"] = url._replace(netloc=receiver.netloc).geturl()
        return names

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        self.pollers = []
        if self.emails is not None:
            self.emails.stop()
            self.emails.refresh()  # the last ones, while moto still holds them
            self.emails = None
        if self.settlement is not None:
            self.settlement.stop()
            self.settlement = None
        if self.webhook is not None:
            self.webhook.stop()
            self.webhook = None
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        self.functions = None
        if self.moto is not None:
            self.moto.stop()
            self.moto = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
