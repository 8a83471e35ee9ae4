"""Web intake end to end inside one process: POST -> SQS -> worker -> DynamoDB -> status page."""
import json
from urllib.parse import urlencode

import pytest

from tests.integration.conftest import drain_intake, post_json, staff_headers

GOOD = {
    "name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "subject": "Parcel never arrived",
    "description": "My order 4411 was marked delivered on 3 Nov but nothing came.",
    "category": "delivery",
    "consent": True,
}


def submit(client, body=None):
    response = post_json(client, "/complaints", body or GOOD)
    assert response.status_code == 202, response.body
    return json.loads(response.body)


def test_json_submission_is_stored_once_and_acknowledged(client, aws):
    accepted = submit(client)
    assert accepted["reference"].startswith("CMP-")
    assert accepted["status"] == "received"
    drain_intake(client, aws["queue_url"])

    status = client.http.get(f"/complaints/{accepted['reference']}?token={accepted['access_token']}")
    assert status.status_code == 200
    body = json.loads(status.body)
    assert body["status"] == "new"
    assert [(e["type"], e["message"]) for e in body["history"]] == [
        ("received", "We received your complaint and sent you an acknowledgement.")]
    outbox = [json.loads(line) for line in aws["outbox"].read_text().splitlines()]
    assert [(m["reference"], m["kind"], m["recipient"]) for m in outbox] == [
        (accepted["reference"], "acknowledgement", "ada@example.com")
    ]


@pytest.mark.parametrize("subject, description, reason", [
    ("", "", "The message is empty."),
    ("asdf", "asdfgh qwerty", "The message does not contain readable words."),
    ("test", "test", "The message looks like a test, not a complaint."),
])
def test_empty_or_garbage_complaints_are_stored_as_invalid_with_the_reason_and_a_polite_reply(
        client, aws, subject, description, reason):
    accepted = submit(client, {**GOOD, "subject": subject, "description": description})
    drain_intake(client, aws["queue_url"])
    status = json.loads(client.http.get(f"/complaints/{accepted['reference']}?token={accepted['access_token']}").body)
    assert status["status"] == "invalid"
    stored = json.loads(client.http.get(f"/staff/complaints/{accepted['reference']}", headers=staff_headers()).body)
    assert stored["complaint"]["screening"]["reason"] == reason
    outbox = [json.loads(line) for line in aws["outbox"].read_text().splitlines()]
    assert [(m["reference"], m["recipient"]) for m in outbox] == [(accepted["reference"], "ada@example.com")]


def browser_post(client, form: dict):
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    return client.http.post("/complaints", headers=headers, body=urlencode(form))


def test_form_submission_from_a_browser_gets_a_page(client, aws):
    response = browser_post(client, {**GOOD, "consent": "on", "email": "", "phone": "+44 20 7946 0958"})
    assert response.status_code == 202
    assert "CMP-" in response.body.decode()


def test_redelivered_message_creates_nothing_new(client, aws):
    import boto3

    accepted = submit(client)
    sqs = boto3.client("sqs")
    body = sqs.receive_message(QueueUrl=aws["queue_url"])["Messages"][0]["Body"]
    for _ in range(3):
        event = client.events.generate_sqs_event(message_bodies=[body], queue_name="test-intake")
        assert client.lambda_.invoke("intake_worker", event).payload == {"batchItemFailures": []}
    from chalicelib.wiring import services

    history = services.repository.history(accepted["reference"])
    assert [e.type for e in history] == ["received"]
    assert len(aws["outbox"].read_text().splitlines()) == 1


def test_poison_messages_are_reported_as_batch_item_failures(client, aws):
    import boto3
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    submit(client)
    good = boto3.client("sqs").receive_message(QueueUrl=aws["queue_url"])["Messages"][0]["Body"]
    event = client.events.generate_sqs_event(message_bodies=["not json", good, json.dumps({"x": 1})], queue_name="q")
    payload = client.lambda_.invoke("intake_worker", event).payload
    poison_ids = {event["Records"][0]["messageId"], event["Records"][2]["messageId"]}
    assert {f["itemIdentifier"] for f in payload["batchItemFailures"]} == poison_ids

    # When every record fails, the whole batch is retried.
    all_bad = client.events.generate_sqs_event(message_bodies=["not json"], queue_name="q")
    with pytest.raises(BatchProcessingError):
        client.lambda_.invoke("intake_worker", all_bad)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": None, "phone": "12"}, "phone"),
        ({"email": None}, "body"),
        ({"description": ["not", "text"]}, "description"),  # an empty one is screened instead (below)
        ({"consent": False}, "consent"),
        ({"category": "weather"}, "category"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_input_gets_field_errors_and_stores_nothing(client, aws, change, field):
    import boto3

    body = {**GOOD, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = post_json(client, "/complaints", body)
    assert response.status_code == 400
    error = json.loads(response.body)
    assert error["error"] == "validation_failed"
    assert any(name.startswith(field) or name == field for name in error["fields"]), error
    assert "Messages" not in boto3.client("sqs").receive_message(QueueUrl=aws["queue_url"])


def test_malformed_and_oversized_bodies_are_rejected(client, aws):
    bad = client.http.post("/complaints", headers={"Content-Type": "application/json"}, body="{not json")
    assert bad.status_code == 400 and "malformed JSON" in json.loads(bad.body)["fields"]["body"]
    huge = client.http.post("/complaints", headers={"Content-Type": "application/json"}, body="x" * 40_000)
    assert huge.status_code == 400 and "limit" in json.loads(huge.body)["fields"]["body"]


def test_wrong_token_and_unknown_reference_look_the_same(client, aws):
    accepted = submit(client)
    drain_intake(client, aws["queue_url"])
    wrong = client.http.get(f"/complaints/{accepted['reference']}?token=deadbeef")
    unknown = client.http.get("/complaints/CMP-20200101-ABCDE?token=deadbeef")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.body == unknown.body


def test_unicode_is_stored_and_returned_intact_and_escaped_in_html(client, aws):
    text = "快递三天没到，客服电话打不通。<script>alert(1)</script>"
    accepted = submit(client, {**GOOD, "subject": "包裹丢失 <b>", "description": text, "language": "zh"})
    drain_intake(client, aws["queue_url"])
    from chalicelib.wiring import services

    stored = services.repository.get(accepted["reference"])
    assert stored.description == text and stored.subject == "包裹丢失 <b>"
    page = client.http.get(
        f"/complaints/{accepted['reference']}?token={accepted['access_token']}", headers={"Accept": "text/html"}
    ).body.decode()
    assert "包裹丢失 &lt;b&gt;" in page and "<b>" not in page.split("<main")[1]


def test_a_browser_form_with_errors_comes_back_with_the_values_and_messages(client, aws):
    response = browser_post(client, {**GOOD, "email": "not-an-email", "subject": "Kaputt <b>", "consent": "on"})
    page = response.body.decode()
    assert response.status_code == 400
    assert 'role="alert"' in page and 'id="email-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Kaputt &lt;b&gt;"' in page and "My order 4411" in page  # kept, and escaped


def test_the_form_offers_the_categories_in_force_and_refuses_the_others(client, aws):
    from chalicelib.wiring import services

    live = services.live_config
    current = live.version()
    text = current.text + ('\n[categories.fraud]\nlabel = "Fraud"\nlabel_zh = "欺诈"\n'
                           '\n[categories.internal]\nlabel = "Internal"\non_form = false\n')
    live.save(text, "admin", current.version, "two new categories")
    form = client.http.get("/", headers={"Accept-Language": "zh-CN"}).body.decode()
    assert '<option value="fraud"' in form and "欺诈" in form and 'value="internal"' not in form
    accepted = submit(client, {**GOOD, "category": "fraud", "description": "Someone used my card for order 88."})
    drain_intake(client, aws["queue_url"])
    stored = json.loads(client.http.get(f"/staff/complaints/{accepted['reference']}", headers=staff_headers()).body)
    assert stored["complaint"]["category"] == "fraud"  # no confident model here: the customer's choice stands
    refused = post_json(client, "/complaints", {**GOOD, "category": "internal"})
    assert refused.status_code == 400 and "category" in json.loads(refused.body)["fields"]
