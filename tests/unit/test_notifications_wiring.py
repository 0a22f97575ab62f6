"""template.yaml gives the notifier and the webhook sender every setting their composition needs."""

from __future__ import annotations

import json

import pytest
from tools.samtemplate import Resolver, resources

from rewards import runtime
from rewards.settings import NotifierSettings, settings


@pytest.mark.parametrize("function_id", ["NotifierFunction", "WebhookSenderFunction"])
def test_functions_build_from_their_template_environment_alone(function_id, monkeypatch):
    from moto import mock_aws

    for name in ("NOTIFICATIONS_TABLE_NAME", "EVENTS_TOPIC_ARN", "WEBHOOK_QUEUE_URL", "NOTIFICATION_SENDER_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in Resolver(prefix="t").function_environment(function_id).items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        runtime.reset()
        built = runtime.notifier() if function_id == "NotifierFunction" else runtime.webhook_sender()
        assert built.markers.table.name == "t-NotificationsTable"
        runtime.reset()


def test_email_templates_point_at_the_four_declared_templates(monkeypatch):
    for name, value in Resolver(prefix="t").function_environment("NotifierFunction").items():
        monkeypatch.setenv(name, value)
    declared = {f"t-{logical_id}" for logical_id in resources("AWS::SES::Template")}
    assert set(runtime.email_templates(settings(NotifierSettings)).values()) == declared
    assert len(declared) == 4  # the seed's three communications and the rejected rebate


def test_notifier_stream_source_is_filtered_bounded_and_dead_lettered():
    [event] = resources()["NotifierFunction"]["Properties"]["Events"].values()
    props = event["Properties"]
    assert event["Type"] == "DynamoDB"
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 < props["MaximumRetryAttempts"] <= 20
    [pattern] = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"eventType": {"S": [{"exists": True}]}}}}
    assert props["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
