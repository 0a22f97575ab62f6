"""Read template.yaml as the single source of truth for resources, routes and environments.

Used by the tests and the local stack to create tables, queues and topics exactly as declared,
and to give each function the environment ``sam local`` would give it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
ACCOUNT = "123456789012"
DEFAULT_ROUTE = "$default"
REGION = "us-east-1"


class _Tag:
    def __init__(self, tag: str, value: Any) -> None:
        self.tag = tag
        self.value = value

    def __repr__(self) -> str:
        return f"!{self.tag} {self.value!r}"


class _Loader(yaml.SafeLoader):
    pass


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Tag:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return _Tag(suffix, value)


_Loader.add_multi_constructor("!", _construct)


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as handle:
        return cast(dict[str, Any], yaml.load(handle, Loader=_Loader))  # noqa: S506 - SafeLoader subclass


def resources(kind: str | None = None) -> dict[str, dict[str, Any]]:
    all_resources: dict[str, dict[str, Any]] = load()["Resources"]
    return {name: r for name, r in all_resources.items() if kind is None or r["Type"] == kind}


@dataclass
class Resolver:
    """Resolves intrinsic functions against local physical names (``{prefix}-{LogicalId}``)."""

    prefix: str
    endpoint: str = "http://127.0.0.1:5000"
    parameters: dict[str, str] | None = None

    def physical_name(self, logical_id: str) -> str:
        return f"{self.prefix}-{logical_id}"

    def queue_url(self, logical_id: str) -> str:
        return f"{self.endpoint}/{ACCOUNT}/{self.physical_name(logical_id)}"

    def arn(self, logical_id: str) -> str:
        kind = resources()[logical_id]["Type"]
        name = self.physical_name(logical_id)
        return {
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
        }.get(kind, f"arn:aws:local:{REGION}:{ACCOUNT}:{name}")

    def parameter(self, name: str) -> str:
        if self.parameters and name in self.parameters:
            return self.parameters[name]
        if name == "AWS::Region":
            return REGION
        if name == "AWS::AccountId":
            return ACCOUNT
        if name == "AWS::StackName":
            return self.prefix
        declared = load().get("Parameters", {}).get(name)
        if declared is None:
            raise KeyError(f"unknown parameter {name}")
        return str(declared.get("Default", ""))

    def ref(self, name: str) -> str:
        all_resources = resources()
        if name in all_resources:
            if all_resources[name]["Type"] == "AWS::SQS::Queue":
                return self.queue_url(name)
            if all_resources[name]["Type"] == "AWS::SNS::Topic":
                return self.arn(name)
            return self.physical_name(name)
        return self.parameter(name)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, _Tag):
            return self._intrinsic(value)
        if isinstance(value, dict):
            if len(value) == 1:
                ((only_key, inner),) = value.items()
                if only_key == "Ref" or only_key.startswith("Fn::"):
                    return self._intrinsic(_Tag(only_key.removeprefix("Fn::"), inner))
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _intrinsic(self, tag: _Tag) -> Any:
        name, value = tag.tag, tag.value
        if name == "Ref":
            return self.ref(value)
        if name == "GetAtt":
            logical_id, attribute = value.split(".", 1) if isinstance(value, str) else value
            if attribute == "Arn":
                return self.arn(logical_id)
            if attribute in ("QueueName", "TopicName"):
                return self.physical_name(logical_id)
            if attribute == "QueueUrl":
                return self.queue_url(logical_id)
            raise KeyError(f"unsupported attribute {attribute}")
        if name == "Sub":
            text = value if isinstance(value, str) else value[0]
            extra = {} if isinstance(value, str) else {k: self.resolve(v) for k, v in value[1].items()}

            def substitute(match: re.Match[str]) -> str:
                token = match.group(1)
                if token in extra:
                    return str(extra[token])
                if "." in token:
                    return str(self._intrinsic(_Tag("GetAtt", token)))
                return str(self.ref(token))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if name == "If":
            condition, when_true, when_false = value
            return self.resolve(when_true if self._condition(condition) else when_false)
        if name == "Select":
            index, items = value
            return self.resolve(items)[int(self.resolve(index))]
        if name == "Join":
            separator, items = value
            return separator.join(str(v) for v in self.resolve(items))
        if name == "Split":
            separator, text = value
            return str(self.resolve(text)).split(separator)
        raise KeyError(f"unsupported intrinsic {name}")

    def _condition(self, name: str) -> bool:
        condition = load()["Conditions"][name]
        tag = condition if isinstance(condition, _Tag) else _Tag(*next(iter(condition.items())))
        if tag.tag.removeprefix("Fn::") == "Equals":
            left, right = (self.resolve(v) for v in tag.value)
            return bool(left == right)
        raise KeyError(f"unsupported condition {name}")

    # -- functions -----------------------------------------------------------------------
    def function_environment(self, logical_id: str) -> dict[str, str]:
        """Globals merged with the function's own variables, as ``sam local`` resolves them."""
        template = load()
        merged: dict[str, Any] = dict(
            template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        )
        own = resources()[logical_id]["Properties"].get("Environment", {}).get("Variables", {})
        merged.update(own)
        return {name: str(self.resolve(value)) for name, value in merged.items()}


def function_property(logical_id: str, name: str) -> Any:
    """A function property, falling back to Globals.Function like SAM does."""
    own = resources()[logical_id]["Properties"]
    if name in own:
        return own[name]
    return load().get("Globals", {}).get("Function", {}).get(name)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway form: /redeemers/{id}
    function: str  # logical id

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


def http_routes() -> list[Route]:
    routes = []
    for logical_id, resource in resources("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi" and event["Properties"]["Path"] != DEFAULT_ROUTE:
                props = event["Properties"]
                routes.append(Route(props["Method"].upper(), props["Path"], logical_id))
    return routes


def default_route() -> Route | None:
    """The HttpApi's ``$default`` route (every request no other route matches), when declared."""
    for logical_id, resource in resources("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi" and event["Properties"]["Path"] == DEFAULT_ROUTE:
                return Route("ANY", DEFAULT_ROUTE, logical_id)
    return None


def sqs_consumers() -> list[tuple[str, str, dict[str, Any]]]:
    """(function logical id, queue logical id, event properties) for every SQS event source."""
    found = []
    for logical_id, resource in resources("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]
                queue_id = queue.value.split(".")[0] if isinstance(queue, _Tag) else str(queue)
                found.append((logical_id, queue_id, event["Properties"]))
    return found


def stream_consumers() -> list[tuple[str, str, dict[str, Any]]]:
    """(function logical id, table logical id, event properties) for every DynamoDB stream event source."""
    found = []
    for logical_id, resource in resources("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                stream = event["Properties"]["Stream"]
                value = stream.value if isinstance(stream, _Tag) else stream
                table_id = (value[0] if isinstance(value, list) else str(value)).split(".")[0]
                found.append((logical_id, table_id, event["Properties"]))
    return found


def handler_path(logical_id: str) -> tuple[Path, str]:
    """(code directory, handler function name) of a function."""
    props = resources()[logical_id]["Properties"]
    module, function = props["Handler"].rsplit(".", 1)
    return ROOT / props["CodeUri"] / f"{module}.py", function
