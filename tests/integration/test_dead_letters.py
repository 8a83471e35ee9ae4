"""Dead letters (moto): staff see how many messages each dead-letter queue holds and a masked look at them, peeking
never consumes them, and redrive moves them back to be processed."""
from __future__ import annotations

import json

import boto3
import pytest

from chalicelib.adapters.dead_letters import redrive
from chalicelib.adapters.intake_codec import encode
from tests.fakes import make_message
from tests.integration.conftest import staff_headers


@pytest.fixture
def dead_letters(aws, monkeypatch):
    from chalicelib.config import settings

    sqs = boto3.client("sqs")
    urls = {name: sqs.create_queue(QueueName=f"test-{name}-dlq")["QueueUrl"] for name in ("intake", "inbound")}
    monkeypatch.setenv("DEAD_LETTER_QUEUES", ",".join(f"{name}={url}" for name, url in urls.items()))
    settings.cache_clear()
    yield sqs, urls
    settings.cache_clear()


def test_staff_see_each_dead_letter_queue_with_masked_messages_and_redrive_empties_it(client, aws, dead_letters):
    sqs, urls = dead_letters
    message = make_message("Call me on +44 7911 123456 about my refund", reference="CMP-20261122-7QF3K")
    sqs.send_message(QueueUrl=urls["intake"], MessageBody=encode(message))
    sqs.send_message(QueueUrl=urls["inbound"], MessageBody=json.dumps({
        "requestPayload": {"Records": [{"Sns": {"Message": "{}"}}]},
        "responsePayload": {"errorType": "RuntimeError", "errorMessage": "mail from ada@example.com broke it"}}))

    assert client.http.get("/staff/dead-letters", headers=staff_headers("agent")).status_code == 403
    for _ in range(2):  # peeking twice shows the same: nothing is consumed
        answer = client.http.get("/staff/dead-letters", headers=staff_headers("manager"))
        assert answer.status_code == 200, answer.body
        data = json.loads(answer.body)
        assert data["total"] == 2
    queues = {q["queue"]: q for q in data["queues"]}
    (intake,) = queues["intake"]["messages"]
    assert intake["reference"] == "CMP-20261122-7QF3K" and intake["channel"] == "web"
    assert "ada@example.com" not in answer.body.decode() and "7911 123456" not in answer.body.decode()
    assert queues["inbound"]["messages"][0]["error"].startswith("RuntimeError: mail from ***@***")

    assert redrive(sqs, urls["intake"], aws["queue_url"]) == 1
    assert json.loads(client.http.get("/staff/dead-letters", headers=staff_headers("manager")).body)["total"] == 1
    (back,) = sqs.receive_message(QueueUrl=aws["queue_url"]).get("Messages", [])
    assert json.loads(back["Body"])["reference"] == "CMP-20261122-7QF3K"
