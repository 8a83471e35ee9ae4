"""KPI rollups from the complaints table's stream through the app's handler on moto: counts match the work done,
a replayed batch counts nothing, and the number of writes per event is constant."""
from chalicelib.domain.lifecycle import Actor, Command
from chalicelib.domain.model import Sender
from chalicelib.quality.rollups import MAX_INCREMENTS
from tests.fakes import make_message

AGENT = Actor("agent-1", "agent")


class StreamRecorder:
    """What the complaints table's stream would carry: one MODIFY/INSERT record per stored version (moto cannot
    serve DynamoDB streams to this botocore, so the records are built from the stored items)."""

    def __init__(self):
        self.records, self.previous = [], {}

    def __call__(self, complaint):
        from chalicelib.adapters.dynamo_repository import _to_item

        image = _to_item(complaint).serialize()
        old = self.previous.get(complaint.reference)
        self.records.append({
            "eventID": str(len(self.records) + 1), "eventName": "MODIFY" if old else "INSERT",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/complaints/stream/2026",
            "dynamodb": {"Keys": {"reference": image["reference"]}, "NewImage": image,
                         **({"OldImage": old} if old else {}), "SequenceNumber": str(len(self.records) + 1),
                         "StreamViewType": "NEW_AND_OLD_IMAGES"},
        })
        self.previous[complaint.reference] = image


def test_the_stream_builds_rollups_once_writing_each_bucket_once_per_batch(client, aws):
    from chalicelib.wiring import services
    from chalicelib.quality.rollups import updates_for

    from chalicelib.adapters.change_feed import ChangeFeedRepository

    stream = StreamRecorder()
    services.override(repository=ChangeFeedRepository(services.repository, stream))
    references = [services.pipeline.process(make_message(f"Complaint {n}: the parcel never arrived at all.",
                                                         sender=Sender(email=f"c{n}@example.com"))).reference
                  for n in range(3)]
    services.complaint_service.perform(references[0], Command("respond", message="Refund issued."), AGENT)
    services.complaint_service.perform(references[0], Command(
        "resolve", resolution_code="refunded", root_cause="process", message="Refunded."), AGENT)

    records = stream.records
    one_by_one = 0  # what counting each event in a transaction of its own would write: its marker + its buckets
    for reference in references:
        history = services.repository.history(reference)
        one_by_one += sum(1 + len(updates_for(e, services.repository.get(reference), history[:e.seq]))
                          for e in history if updates_for(e, services.repository.get(reference), history[:e.seq]))
    writes_before = services.stats.writes
    response = client.lambda_.invoke("kpi_rollups", {"Records": records})
    assert response.payload == {"batchItemFailures": []}
    written = services.stats.writes - writes_before

    day = services.stats.query("day", "all", "all")
    assert len(day) == 1
    counters = day[0].counters
    assert (counters["received"], counters["volume"], counters["frt_count"], counters["res_count"]) == (3, 3, 1, 1)
    assert counters["fcr"] == 1 and counters["cause:process"] == 1
    by_team = services.stats.query("week", "team", "logistics")
    assert by_team[0].counters["volume"] == 3

    client.lambda_.invoke("kpi_rollups", {"Records": records})  # the stream delivers the batch again
    assert services.stats.query("day", "all", "all")[0].counters == counters
    assert services.stats.writes - writes_before == written  # the replay wrote nothing
    half = records[:len(records) // 2]
    client.lambda_.invoke("kpi_rollups", {"Records": half + records})  # a retry overlapping what was counted
    assert services.stats.query("day", "all", "all")[0].counters == counters
    print(f"\n{len(records)} stream records: {written} items written in one batch, {one_by_one} one event at a time")
    assert written < one_by_one  # the buckets shared by the batch's events were written once


def test_the_assignee_who_asked_gets_one_email_per_assignment_or_customer_message(client, aws):
    import json

    from chalicelib.adapters.change_feed import ChangeFeedRepository
    from chalicelib.domain.staff import StaffMember
    from chalicelib.wiring import services

    services.staff.store.save(StaffMember("li.wei", "Li Wei", "li.wei@example.com", teams=("logistics",),
                                          languages=("zh",), email_updates=True), None)
    services.staff.store.save(StaffMember("quiet", "Quiet Agent", "quiet@example.com", teams=("logistics",)), None)
    stream = StreamRecorder()
    services.override(repository=ChangeFeedRepository(services.repository, stream))
    reference = services.pipeline.process(make_message("My parcel never came.",
                                                       sender=Sender(email="p@example.com"))).reference
    manager = Actor("manager", "manager")
    services.complaint_service.perform(reference, Command("assign", assignee="li.wei", team="logistics"), manager)
    services.complaint_service.perform(reference, Command("note", message="Asked the carrier."), manager)
    services.pipeline.process(make_message("Any news?", sender=Sender(email="p@example.com"),
                                           thread_reference=reference))
    services.complaint_service.perform(reference, Command("assign", assignee="quiet", team="logistics"), manager)

    def staff_mails():
        sent = [json.loads(line) for line in aws["outbox"].read_text(encoding="utf-8").splitlines()]
        return [m for m in sent if m.get("kind") == "staff_update"]

    batch = {"Records": stream.records}
    assert client.lambda_.invoke("kpi_rollups", batch).payload == {"batchItemFailures": []}
    client.lambda_.invoke("kpi_rollups", batch)  # the stream retries: nothing is sent twice
    mails = staff_mails()
    assert [m["recipient"] for m in mails] == ["li.wei@example.com"] * 2, mails
    subjects = sorted(m["subject"] for m in mails)
    assert subjects[0].startswith(f"[{reference}]") and any("客户" in s for s in subjects)  # her language
    assert all(f"/console/complaints/{reference}" in m["text"] for m in mails)
    assert not any(m["recipient"] == "quiet@example.com" for m in mails)  # the one who did not ask: nothing
