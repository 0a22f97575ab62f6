"""Create every table, queue, bucket, topic and SES identity/template that template.yaml declares, on moto
(or any endpoint)."""

from __future__ import annotations

import json
from typing import Any

from tools.samtemplate import Resolver, resources

_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode")


def create_tables(dynamodb: Any, resolver: Resolver) -> dict[str, str]:
    created = {}
    for logical_id, resource in resources("AWS::DynamoDB::Table").items():
        props = resolver.resolve(resource["Properties"])
        name = resolver.physical_name(logical_id)
        request = {k: props[k] for k in _TABLE_KEYS if k in props}
        if "StreamSpecification" in props:
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        dynamodb.create_table(TableName=name, **request)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        created[logical_id] = name
    return created


def create_queues(sqs: Any, resolver: Resolver) -> dict[str, str]:
    """Dead-letter targets first, so redrive policies can point at them."""
    queues = resources("AWS::SQS::Queue")
    ordered = sorted(queues, key=lambda lid: "RedrivePolicy" in queues[lid].get("Properties", {}))
    urls = {}
    for logical_id in ordered:
        props = resolver.resolve(queues[logical_id].get("Properties", {}))
        attributes = {
            key: str(props[key])
            for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds")
            if key in props
        }
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        name = resolver.physical_name(logical_id)
        urls[logical_id] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return urls


def create_buckets(s3: Any, resolver: Resolver) -> dict[str, str]:
    """Every AWS::S3::Bucket, named as the template names it, versioned and private as declared."""
    names = {}
    for logical_id, resource in resources("AWS::S3::Bucket").items():
        props = resolver.resolve(resource.get("Properties", {}))
        name = str(props.get("BucketName") or resolver.physical_name(logical_id).lower())
        s3.create_bucket(Bucket=name)
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        names[logical_id] = name
    return names


def create_topics(sns: Any, resolver: Resolver) -> dict[str, str]:
    arns = {}
    for logical_id in resources("AWS::SNS::Topic"):
        arns[logical_id] = sns.create_topic(Name=resolver.physical_name(logical_id))["TopicArn"]
    return arns


def create_email_identities(ses: Any, resolver: Resolver) -> list[str]:
    """Verify every AWS::SES::EmailIdentity (an address or a whole domain); moto verifies at once."""
    identities = []
    for resource in resources("AWS::SES::EmailIdentity").values():
        identity = str(resolver.resolve(resource["Properties"]["EmailIdentity"]))
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
        identities.append(identity)
    return identities


def create_email_templates(ses: Any, resolver: Resolver) -> list[str]:
    """Every AWS::SES::Template, through the SES v1 API (moto does not implement SESv2 templates)."""
    names = []
    for logical_id, resource in resources("AWS::SES::Template").items():
        template = dict(resolver.resolve(resource["Properties"]["Template"]))
        template.setdefault("TemplateName", resolver.physical_name(logical_id))
        ses.create_template(Template=template)
        names.append(template["TemplateName"])
    return names
