"""The sample events in events/ are valid Lambda events for routes and queues the template declares,
and tools/make_events.py regenerates them byte for byte (no hand edits, no drift)."""

from __future__ import annotations

import copy
import json
import re

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerRequestV2,
    APIGatewayProxyEventV2Model,
    DynamoDBStreamModel,
    SqsModel,
)
from pydantic import ValidationError
from tools import make_events
from tools.samtemplate import http_routes, resources, sqs_consumers, stream_consumers

from rewards.adapters.dynamo_ledger import DynamoLedger
from rewards.models.messages import QueuedAuthorization
from rewards.notifications.webhooks import WebhookDelivery
from tests.support import EVENTS

pytestmark = pytest.mark.template

FILES = sorted(EVENTS.glob("*.json"))
API_FILES = [p for p in FILES if p.name.startswith("apigw-")]
SQS_FILES = [p for p in FILES if p.name.startswith("sqs-")]
AUTHORIZER_FILES = [p for p in FILES if p.name.startswith("authorizer-")]
STREAM_FILES = [p for p in FILES if p.name.startswith("dynamodb-")]
SCHEDULE_FILES = [p for p in FILES if p.name.startswith("scheduler-")]
S3_FILES = [p for p in FILES if p.name.startswith("s3-")]
ROUTES = {route.route_key: route for route in http_routes()}


def test_every_event_file_is_an_api_authorizer_queue_stream_schedule_or_bucket_event():
    assert FILES, "events/ is empty: run `make events`"
    kinds = set(API_FILES) | set(SQS_FILES) | set(AUTHORIZER_FILES) | set(STREAM_FILES)
    kinds |= set(SCHEDULE_FILES) | set(S3_FILES)
    assert set(FILES) == kinds, "event files are named apigw-, authorizer-, sqs-, dynamodb-, scheduler- or s3-*.json"


def functions_with_an_event() -> set[str]:
    """The functions the files in events/ are for, read from what each event is."""
    found = {ROUTES[json.loads(p.read_text())["routeKey"]].function for p in API_FILES}
    queues = {queue: function for function, queue, _ in sqs_consumers()}
    for path in SQS_FILES:
        found |= {queues[r["eventSourceARN"].rsplit(":", 1)[1]] for r in json.loads(path.read_text())["Records"]}
    if STREAM_FILES:
        found |= {function for function, _, _ in stream_consumers()}
    if AUTHORIZER_FILES:
        found.add("AuthorizerFunction")
    found |= {function for function, kind, _ in event_sources() if kind == "ScheduleV2" and SCHEDULE_FILES}
    found |= {function for function, kind, _ in event_sources() if kind == "S3" and S3_FILES}
    return found


def event_sources() -> list[tuple[str, str, dict[str, object]]]:
    """(function, event type, properties) of every event the template declares."""
    return [
        (function, event["Type"], event.get("Properties", {}))
        for function, resource in resources("AWS::Serverless::Function").items()
        for event in resource["Properties"].get("Events", {}).values()
    ]


@pytest.mark.parametrize("path", SCHEDULE_FILES, ids=lambda p: p.stem)
def test_schedule_events_are_the_input_of_a_declared_schedule(path):
    inputs = [json.loads(str(props["Input"])) for _, kind, props in event_sources() if kind == "ScheduleV2"]
    assert json.loads(path.read_text()) in inputs


def test_every_function_has_an_event():
    assert functions_with_an_event() == set(resources("AWS::Serverless::Function"))


@pytest.mark.parametrize("path", AUTHORIZER_FILES, ids=lambda p: p.stem)
def test_authorizer_events_are_http_api_v2_request_authorizer_events_for_a_declared_route(path):
    event = ApiGatewayAuthorizerRequestV2.model_validate_json(path.read_text())
    assert event.routeKey in ROUTES and event.type == "REQUEST"


@pytest.mark.parametrize("path", STREAM_FILES, ids=lambda p: p.stem)
def test_stream_events_carry_outbox_inserts_the_notifier_reads(path):
    """Each is an INSERT the notifier's filter passes, of an item it reads a committed event from."""
    from tools.local.streams import outbox_records

    assert outbox_records(json.loads(path.read_text())["Records"])
    from boto3.dynamodb.types import TypeDeserializer

    deserialize = TypeDeserializer().deserialize
    assert {r.eventName for r in DynamoDBStreamModel.model_validate_json(path.read_text()).Records} == {"INSERT"}
    for record in json.loads(path.read_text())["Records"]:
        image = {name: deserialize(value) for name, value in record["dynamodb"]["NewImage"].items()}
        read = DynamoLedger(None).committed_event(image)  # type: ignore[arg-type] - no table is read
        assert read is not None and read[0].eventId


def test_the_webhook_event_carries_a_valid_delivery():
    [record] = SqsModel.model_validate_json((EVENTS / "sqs-webhook-delivery.json").read_text()).Records
    WebhookDelivery.model_validate_json(record.body)


@pytest.mark.parametrize("path", API_FILES, ids=lambda p: p.stem)
def test_api_events_are_http_api_v2_events_for_a_declared_route(path):
    event = APIGatewayProxyEventV2Model.model_validate_json(path.read_text())
    assert event.routeKey in ROUTES, f"{path.name}: {event.routeKey} is not a route of template.yaml"
    assert event.requestContext.routeKey == event.routeKey
    assert event.requestContext.http.method == event.routeKey.split(" ")[0]
    template_path = ROUTES[event.routeKey].path
    pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template_path)) + "$"
    match = re.match(pattern, event.rawPath)
    assert match, f"{path.name}: rawPath {event.rawPath} does not fit {template_path}"
    assert (event.pathParameters or {}) == match.groupdict()


@pytest.mark.parametrize("path", SQS_FILES, ids=lambda p: p.stem)
def test_queue_events_are_sqs_events_from_a_consumed_queue(path):
    event = SqsModel.model_validate_json(path.read_text())
    consumed = {queue for _, queue, _ in sqs_consumers()}
    assert event.Records
    for record in event.Records:
        assert record.eventSourceARN.rsplit(":", 1)[1] in consumed, record.eventSourceARN


def queued_bodies_valid(path) -> list[bool]:
    valid = []
    for record in SqsModel.model_validate_json(path.read_text()).Records:
        try:
            QueuedAuthorization.model_validate_json(record.body)
            valid.append(True)
        except ValidationError:
            valid.append(False)
    return valid


def test_network_event_carries_a_valid_queued_authorization():
    assert queued_bodies_valid(EVENTS / "sqs-network-authorization.json") == [True]


def test_poison_batch_has_exactly_one_poison_record_between_good_ones():
    assert queued_bodies_valid(EVENTS / "sqs-batch-with-poison.json") == [True, False, True]


def generated() -> dict[str, str]:
    return {
        f"{name}.json": json.dumps(make_events._fix_ids(copy.deepcopy(event), name), indent=2) + "\n"
        for name, event in make_events.events().items()
    }


def test_make_events_writes_exactly_the_committed_set_of_files():
    assert set(generated()) == {p.name for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_committed_event_matches_what_make_events_generates(path):
    expected = generated().get(path.name)
    assert expected is not None, f"{path.name} is not generated by tools/make_events.py"
    assert path.read_text() == expected, f"{path.name} drifted from tools/make_events.py: run `make events`"
