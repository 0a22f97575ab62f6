"""Invariants of template.yaml that neither `sam validate` nor cfn-lint check: queue wiring, table
durability, function runtime settings, routes that reach a handler, least-privilege policies and
the environment each function's code reads."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tools import samtemplate
from tools.apigw import http_event
from tools.samtemplate import ROOT, function_property, handler_path, http_routes, load, resources, sqs_consumers

from tests.support import body, handler_module, invoke

pytestmark = pytest.mark.template

FUNCTION = "AWS::Serverless::Function"
TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
SHARED = ROOT / "layers" / "shared"
SQS_DEFAULT_RETENTION = 345_600  # seconds, when MessageRetentionPeriod is not set
SQS_DEFAULT_VISIBILITY = 30
LAMBDA_DEFAULT_TIMEOUT = 3
# The configuration table is written only by tools/config_loader.py, never by a function.
READ_ONLY_TABLES = {"ConfigTable"}
TABLE_WRITE_POLICIES = {"DynamoDBCrudPolicy", "DynamoDBWritePolicy"}
TABLE_POLICIES = TABLE_WRITE_POLICIES | {"DynamoDBReadPolicy"}
SAM = ROOT / ".venv-sam" / "bin" / "sam"


# -- helpers ----------------------------------------------------------------------------------
def intrinsic(value: Any) -> tuple[str, Any] | None:
    """('Ref', 'X') / ('GetAtt', 'X.Arn') / ('Sub', ...) for the short or the long form, else None."""
    tag = getattr(value, "tag", None)
    if tag is not None:
        return str(tag).removeprefix("Fn::"), value.value
    if isinstance(value, dict) and len(value) == 1:
        ((name, inner),) = value.items()
        if name == "Ref" or name.startswith("Fn::"):
            return name.removeprefix("Fn::"), inner
    return None


def target(value: Any) -> str | None:
    """Logical id that a Ref or GetAtt points at."""
    found = intrinsic(value)
    if found is None:
        return None
    name, inner = found
    if name == "Ref":
        return str(inner)
    if name == "GetAtt":
        return str(inner).split(".")[0] if isinstance(inner, str) else str(inner[0])
    return None


def sub_text(value: Any) -> str | None:
    found = intrinsic(value)
    if found is None or found[0] != "Sub":
        return None
    return str(found[1] if isinstance(found[1], str) else found[1][0])


def function_ids() -> list[str]:
    return sorted(resources(FUNCTION))


def globals_function() -> dict[str, Any]:
    return dict(load().get("Globals", {}).get("Function", {}))


def source_files(*folders: Path) -> Iterator[Path]:
    for folder in folders:
        if folder.is_dir():
            yield from (p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def policies(function_id: str) -> list[Any]:
    found = resources()[function_id]["Properties"].get("Policies", [])
    return found if isinstance(found, list) else [found]


def table_policies(function_id: str) -> list[tuple[str, str]]:
    """(SAM policy template, table logical id) pairs of a function."""
    pairs = []
    for policy in policies(function_id):
        if isinstance(policy, dict):
            for name, args in policy.items():
                if name in TABLE_POLICIES:
                    table = target(args.get("TableName"))
                    assert table, f"{function_id}: {name} must name a table of this template with !Ref"
                    pairs.append((name, table))
    return pairs


def inline_statements(function_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in policies(function_id):
        if isinstance(policy, dict) and "Statement" in policy:
            found = policy["Statement"]
            statements.extend(found if isinstance(found, list) else [found])
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- queues -----------------------------------------------------------------------------------
CONSUMERS = sqs_consumers()
CONSUMER_IDS = [f"{function}<-{queue}" for function, queue, _ in CONSUMERS]


def test_the_template_has_a_queue_consumer_to_check():
    assert CONSUMERS, "no SQS event source found: the queue checks below would check nothing"


@pytest.mark.parametrize(("function_id", "queue_id", "event"), CONSUMERS, ids=CONSUMER_IDS)
def test_sqs_event_sources_report_partial_batch_failures(function_id, queue_id, event):
    assert "ReportBatchItemFailures" in event.get("FunctionResponseTypes", []), (
        f"{function_id}: without ReportBatchItemFailures one bad record makes the whole batch retry"
    )


@pytest.mark.parametrize(("function_id", "queue_id", "event"), CONSUMERS, ids=CONSUMER_IDS)
def test_consumed_queues_dead_letter_after_a_bounded_number_of_receives(function_id, queue_id, event):
    queue = resources(QUEUE)[queue_id]["Properties"]
    redrive = queue.get("RedrivePolicy")
    assert redrive, f"{queue_id} has no RedrivePolicy: a poison message would cycle until it expires"
    dead_letter = target(redrive["deadLetterTargetArn"])
    assert dead_letter in resources(QUEUE), f"{queue_id}: the dead-letter target must be a queue of this template"
    assert dead_letter != queue_id
    assert 3 <= int(redrive["maxReceiveCount"]) <= 10


@pytest.mark.parametrize(("function_id", "queue_id", "event"), CONSUMERS, ids=CONSUMER_IDS)
def test_visibility_timeout_covers_six_function_timeouts_plus_the_batching_window(function_id, queue_id, event):
    queue = resources(QUEUE)[queue_id]["Properties"]
    visibility = int(queue.get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY))
    timeout = int(function_property(function_id, "Timeout") or LAMBDA_DEFAULT_TIMEOUT)
    window = int(event.get("MaximumBatchingWindowInSeconds", 0))
    assert visibility >= 6 * timeout + window, (
        f"{queue_id}: VisibilityTimeout {visibility} < 6 x {timeout} s ({function_id}) + {window} s window"
    )


@pytest.mark.parametrize(("function_id", "queue_id", "event"), CONSUMERS, ids=CONSUMER_IDS)
def test_dead_letter_queue_keeps_messages_at_least_as_long_as_its_source(function_id, queue_id, event):
    queue = resources(QUEUE)[queue_id]["Properties"]
    dead_letter = resources(QUEUE)[target(queue["RedrivePolicy"]["deadLetterTargetArn"])]["Properties"]
    source_retention = int(queue.get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION))
    assert int(dead_letter.get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION)) >= source_retention


# -- tables -----------------------------------------------------------------------------------
@pytest.mark.parametrize("table_id", sorted(resources(TABLE)))
def test_tables_are_durable_encrypted_on_demand_and_retained(table_id):
    resource = resources(TABLE)[table_id]
    props = resource["Properties"]
    assert props.get("BillingMode") == "PAY_PER_REQUEST"
    assert props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True
    assert props.get("SSESpecification", {}).get("SSEEnabled") is True
    assert resource.get("DeletionPolicy") == "Retain", f"{table_id}: deleting the stack would delete the data"
    assert resource.get("UpdateReplacePolicy") == "Retain", f"{table_id}: a replacement would delete the data"


def test_the_history_index_is_declared_with_exactly_what_the_listings_read():
    from rewards.adapters.ledger_items import HISTORY_ATTRIBUTES, HISTORY_INDEX

    indexes = {i["IndexName"]: i for i in resources(TABLE)["LedgerTable"]["Properties"]["GlobalSecondaryIndexes"]}
    index = indexes[HISTORY_INDEX]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["gsi1pk", "gsi1sk"]
    assert index["Projection"]["ProjectionType"] == "INCLUDE"  # not ALL: no wider than the queries need
    assert sorted(index["Projection"]["NonKeyAttributes"]) == sorted(HISTORY_ATTRIBUTES)


def test_the_settlement_index_is_the_one_the_rebate_store_queries():
    from rewards.adapters.rebate_items import SETTLE_INDEX

    indexes = {i["IndexName"]: i for i in resources(TABLE)["LedgerTable"]["Properties"]["GlobalSecondaryIndexes"]}
    assert [k["AttributeName"] for k in indexes[SETTLE_INDEX]["KeySchema"]] == ["settlePk", "settleSk"]
    assert sorted(indexes) == sorted(["gsi1", SETTLE_INDEX])


@pytest.mark.parametrize("table_id", sorted(resources(TABLE)))
def test_index_keys_are_declared_attributes(table_id):
    props = resources(TABLE)[table_id]["Properties"]
    defined = {a["AttributeName"] for a in props["AttributeDefinitions"]}
    for index in props.get("GlobalSecondaryIndexes", []):
        assert {k["AttributeName"] for k in index["KeySchema"]} <= defined, index["IndexName"]


# -- functions and the layer ------------------------------------------------------------------
@pytest.mark.parametrize("function_id", function_ids())
def test_functions_run_python313_on_arm64_with_active_tracing(function_id):
    assert function_property(function_id, "Runtime") == "python3.13"
    assert function_property(function_id, "Architectures") == ["arm64"]
    assert function_property(function_id, "Tracing") == "Active"


@pytest.mark.parametrize("function_id", function_ids())
def test_functions_use_the_shared_layer(function_id):
    # SAM appends a function's own Layers to the global ones, so Globals alone is enough.
    layers = [*globals_function().get("Layers", []), *resources()[function_id]["Properties"].get("Layers", [])]
    shared = [lid for lid, r in resources().items() if r["Type"] == "AWS::Serverless::LayerVersion"]
    assert {target(layer) for layer in layers} & set(shared), f"{function_id} does not get the shared layer"


@pytest.mark.parametrize("function_id", function_ids())
def test_functions_have_a_log_group_with_retention(function_id):
    groups = {
        sub_text(r["Properties"].get("LogGroupName")): r["Properties"]
        for r in resources("AWS::Logs::LogGroup").values()
    }
    group = groups.get(f"/aws/lambda/${{{function_id}}}")
    assert group is not None, f"{function_id}: no LogGroup /aws/lambda/${{{function_id}}} (logs would never expire)"
    assert group.get("RetentionInDays") is not None


@pytest.mark.parametrize("function_id", function_ids())
def test_function_handlers_exist(function_id):
    path, function = handler_path(function_id)
    assert path.is_file(), f"{function_id}: {path.relative_to(ROOT)} is missing"
    assert re.search(rf"^(def {function}\(|{function}\s*=)", path.read_text(), re.MULTILINE), (
        f"{function_id}: {path.relative_to(ROOT)} defines no {function}"
    )


@pytest.mark.parametrize("layer_id", sorted(resources("AWS::Serverless::LayerVersion")))
def test_layer_builds_for_python313_on_arm64_with_bytecode(layer_id):
    layer = resources()[layer_id]
    assert layer.get("Metadata", {}).get("BuildMethod") == "makefile"
    assert layer.get("Metadata", {}).get("BuildArchitecture") == "arm64"
    makefile = (ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text()
    [recipe] = re.findall(rf"^build-{layer_id}:\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    for needed in ("manylinux2014_aarch64", "--python-version 3.13", "--only-binary=:all:", "unchecked-hash"):
        assert needed in recipe, f"{layer_id}: the layer build lacks {needed}"
    assert "python3.13" in layer["Properties"].get("CompatibleRuntimes", [])
    assert "arm64" in layer["Properties"].get("CompatibleArchitectures", [])


def makefile_functions() -> list[str]:
    functions = resources("AWS::Serverless::Function")
    return sorted(f for f, r in functions.items() if (r.get("Metadata") or {}).get("BuildMethod") == "makefile")


def test_the_authorizer_ships_its_requirements_compiled():
    assert makefile_functions() == ["AuthorizerFunction"]


@pytest.mark.parametrize("function_id", makefile_functions())
def test_a_function_built_by_its_makefile_ships_arm64_wheels_and_bytecode(function_id):
    function = resources()[function_id]
    assert function["Metadata"].get("BuildArchitecture") == "arm64"
    makefile = (ROOT / function["Properties"]["CodeUri"] / "Makefile").read_text()
    [recipe] = re.findall(rf"^build-{function_id}:\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    for needed in ("manylinux2014_aarch64", "--python-version 3.13", "--only-binary=:all:", "unchecked-hash", "app.py"):
        assert needed in recipe, f"{function_id}: the build lacks {needed}"


# -- routes -----------------------------------------------------------------------------------
ROUTES = http_routes()


def powertools_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def declared_routes(function_id: str) -> set[tuple[str, str]]:
    app = handler_module(function_id).app
    return {(route.method, route.path) for route in app.routes}


@pytest.mark.parametrize("route", ROUTES, ids=[r.route_key for r in ROUTES])
def test_template_routes_are_declared_by_their_handler(route):
    assert (route.method, powertools_path(route.path)) in declared_routes(route.function)


@pytest.mark.parametrize("function_id", sorted({r.function for r in ROUTES}))
def test_handlers_declare_no_route_the_api_does_not_serve(function_id):
    served = {(r.method, powertools_path(r.path)) for r in ROUTES if r.function == function_id}
    assert declared_routes(function_id) <= served


def synthetic_event(route: samtemplate.Route, authorizer: dict[str, str] | None) -> dict[str, Any]:
    """The route with a placeholder in each path parameter, no query and no body."""
    names = re.findall(r"\{(\w+)\}", route.path)
    path = re.sub(r"\{(\w+)\}", "TEST000001", route.path)
    parameters = dict.fromkeys(names, "TEST000001") or None
    return http_event(route.method, path, route_key=route.route_key, path_parameters=parameters, authorizer=authorizer)


@pytest.mark.parametrize("route", ROUTES, ids=[r.route_key for r in ROUTES])
def test_unsigned_call_on_each_route_is_refused_with_401(route, stack):
    response = invoke(route.function, synthetic_event(route, authorizer=None))
    assert response["statusCode"] == 401, response
    assert body(response)["Errors"]["Error"][0]["ReasonCode"]


# A verified client that reaches no program: the request passes the signature check and is routed.
OUTSIDER = {"clientId": "outsider", "programIds": "", "role": "ISSUER"}


@pytest.mark.parametrize("route", ROUTES, ids=[r.route_key for r in ROUTES])
def test_signed_call_on_each_route_reaches_its_handler_not_route_not_found(route, stack):
    response = invoke(route.function, synthetic_event(route, authorizer=OUTSIDER))
    error = body(response)["Errors"]["Error"][0]
    assert not (error["Source"] == "Gateway" and error["ReasonCode"] == "NOT_FOUND"), (
        f"{route.route_key}: {handler_path(route.function)[0].relative_to(ROOT)} has no such route"
    )
    assert 400 <= response["statusCode"] < 500, response


# -- policies ---------------------------------------------------------------------------------
@pytest.mark.parametrize("function_id", function_ids())
def test_no_function_writes_a_read_only_table(function_id):
    writes = {table for name, table in table_policies(function_id) if name in TABLE_WRITE_POLICIES}
    assert not writes & READ_ONLY_TABLES, f"{function_id} may write {sorted(writes & READ_ONLY_TABLES)}"


@pytest.mark.parametrize("function_id", function_ids())
def test_table_policies_name_tables_of_this_template(function_id):
    for name, table in table_policies(function_id):
        assert table in resources(TABLE), f"{function_id}: {name} on unknown table {table}"


def test_read_only_functions_get_no_write_policy():
    """Profiles and search only read: a write grant there would be unused privilege."""
    writes = {table for name, table in table_policies("RedeemersFunction") if name in TABLE_WRITE_POLICIES}
    assert writes == set()


@pytest.mark.parametrize("function_id", function_ids())
def test_inline_statements_name_their_resources_and_actions(function_id):
    for statement in inline_statements(function_id):
        for resource in as_list(statement.get("Resource")):
            assert resource is not None and resource != "*", f"{function_id}: wildcard Resource in {statement}"
            assert not (isinstance(resource, str) and resource.endswith(":*")), f"{function_id}: {resource}"
        for action in as_list(statement.get("Action")):
            assert isinstance(action, str) and not action.endswith("*"), f"{function_id}: wildcard Action {action}"


@pytest.mark.parametrize("function_id", function_ids())
def test_tables_in_a_functions_own_environment_are_granted(function_id):
    """A table a function is pointed at by its own variables must be reachable by a policy."""
    own = resources()[function_id]["Properties"].get("Environment", {}).get("Variables", {})
    granted = {table for _, table in table_policies(function_id)}
    granted |= {target(r) for s in inline_statements(function_id) for r in as_list(s.get("Resource"))}
    for variable, value in own.items():
        if target(value) in resources(TABLE):
            assert target(value) in granted, f"{function_id}: {variable} points at a table it may not touch"


@pytest.mark.parametrize("function_id", function_ids())
def test_queue_urls_in_a_functions_environment_come_with_send_permission(function_id):
    own = resources()[function_id]["Properties"].get("Environment", {}).get("Variables", {})
    senders = {
        target(args.get("QueueName"))
        for policy in policies(function_id)
        if isinstance(policy, dict)
        for name, args in policy.items()
        if name == "SQSSendMessagePolicy"
    }
    for variable, value in own.items():
        if target(value) in resources(QUEUE):
            assert target(value) in senders, f"{function_id}: {variable} names a queue it may not send to"


# -- environment: each function's settings model against its template block -----------------
def settings_model(function_id: str) -> Any:
    return handler_module(function_id).SETTINGS


def template_environment(function_id: str) -> dict[str, str]:
    return samtemplate.Resolver(prefix="t").function_environment(function_id)


@pytest.mark.parametrize("function_id", function_ids())
def test_every_function_builds_its_settings_from_its_template_environment_alone(function_id):
    from rewards.settings import FunctionSettings

    model = settings_model(function_id)
    assert issubclass(model, FunctionSettings)
    model.from_environment(template_environment(function_id))


@pytest.mark.parametrize("function_id", function_ids())
def test_a_variable_missing_from_the_template_fails_the_function_naming_it(function_id):
    from rewards.settings import SettingsError

    model = settings_model(function_id)
    environment = template_environment(function_id)
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    assert required
    for name in required:
        variable = model.model_fields[name].alias
        with pytest.raises(SettingsError, match=variable):
            model.from_environment({k: v for k, v in environment.items() if k != variable})


@pytest.mark.parametrize("function_id", function_ids())
def test_every_variable_the_template_sets_is_read_by_the_functions_settings(function_id):
    """Powertools and pydantic read their own; STAGE names the deployment for operators (and the console)."""
    unread = set(template_environment(function_id)) - settings_model(function_id).variables()
    assert {name for name in unread if not name.startswith(("POWERTOOLS_", "PYDANTIC_"))} <= {"STAGE"}


# -- SAM's own validators ---------------------------------------------------------------------
# `make test` runs both validators in its `validate` step, so under make (GNU make exports MAKELEVEL
# to its recipes) this test skips instead of paying for them twice. Run alone, `pytest tests/template`
# still gives the whole verdict on a template edit. Each command takes 2-10 s; skipped without the SAM venv.
@pytest.mark.skipif(not SAM.exists(), reason="no .venv-sam (make install)")
@pytest.mark.skipif("MAKELEVEL" in os.environ, reason="make test runs `make validate` already")
@pytest.mark.parametrize("options", [[], ["--lint"]], ids=["validate", "validate-lint"])
def test_sam_validate(options):
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [str(SAM), "validate", *options, "--template", str(samtemplate.TEMPLATE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the template as API Gateway receives it ----------------------------------------------------
@pytest.mark.skipif(not SAM.exists(), reason="no .venv-sam (make install)")
def test_api_gateway_hands_every_request_to_the_authorizer_even_without_a_header():
    """No identity source (allowed with caching off): API Gateway calls the authorizer for every
    request instead of answering a header-less one with its own {"message":"Unauthorized"}."""
    result = subprocess.run(
        [str(SAM.parent / "python"), "-m", "tools.sam_translate"],
        cwd=ROOT,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    translated = json.loads(result.stdout)["Resources"]
    [api] = [r for r in translated.values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    schemes = api["Properties"]["Body"]["components"]["securitySchemes"]
    [authorizer] = [s["x-amazon-apigateway-authorizer"] for s in schemes.values()]
    assert authorizer["identitySource"] == []
    assert authorizer["authorizerResultTtlInSeconds"] == 0
    routes = api["Properties"]["Body"]["paths"]
    secured = [op.get("security") for ops in routes.values() for op in ops.values() if isinstance(op, dict)]
    assert secured and all(s == [{name: []} for name in schemes] for s in secured)
    # and a request no route matches reaches a function too (its 404 is in the envelope, not API Gateway's)
    assert routes["/$default"]["x-amazon-apigateway-any-method"]["isDefaultRoute"] is True
