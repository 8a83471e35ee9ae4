"""The app against real AWS event payloads (../shared/data/events): only routes and bodies are ours."""
import copy
import json
from types import SimpleNamespace

import boto3
import pytest

from tests.conftest import SHARED_DATA
from tests.integration.test_web_intake import GOOD

EVENTS = SHARED_DATA / "events" / "powertools"
pytestmark = pytest.mark.skipif(not EVENTS.is_dir(), reason="../shared/data/events is not on this machine")

CONTEXT = SimpleNamespace(
    function_name="complaints-prod", memory_limit_in_mb=512, aws_request_id="req-1",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:complaints-prod",
    get_remaining_time_in_millis=lambda: 30_000,
)


def real_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def api_gateway_post(path: str, body: dict) -> dict:
    event = copy.deepcopy(real_event("apiGatewayProxyEvent.json"))
    event.update(resource=path, path=path, httpMethod="POST", body=json.dumps(body), isBase64Encoded=False,
                 queryStringParameters=None, multiValueQueryStringParameters=None, pathParameters=None)
    event["headers"] = {**event["headers"], "Content-Type": "application/json"}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    event["requestContext"].update(resourcePath=path, httpMethod="POST", path=f"/prod{path}")
    return event


def test_a_real_api_gateway_proxy_event_submits_a_complaint(aws, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    from chalicelib.config import settings

    settings.cache_clear()
    import app as application

    response = application.app(api_gateway_post("/complaints", GOOD), CONTEXT)

    assert response["statusCode"] == 202, response
    accepted = json.loads(response["body"])
    context = real_event("apiGatewayProxyEvent.json")["requestContext"]
    # The status URL is built from the gateway's own domain and stage.
    assert accepted["status_url"].startswith(f"https://{context['domainName']}/{context['stage']}/complaints/")
    queued = boto3.client("sqs").receive_message(QueueUrl=aws["queue_url"])["Messages"]
    assert json.loads(queued[0]["Body"])["reference"] == accepted["reference"]


def test_a_real_sqs_event_is_processed_with_per_record_failures(aws):
    import app as application

    application.app(api_gateway_post("/complaints", GOOD), CONTEXT)
    body = boto3.client("sqs").receive_message(QueueUrl=aws["queue_url"])["Messages"][0]["Body"]
    event = copy.deepcopy(real_event("sqsEvent.json"))
    good, poison = event["Records"][0], copy.deepcopy(event["Records"][0])
    good["body"] = body
    poison.update(messageId="poison-1", body="Test message.")  # the sample's own body is no intake message
    event["Records"] = [good, poison]

    result = application.intake_worker(event, CONTEXT)

    assert result == {"batchItemFailures": [{"itemIdentifier": "poison-1"}]}
    from chalicelib.wiring import services

    reference = json.loads(body)["reference"]
    assert [e.type for e in services.repository.history(reference)] == ["received"]
