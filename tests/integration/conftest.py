"""Integration fixtures: moto's mock_aws with the real tables and queue, and Chalice's test client."""
import contextlib
import json
import os

import boto3
import pytest
from moto import mock_aws

from infra import moto_patches

from chalicelib.web.auth import mint_local_token


@contextlib.contextmanager
def provision_fake_aws(tmp_path):
    """moto's mock_aws with the app's tables and intake queue; settings and services rebuilt around it."""
    from chalicelib.adapters.dynamo_tables import TABLE_MODELS
    from chalicelib.config import settings
    from chalicelib.wiring import services

    moto_patches.apply()  # the local stack's moto: conditions checked before writing, no whole-table backups
    saved = {key: os.environ.get(key) for key in ("OUTBOX_DIR", "INTAKE_QUEUE_URL", "MAIL_BUCKET", "ALERTS_TOPIC_ARN",
                                                  "MODEL_DIR", "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID")}
    os.environ["MODEL_DIR"] = ""  # the customer's category decides here: the model has tests of its own
    os.environ["OUTBOX_DIR"] = str(tmp_path / "outbox")
    with mock_aws():
        for model in TABLE_MODELS:
            model.create_table(wait=True)
        boto3.client("dynamodb").create_table(
            TableName="test-idempotency", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        queue_url = boto3.client("sqs").create_queue(QueueName="test-intake")["QueueUrl"]
        os.environ["INTAKE_QUEUE_URL"] = queue_url
        boto3.client("s3").create_bucket(Bucket="test-mail")
        os.environ["MAIL_BUCKET"] = "test-mail"
        # Manager alerts: a queue subscribed to the topic shows what was published.
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        alerts_arn = sns.create_topic(Name="test-alerts")["TopicArn"]
        alerts_url = sqs.create_queue(QueueName="test-alerts-seen")["QueueUrl"]
        alerts_queue_arn = sqs.get_queue_attributes(QueueUrl=alerts_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=alerts_arn, Protocol="sqs", Endpoint=alerts_queue_arn)
        os.environ["ALERTS_TOPIC_ARN"] = alerts_arn
        os.environ["COGNITO_USER_POOL_ID"], os.environ["COGNITO_CLIENT_ID"] = staff_user_pool()
        settings.cache_clear()
        services.reset()
        try:
            yield {"queue_url": queue_url, "outbox": tmp_path / "outbox" / "customer-messages.jsonl",
                   "bucket": "test-mail", "alerts_queue_url": alerts_url}
        finally:
            services.reset()
            settings.cache_clear()
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def staff_user_pool() -> tuple[str, str]:
    """The staff pool, its console client and the role groups, as infra.resources defines them."""
    from infra.resources import resources

    definitions = resources()
    cognito = boto3.client("cognito-idp")
    pool_props = definitions["StaffUserPool"]["Properties"]
    keys = ("Policies", "AliasAttributes", "AutoVerifiedAttributes", "MfaConfiguration", "AdminCreateUserConfig",
            "UsernameConfiguration")
    pool = cognito.create_user_pool(PoolName="test-staff", **{k: pool_props[k] for k in keys if k in pool_props})
    pool_id = pool["UserPool"]["Id"]
    client_props = definitions["StaffUserPoolClient"]["Properties"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="test-console", ExplicitAuthFlows=client_props["ExplicitAuthFlows"],
    )["UserPoolClient"]["ClientId"]
    for role in ("agent", "manager", "admin"):
        cognito.create_group(GroupName=role, UserPoolId=pool_id)
    return pool_id, client_id


@contextlib.contextmanager
def served_locally(tmp_path):
    """The app on moto behind infra.local_api (what `make run` serves) on a free port; yields its base URL."""
    import threading

    from infra.local_api import create_server

    with provision_fake_aws(tmp_path):
        import app as application

        server = create_server(application.app, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server.server_port}"
        finally:
            server.shutdown()


@pytest.fixture
def aws(tmp_path):
    with provision_fake_aws(tmp_path) as resources:
        yield resources


@pytest.fixture
def client(aws):
    from chalice.test import Client

    import app as application

    with Client(application.app) as test_client:
        yield test_client


def staff_headers(role: str = "agent", subject: str = "agent-1") -> dict:
    token = mint_local_token("test-jwt-signing-key-0123456789abcdef", subject, role)
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def drain_intake(client, queue_url: str) -> list[dict]:
    """Deliver what is on the intake queue to the worker, as Lambda would; returns the batch responses."""
    sqs = boto3.client("sqs")
    responses = []
    while True:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            return responses
        event = client.events.generate_sqs_event(message_bodies=[m["Body"] for m in received], queue_name="test-intake")
        response = client.lambda_.invoke("intake_worker", event)
        responses.append(response.payload)
        for message in received:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def post_json(client, path: str, body: dict, headers: dict | None = None):
    return client.http.post(path, headers={"Content-Type": "application/json", **(headers or {})}, body=json.dumps(body))


def published_alerts(aws) -> list[dict]:
    """The SNS envelopes published to the alerts topic since the last call (the fixture's subscribed queue)."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=aws["alerts_queue_url"], MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=aws["alerts_queue_url"], ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]
