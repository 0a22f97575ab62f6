"""SnapStart hooks: what runs before the snapshot and after a restore (rewards.snapstart)."""

from __future__ import annotations

import random
import sys
import types
from decimal import Decimal
from typing import Any

from rewards import runtime, snapstart


def fake_library(monkeypatch: Any) -> dict[str, list[tuple[Any, tuple[Any, ...]]]]:
    registered: dict[str, list[tuple[Any, tuple[Any, ...]]]] = {"before": [], "after": []}
    library = types.ModuleType("snapshot_restore_py")
    library.register_before_snapshot = lambda hook, *args: registered["before"].append((hook, args))  # type: ignore[attr-defined]
    library.register_after_restore = lambda hook, *args: registered["after"].append((hook, args))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", library)
    return registered


def test_off_lambda_nothing_is_registered(monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails as it does off Lambda
    assert snapstart.register(prime=lambda: None) is False


def test_before_the_snapshot_the_composition_root_is_built(monkeypatch):
    registered = fake_library(monkeypatch)
    primed = []
    assert snapstart.register(prime=lambda: primed.append("built")) is True
    [(hook, args)] = registered["before"]
    hook(*args)
    assert primed == ["built"]


def test_deferred_models_are_built_before_the_snapshot(monkeypatch):
    from pydantic import BaseModel, ConfigDict, TypeAdapter

    class Probe(BaseModel):
        model_config = ConfigDict(defer_build=True)
        amount: Decimal

    module = types.ModuleType("rewards.snapstart_probe")
    module.Probe = Probe  # type: ignore[attr-defined]
    module.PROBES = TypeAdapter(list[Probe], config=ConfigDict(defer_build=True))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rewards.snapstart_probe", module)
    assert not Probe.__pydantic_complete__ and not module.PROBES.pydantic_complete
    assert snapstart.build_models() >= 2
    assert Probe.__pydantic_complete__ and module.PROBES.pydantic_complete
    assert snapstart.build_models() == 0  # every imported model is built: nothing is left for the first request


def test_after_a_restore_connections_are_closed_and_random_is_reseeded(monkeypatch):
    closed = []

    class Client:
        def close(self) -> None:
            closed.append(self)

    clients = [Client(), Client()]
    monkeypatch.setattr(runtime, "_clients", clients)
    random.seed(7)
    cloned = random.random()
    random.seed(7)
    snapstart.after_restore()
    assert closed == clients
    assert random.random() != cloned  # every restored copy draws its own jitter


def test_a_closed_client_still_works(monkeypatch):
    """boto3 clients reconnect after close(): the restored environment keeps its loaded clients."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        runtime.reset()
        dynamodb = runtime.aws_client("dynamodb")
        dynamodb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        runtime.close_connections()
        dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}, "n": {"N": str(Decimal("1.5"))}})
        assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1.5"}
        runtime.reset()
