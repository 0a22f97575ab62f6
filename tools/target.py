"""Where a command acts: a deployed stack (names from its outputs and parameters) or the local stack.

--stack-name rewards-dev [--region R] [--profile P]      a deployed stack, with your AWS credentials
--local-prefix rewards-local [--endpoint-url URL]        the local stack (make run): moto, fake credentials
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from tools.cli import Problem
from tools.samtemplate import REGION, Resolver, load

LOCAL_ENDPOINT = "http://127.0.0.1:5000"  # make run's moto server
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def template_default(parameter: str) -> str:
    return str(load()["Parameters"][parameter]["Default"])


@dataclass
class Target:
    session: Any  # boto3.session.Session
    endpoint_url: str | None
    ledger_table: str
    config_table: str
    pan_key_parameter: str  # with its leading slash
    webhook_secret_prefix: str  # with its leading slash
    description: str
    settlement_bucket: str = ""

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url)


def add_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    where = parser.add_argument_group("where (one of)")
    target = where.add_mutually_exclusive_group(required=required)
    target.add_argument("--stack-name", help="a deployed stack: table and parameter names come from the stack")
    target.add_argument("--local-prefix", help="the local stack's resource prefix (make run: rewards-local)")
    where.add_argument("--endpoint-url", help=f"the local stack's moto server (default {LOCAL_ENDPOINT})")
    where.add_argument("--region", help="a deployed stack's region (default: your AWS configuration)")
    where.add_argument("--profile", help="a deployed stack: the AWS profile to use")


def resolve(args: argparse.Namespace) -> Target:
    import boto3

    if args.local_prefix:
        if args.region or args.profile:
            raise Problem("--region and --profile are for --stack-name; the local stack needs neither")
        session = boto3.session.Session(region_name=REGION, **LOCAL_CREDENTIALS)
        return Target(
            session,
            args.endpoint_url or LOCAL_ENDPOINT,
            f"{args.local_prefix}-LedgerTable",
            f"{args.local_prefix}-ConfigTable",
            "/" + template_default("PanHashKeyParameterName"),
            "/" + template_default("WebhookSecretParameterPrefix"),
            f"local stack {args.local_prefix}",
            str(
                Resolver(prefix=args.local_prefix).resolve(
                    load()["Resources"]["SettlementBucket"]["Properties"]["BucketName"]
                )
            ),
        )
    if args.stack_name is None:
        raise Problem("say where: --stack-name NAME (a deployed stack) or --local-prefix PREFIX (make run)")
    session = boto3.session.Session(region_name=args.region, profile_name=args.profile)
    stack = stack_description(session, args.stack_name, args.endpoint_url)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    missing = [name for name in ("LedgerTableName", "ConfigTableName") if name not in outputs]
    if missing:
        raise Problem(f"stack {args.stack_name} has no output {', '.join(missing)}: is it this project's stack?")
    return Target(
        session,
        args.endpoint_url,
        outputs["LedgerTableName"],
        outputs["ConfigTableName"],
        "/" + parameters.get("PanHashKeyParameterName", template_default("PanHashKeyParameterName")),
        "/" + parameters.get("WebhookSecretParameterPrefix", template_default("WebhookSecretParameterPrefix")),
        f"stack {args.stack_name} ({session.region_name})",
        outputs.get("SettlementBucketName", ""),
    )


def stack_description(session: Any, stack_name: str, endpoint_url: str | None = None) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    try:
        stacks = session.client("cloudformation", endpoint_url=endpoint_url).describe_stacks(StackName=stack_name)
    except ClientError as error:
        if "does not exist" in str(error):
            raise Problem(f"no stack {stack_name} in region {session.region_name}") from None
        raise
    return dict(stacks["Stacks"][0])
