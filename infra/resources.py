"""The one definition of every AWS resource outside Chalice's own functions and API.

Both the deploy template (infra.build_template) and the local stack (infra.local_stack) are made from
`resources()`; `function_environment()` says which resource each environment variable points to.
Table key schemas come from the PynamoDB models, so code and infrastructure cannot drift apart.
"""
from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.adapters.dynamo_tables import ComplaintModel, EventModel, MessageIndexModel

APP = "complaints"
INTAKE_QUEUE_NAME = "complaints-intake"  # Chalice's on_sqs_message(queue=...) uses this name
WORKER_TIMEOUT_SECONDS = 60
MAX_RECEIVE_COUNT = 5
STAFF_ROLES = ("agent", "manager", "admin")

# Chalice logical ids of the functions this project deploys.
API_FUNCTION = "APIHandler"
INTAKE_WORKER_FUNCTION = "IntakeWorker"

Resource = dict[str, Any]


def _name(suffix: str) -> dict[str, str]:
    return {"Fn::Sub": f"${{AWS::StackName}}-{suffix}"}


def _arn(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def table_from_model(model: type[Model], suffix: str, stream: bool = False) -> Resource:
    """An AWS::DynamoDB::Table whose keys and GSIs are read from a PynamoDB model."""
    schema = model._get_schema()
    properties: dict[str, Any] = {
        "TableName": _name(suffix),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": a["attribute_name"], "AttributeType": a["attribute_type"]}
            for a in schema["attribute_definitions"]
        ],
        "KeySchema": [{"AttributeName": k["attribute_name"], "KeyType": k["key_type"]} for k in schema["key_schema"]],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in index["key_schema"]],
            "Projection": {"ProjectionType": index["projection"]["ProjectionType"]},
        }
        for index in schema.get("global_secondary_indexes", [])
    ]
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    if stream:
        properties["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def _queue_with_dlq(logical_id: str, name: str, visibility_timeout: int) -> dict[str, Resource]:
    dlq = f"{logical_id}DeadLetterQueue"
    return {
        dlq: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": _name(f"{name}-dlq"),
                "MessageRetentionPeriod": 14 * 24 * 3600,
                "SqsManagedSseEnabled": True,
            },
        },
        logical_id: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": _name(name),
                "VisibilityTimeout": visibility_timeout,
                "MessageRetentionPeriod": 4 * 24 * 3600,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {"deadLetterTargetArn": _arn(dlq), "maxReceiveCount": MAX_RECEIVE_COUNT},
            },
        },
    }


def resources() -> dict[str, Resource]:
    """Every resource the app needs besides Chalice's functions, API and event source mappings."""
    items: dict[str, Resource] = {
        "ComplaintsTable": table_from_model(ComplaintModel, "complaints", stream=True),
        "EventsTable": table_from_model(EventModel, "complaint-events", stream=True),
        "MessageIndexTable": table_from_model(MessageIndexModel, "message-index"),
        "IdempotencyTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": _name("idempotency"),
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
        },
        **_queue_with_dlq("IntakeQueue", "intake", visibility_timeout=6 * WORKER_TIMEOUT_SECONDS),
        "AlertsTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": _name("manager-alerts"),
                "DisplayName": "Complaint alerts",
                "KmsMasterKeyId": "alias/aws/sns",
            },
        },
        "OpsAlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": _name("ops-alarms"), "KmsMasterKeyId": "alias/aws/sns"},
        },
        "TokenSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": _name("customer-token-key"),
                "Description": "HMAC key for customer access tokens",
                "GenerateSecretString": {"PasswordLength": 48, "ExcludePunctuation": True},
            },
        },
        "StaffUserPool": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {
                "UserPoolName": _name("staff"),
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "UsernameAttributes": ["email"],
                "AutoVerifiedAttributes": ["email"],
                "MfaConfiguration": "OPTIONAL",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {
                    "PasswordPolicy": {
                        "MinimumLength": 12,
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": False,
                    }
                },
            },
        },
        "StaffUserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": "StaffUserPool"},
                "ClientName": "staff-console",
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
            },
        },
    }
    for role in STAFF_ROLES:
        items[f"StaffGroup{role.title()}"] = {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {"GroupName": role, "UserPoolId": {"Ref": "StaffUserPool"}},
        }
    return items


def function_environment() -> dict[str, Any]:
    """Environment variables every Chalice function gets, as CloudFormation values."""
    return {
        "COMPLAINTS_TABLE": {"Ref": "ComplaintsTable"},
        "EVENTS_TABLE": {"Ref": "EventsTable"},
        "MESSAGES_TABLE": {"Ref": "MessageIndexTable"},
        "IDEMPOTENCY_TABLE": {"Ref": "IdempotencyTable"},
        "INTAKE_QUEUE_URL": {"Ref": "IntakeQueue"},
        "ALERTS_TOPIC_ARN": {"Ref": "AlertsTopic"},
        "TOKEN_SECRET_NAME": {"Ref": "TokenSecret"},
    }
