"""The staff API through HTTP (Chalice test client on moto): auth, the full lifecycle, conflicts, lists, docs."""
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from chalicelib.domain.lifecycle import SYSTEM, Actor, Command
from chalicelib.domain.model import Channel, Sender
from tests.fakes import make_message
from tests.integration.conftest import drain_intake, post_json, provision_fake_aws, staff_headers

AGENT = staff_headers("agent", "agent-7")
MANAGER = staff_headers("manager", "mgr-1")
COMPLAINT = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "subject": "Parcel never arrived",
    "description": "My order 4411 was marked delivered on 3 Nov but nothing came.",
    "category": "delivery",
    "consent": True,
}


def body(response):
    return json.loads(response.body)


def submitted(client, aws, **changes) -> str:
    """A complaint submitted through the public form and processed by the intake worker."""
    response = post_json(client, "/complaints", {**COMPLAINT, **changes})
    assert response.status_code == 202, response.body
    drain_intake(client, aws["queue_url"])
    return body(response)["reference"]


def act(client, reference, segment, payload=None, headers=AGENT):
    return post_json(client, f"/staff/complaints/{reference}/{segment}", payload or {}, headers)


def outbox(aws) -> list[dict]:
    return [json.loads(line) for line in aws["outbox"].read_text().splitlines()]


# authentication and roles ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/staff/complaints", "/staff/complaints/CMP-20261122-7QF3K"])
def test_no_token_is_401_with_a_bearer_challenge(client, aws, path):
    response = client.http.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="staff"'
    assert body(response)["error"] == "unauthenticated"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-jwt", "Basic YWdlbnQ6c2VjcmV0", "Bearer " + staff_headers()["Authorization"][7:-2] + "xx"],
    ids=["garbage", "basic", "tampered"],
)
def test_bad_token_is_401(client, aws, authorization):
    response = client.http.get("/staff/complaints", headers={"Authorization": authorization})
    assert response.status_code == 401 and "WWW-Authenticate" in response.headers


def test_no_token_on_an_action_changes_nothing(client, aws):
    reference = submitted(client, aws)
    response = post_json(client, f"/staff/complaints/{reference}/acknowledge", {})
    assert response.status_code == 401
    from chalicelib.wiring import services

    assert services.repository.get(reference).status.value == "new"


def test_an_agent_cannot_assign_or_reopen_but_a_manager_can(client, aws):
    reference = submitted(client, aws)
    for segment, payload in (("assignment", {"assignee": "agent-9"}), ("reopen", {"message": "Not fixed"})):
        denied = act(client, reference, segment, payload)
        assert denied.status_code == 403, segment
        assert body(denied)["error"] == "forbidden" and "manager" in body(denied)["message"]

    for payload, field in (({"assignee": "nobody-xyz"}, "assignee"),
                           ({"assignee": "billing-agent-1", "team": "no-such-team"}, "team"),
                           ({"assignee": "billing-agent-1"}, "assignee")):  # not of the complaint's team
        refused = act(client, reference, "assignment", payload, MANAGER)
        assert refused.status_code == 400 and field in body(refused)["fields"], (payload, refused.body)
    assigned = act(client, reference, "assignment", {"assignee": "billing-agent-2", "team": "billing"}, MANAGER)
    assert assigned.status_code == 200
    assert body(assigned)["complaint"]["assignee"] == "billing-agent-2"
    event = body(assigned)["history"][-1]
    assert (event["type"], event["actor"], event["actor_role"]) == ("assign", "mgr-1", "manager")
    assert event["changes"] == {"assignee": {"old": "logistics-agent-1", "new": "billing-agent-2"},  # routing's
                                "team": {"old": "logistics", "new": "billing"}}


# the lifecycle --------------------------------------------------------------------------------------
def test_full_lifecycle_through_the_api(client, aws):
    reference = submitted(client, aws)
    steps = [
        ("acknowledge", {}, "acknowledged"),
        ("responses", {"message": "Sorry! We have asked the courier where it is."}, "in_progress"),
        ("waiting", {"message": "Could you send a photo of your front door?"}, "waiting_on_customer"),
        ("responses", {"message": "Thanks for the photo, the courier went to the wrong street."}, "in_progress"),
        ("resolution", {"resolution_code": "refunded", "root_cause": "process", "message": "Refunded in full."},
         "resolved"),
        ("close", {}, "closed"),
    ]
    for segment, payload, status in steps:
        response = act(client, reference, segment, payload)
        assert response.status_code == 200, (segment, response.body)
        assert body(response)["complaint"]["status"] == status, segment

    detail = body(client.http.get(f"/staff/complaints/{reference}", headers=AGENT))
    complaint, history = detail["complaint"], detail["history"]
    assert complaint["allowed_actions"] == ["note"]
    assert (complaint["resolution_code"], complaint["root_cause"]) == ("refunded", "process")
    assert complaint["first_response_at"] and complaint["closed_at"] and complaint["version"] == len(history)
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
    assert [(e["type"], e["actor"]) for e in history] == [
        ("received", "system"),
        ("acknowledge", "agent-7"), ("respond", "agent-7"), ("wait_on_customer", "agent-7"), ("respond", "agent-7"),
        ("resolve", "agent-7"), ("close", "agent-7"),
    ]  # a staff action's message is recorded in the action's own version
    by_type = {e["type"]: e for e in history}  # the last of each type
    statuses = [(e["changes"]["status"]["old"], e["changes"]["status"]["new"]) for e in history if "status" in e["changes"]]
    assert statuses == [
        ("new", "acknowledged"), ("acknowledged", "in_progress"), ("in_progress", "waiting_on_customer"),
        ("waiting_on_customer", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed"),
    ]
    assert by_type["resolve"]["changes"]["resolution_code"] == {"old": None, "new": "refunded"}
    assert by_type["resolve"]["message"] == "Refunded in full." and by_type["resolve"]["visibility"] == "public"
    assert all(e["actor_role"] == "agent" for e in history if e["actor"] == "agent-7")

    # Every message to the customer went out through the outbox, once, and is traced in the history.
    sent = outbox(aws)
    assert {m["reference"] for m in sent} == {reference} and {m["recipient"] for m in sent} == {"ada@example.com"}
    assert sent[0]["kind"] == "acknowledgement" and reference in sent[0]["text"]
    assert [(m["kind"], m["text"].split("\n\n--\n")[0]) for m in sent[1:]] == [
        ("respond", steps[1][1]["message"]), ("wait_on_customer", steps[2][1]["message"]),
        ("respond", steps[3][1]["message"]), ("resolve", steps[4][1]["message"]),
    ]
    assert all(f"/complaints/{reference}?token=" in m["text"] for m in sent)  # each mail links to the page
    notified = [(e["type"], e["data"]["delivery"]) for e in history if "delivery" in e["data"]]
    assert history[0]["data"]["acknowledgement"] is True  # issued with the stored complaint, sent right after
    assert [(kind, d["message_id"]) for kind, d in notified] == [(m["kind"], m["message_id"]) for m in sent[1:]]

    # The customer's status page shows the public events only (not the internal delivery records).
    public = body(client.http.get(f"/complaints/{reference}?token={_token(reference)}"))
    assert public["status"] == "closed"
    assert [e["type"] for e in public["history"]] == [
        "received", "acknowledge", "respond", "wait_on_customer", "respond", "resolve", "close",
    ]


def _token(reference):
    from chalicelib.domain.tokens import access_token
    from chalicelib.wiring import services

    return access_token(services.token_secret, reference)


def test_the_same_response_text_sent_twice_reaches_the_customer_twice(client, aws):
    reference = submitted(client, aws)
    for _ in range(2):
        assert act(client, reference, "responses", {"message": "We are still investigating."}).status_code == 200
    assert [m["kind"] for m in outbox(aws)] == ["acknowledgement", "respond", "respond"]


def test_an_illegal_transition_is_409_with_the_reason(client, aws):
    reference = submitted(client, aws)
    response = act(client, reference, "close")
    assert response.status_code == 409
    error = body(response)
    assert error["error"] == "illegal_transition"
    assert error["message"].startswith("cannot close a complaint that is new; allowed actions: acknowledge, respond")
    assert len(body(client.http.get(f"/staff/complaints/{reference}", headers=AGENT))["history"]) == 1


def test_a_stale_expected_version_is_409(client, aws):
    reference = submitted(client, aws)  # version 1: received, with the acknowledgement
    stale = act(client, reference, "acknowledge", {"expected_version": 2})
    assert stale.status_code == 409
    assert body(stale)["error"] == "conflict" and "version 1, not 2" in body(stale)["message"]

    current = act(client, reference, "acknowledge", {"expected_version": 1})
    assert current.status_code == 200 and body(current)["complaint"]["version"] == 2
    again = act(client, reference, "notes", {"message": "late", "expected_version": 1})
    assert again.status_code == 409


@pytest.mark.parametrize(
    "segment, payload, field",
    [
        ("category", {"category": "delivery"}, "category"),  # unchanged
        ("priority", {"priority": "P9"}, "priority"),
        ("resolution", {"resolution_code": "magic", "root_cause": "process"}, "resolution_code"),
        ("responses", {"message": ""}, "message"),
        ("notes", {"message": "hi", "surprise": True}, "surprise"),
    ],
)
def test_bad_action_input_is_400_with_the_field(client, aws, segment, payload, field):
    reference = submitted(client, aws)
    response = act(client, reference, segment, payload)
    assert response.status_code == 400
    assert field in body(response)["fields"]


def test_change_category_records_a_labelled_example(client, aws):
    reference = submitted(client, aws)
    response = act(client, reference, "category", {"category": "billing", "message": "It is about a refund"})
    assert response.status_code == 200
    assert body(response)["complaint"]["category"] == "billing"
    event = body(response)["history"][-1]
    assert event["type"] == "change_category" and event["visibility"] == "internal"
    assert event["changes"] == {"category": {"old": "delivery", "new": "billing"},  # and routed again:
                                "team": {"old": "logistics", "new": "billing"},
                                "assignee": {"old": "logistics-agent-1", "new": "billing-agent-1"}}
    assert "skill 'billing'" in event["data"].pop("assignment")["reason"]
    assert event["data"] == {
        "labelled_example": True,
        "example_for": "category",
        "text": f"{COMPLAINT['subject']}\n{COMPLAINT['description']}",
        "predicted": {"category": "delivery", "priority": "P3", "triage_priority": "P3", "priority_rule": "baseline",
                      "priority_raised": 0},
    }
    assert event["message"] == "It is about a refund"


def test_staff_mark_spam_then_release_it_through_the_api(client, aws):
    reference = submitted(client, aws)
    marked = act(client, reference, "spam", {"message": "Sells watches."})
    assert marked.status_code == 200, marked.body
    complaint, event = body(marked)["complaint"], body(marked)["history"][-1]
    assert (complaint["status"], complaint["screening"]["outcome"], complaint["next_due_at"]) == ("spam", "spam", None)
    assert (event["type"], event["data"]["example_for"]) == ("mark_spam", "screening_outcome")
    assert body(act(client, reference, "invalid"))["error"] == "illegal_transition"  # no longer open
    released = act(client, reference, "release")
    assert body(released)["complaint"]["status"] == "new"


def test_unknown_reference_is_404_for_staff(client, aws):
    for response in (
        client.http.get("/staff/complaints/CMP-20200101-ABCDE", headers=AGENT),
        act(client, "CMP-20200101-ABCDE", "acknowledge"),
    ):
        assert response.status_code == 404
        assert body(response)["error"] == "not_found"


# the API description ----------------------------------------------------------------------------------
def test_openapi_lists_every_route_with_responses(client, aws):
    import app as application

    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    spec = body(response)
    assert spec["openapi"].startswith("3.")

    registered = {(path, method.lower()) for path, methods in application.app.routes.items() for method in methods
                  if not path.startswith("/console")}  # the console's pages are for browsers, not programs
    documented = {(path, method) for path, operations in spec["paths"].items() for method in operations}
    assert registered == documented
    assert len(registered) >= 15
    for path, method in registered:
        operation = spec["paths"][path][method]
        assert operation["responses"], (path, method)
        assert all(code.isdigit() for code in operation["responses"])
        if path.startswith("/staff"):
            assert {"401", "403"} <= set(operation["responses"]) and operation["security"]
        if method == "post" and path.startswith("/staff/complaints/{reference}/"):
            assert "409" in operation["responses"] and operation["requestBody"]["required"]
    referenced = {ref.rsplit("/", 1)[-1] for ref in _refs(spec["paths"])}
    assert referenced <= set(spec["components"]["schemas"])


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


# lists ------------------------------------------------------------------------------------------------
# a reply that did not reach the customer ------------------------------------------------------------
def test_a_reply_to_a_number_that_sent_stop_is_not_a_response(client, aws):
    from chalicelib.domain.ports import SmsConsentChange
    from chalicelib.wiring import services

    reference = submitted(client, aws, email=None, phone="+447911123456")
    services.sms_consents.record(SmsConsentChange("+447911123456", "STOP", "stop", "opted_out",
                                                  datetime.now(timezone.utc), "sms-stop-1", "aws"))
    for _ in range(2):  # the agent tries again: still refused, and still no response recorded
        response = act(client, reference, "responses", {"message": "We have found your parcel."})
        assert response.status_code == 422, response.body
        assert body(response)["error"] == "not_delivered" and "no phone that accepts SMS" in body(response)["message"]

    history = body(client.http.get(f"/staff/complaints/{reference}", headers=AGENT))["history"]
    assert "respond" not in [e["type"] for e in history]
    failed = [e for e in history if e["type"] == "delivery_failed"]
    assert len(failed) == 2 and failed[0]["data"]["unsent_text"] == "We have found your parcel."
    sla = body(client.http.get(f"/complaints/{reference}/sla", headers=AGENT))
    first = next(c for c in sla["clocks"] if c["name"] == "first_response")
    assert first["state"] != "met" and first["stopped_at"] is None


def test_a_reply_whose_subject_hides_a_header_is_sent_as_one_subject(client, aws):
    reference = submitted(client, aws, subject="Refund =?utf-8?b?DQpCY2M6IGVAZXZpbA==?= please\r\nCc: x@evil")
    response = act(client, reference, "responses", {"message": "Your refund is on its way."})
    assert response.status_code == 200, response.body
    import email
    from email import policy

    (reply,) = [m for m in outbox(aws) if m["kind"] == "respond"]
    mail = email.message_from_string(reply["raw"], policy=policy.default)
    assert "Bcc" not in mail and "Cc" not in mail and len(mail.get_all("Subject")) == 1
    assert [e["type"] for e in body(response)["history"]].count("respond") == 1


# Listing only reads, so the list tests share one fake AWS and one data set (module scope). They stay last in
# this file: moto's mock_aws does not nest, and the function-scoped `aws` fixture must not run inside this one.
@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    from chalice.test import Client

    import app as application

    with provision_fake_aws(tmp_path_factory.mktemp("lists")) as resources, Client(application.app) as client:
        yield client, *seed_complaints()


def seed_complaints():
    """Seven complaints over four months, stored through the intake pipeline with their real received dates."""
    from chalicelib.wiring import services

    now = datetime.now(timezone.utc).replace(microsecond=0)
    specs = {
        # name: (days ago, channel, category, text)
        "fresh": (0.01, Channel.WEB, "delivery", None),
        "billing": (2, Channel.EMAIL, "billing", None),
        "general": (3, Channel.EMAIL, None, None),
        "sms": (40, Channel.SMS, "delivery", None),
        "tech": (70, Channel.WEB, "technical", None),
        "tech2": (71, Channel.WEB, "technical", None),
        "link": (100, Channel.WEB, "delivery", "https://spam.example/x"),
    }
    refs, created = {}, {}
    for name, (days, channel, category, text) in specs.items():
        created[name] = now - timedelta(days=days)
        message = make_message(
            text or f"Complaint {name}: nothing works as promised.", subject="" if text else f"About {name}",
            channel=channel, requested_category=category, received_at=created[name],
            # one customer each: repeat complaints would raise the priority
            sender=Sender(phone="+442079460958") if channel == Channel.SMS else Sender("Ada", f"{name}@example.com"),
        )
        refs[name] = services.pipeline.process(message).reference
    service = services.complaint_service
    service.perform(refs["billing"], Command("change_priority", priority="P1"), Actor("agent-7", "agent"))
    service.perform(refs["billing"], Command("acknowledge"), Actor("agent-7", "agent"))
    service.perform(refs["tech"], Command("respond", message="On it"), SYSTEM)
    return refs, created


def listing(client, **params):
    response = client.http.get("/staff/complaints?" + urlencode(params), headers=AGENT)
    assert response.status_code == 200, response.body
    return body(response)


def names(page, refs):
    by_ref = {ref: name for name, ref in refs.items()}
    return [by_ref[item["reference"]] for item in page["items"]]


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_list_is_newest_first(lists):
    client, refs, _ = lists
    page = listing(client)
    assert names(page, refs) == ["fresh", "billing", "general", "sms", "tech", "tech2", "link"]
    assert page["next_cursor"] is None
    first = page["items"][0]
    assert first["customer"]["email"] == "fresh@example.com" and "new" == first["status"]
    assert first["allowed_actions"][0] == "acknowledge"


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "new"}, ["fresh", "general", "sms", "tech2"]),
        ({"status": "acknowledged"}, ["billing"]),
        ({"status": "in_progress"}, ["tech"]),
        ({"status": "invalid"}, ["link"]),
        ({"priority": "P1"}, ["billing"]),
        ({"priority": "P3"}, ["fresh", "general", "sms", "tech", "tech2", "link"]),
        ({"channel": "sms"}, ["sms"]),
        ({"channel": "email"}, ["billing", "general"]),
        ({"team": "logistics"}, ["fresh", "sms"]),  # the invalid one was never routed
        ({"team": "technical-support"}, ["tech", "tech2"]),
        ({"category": "delivery"}, ["fresh", "sms", "link"]),
        ({"category": "delivery", "channel": "web"}, ["fresh", "link"]),
        ({"status": "new", "team": "logistics"}, ["fresh", "sms"]),
        ({"status": "new", "category": "technical"}, ["tech2"]),
        ({"breached": "true", "channel": "sms"}, ["sms"]),  # untouched for 40 days
        ({"breached": "false", "channel": "web"}, ["fresh", "link"]),
        ({"team": "nobody"}, []),
    ],
)
def test_list_filters(lists, params, expected):
    client, refs, _ = lists
    assert names(listing(client, **params), refs) == expected


def test_list_by_creation_date_range(lists):
    client, refs, created = lists
    window = {"created_from": iso(created["tech2"]), "created_to": iso(created["general"])}
    assert names(listing(client, **window), refs) == ["general", "sms", "tech", "tech2"]  # bounds included
    assert names(listing(client, created_from=iso(created["billing"])), refs) == ["fresh", "billing"]
    assert names(listing(client, created_to=iso(created["tech"])), refs) == ["tech", "tech2", "link"]
    assert names(listing(client, category="technical", created_to=iso(created["tech"] - timedelta(hours=1))), refs) == [
        "tech2"
    ]
    assert names(listing(client, status="new", **window), refs) == ["general", "sms", "tech2"]


@pytest.mark.parametrize(
    "params",
    [{}, {"status": "new"}, {"category": "delivery"}, {"channel": "web"},
     {"created_from": "placeholder", "created_to": "placeholder"}],
    ids=["all", "status", "category", "channel-filter", "date-range"],
)
def test_pagination_walks_every_page_without_repeats_or_gaps(lists, params):
    client, refs, created = lists
    if "created_from" in params:
        params = {"created_from": iso(created["link"]), "created_to": iso(created["fresh"])}
    expected = [item["reference"] for item in listing(client, **params, limit=100)["items"]]
    assert len(expected) >= 2

    seen, cursor, pages = [], None, 0
    while True:
        page = listing(client, **params, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        seen += [item["reference"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert pages < 20, "pagination does not end"
    assert seen == expected
    assert pages >= (len(expected) + 1) // 2


@pytest.mark.parametrize(
    "params, field",
    [({"cursor": "definitely not a cursor"}, "cursor"), ({"status": "open"}, "status"), ({"limit": "0"}, "limit"),
     ({"created_from": "2026-11-01T00:00:00"}, "created_from"), ({"sort": "asc"}, "sort")],
)
def test_bad_list_parameters_are_400(lists, params, field):
    client = lists[0]
    response = client.http.get("/staff/complaints?" + urlencode(params), headers=AGENT)
    assert response.status_code == 400
    error = body(response)
    assert any(field in name or field in message for name, message in error["fields"].items()), error


def test_a_tampered_cursor_is_400_not_500(lists):
    import base64

    client = lists[0]
    month = datetime.now(timezone.utc).strftime("%Y-%m")
    tampered = base64.urlsafe_b64encode(json.dumps({"p": month, "k": {"reference": "x"}}).encode()).decode()
    response = client.http.get("/staff/complaints?" + urlencode({"cursor": tampered}), headers=AGENT)
    assert response.status_code == 400

