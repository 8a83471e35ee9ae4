"""Complaint lives at volume: write and read units per life, the hottest DynamoDB keys, DynamoDB's cost per life
(issue 15, "Scale and cost").

A simulated interval: LIVES complaints arrive together and live the typical life side by side, step by step across
all of them: web form (the intake worker's processing), acknowledgement, first response, the customer's e-mail reply
(SES notification -> the e-mail Lambda -> the intake queue -> the worker), resolution, survey sent and answered,
close. They run through the app's real services on moto, every one in the same team and category (the worst case
for shared keys), and the stream consumer counts their versions in batches of STREAM_BATCH, as the complaints
table's stream delivers them. tests/performance/capacity.py bills every write and read to the partition key of the
table or index it lands on. (The API's own calls are in test_complaint_life_cost.py, which follows one life through
the HTTP handlers in detail, its rollups one event at a time.)

Printed: units per life against the target, reads at intake, DynamoDB's cost per life against the issue's starting
figure, and, for each key shared by complaints, its units per complaint and the complaint rate at which it passes
DynamoDB's per-key limit (1,000 write units, 3,000 read units a second). A sharded partition (domain.ports.
INDEX_SHARDS keys chosen by a hash of the reference) is shown at its expected share, with the share of a busy second
(3 sigma of the binomial) and this sample's busiest shard (a sample of LIVES is far lumpier than a second of 1,000). Keys of one complaint, customer, message or
agent are left out: they see one complaint's traffic, or an agent's pace of work."""
from __future__ import annotations

import json
import math
import os
import re
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

from chalicelib.domain.ports import INDEX_SHARDS
from tests.performance.capacity import READ_PRICE, WRITE_PRICE, CapacityMeter

LIVES = int(os.environ.get("LIVES", 100))
RATE = 1000  # complaints a second: the target load
LIMITS = {"write": 1000, "read": 3000}  # units a second one partition key takes
TARGET_WCU = 120
START = {"write": 485, "read": 53.5}  # one life's units when the issue was filed
TEAM, CATEGORY = "logistics", "delivery"


def own_key(key: str, references: set[str]) -> bool:
    """A key that one complaint, customer, message or agent uses, not complaints at large."""
    table, _, value = key.partition(" ")
    return (value in references or "@" in value or "agent" in value or value.startswith(("rollup#", "survey", "sms#"))
            or any(name in table for name in ("message-index", "idempotency", "ack-limits", "complaint-events"))
            or table.endswith("inbound-mail") and value.startswith("ses-"))  # the mail log's own key: one mail


def test_lives_at_volume(tmp_path, quiet_logs):
    import boto3

    from chalicelib.adapters.change_feed import ChangeFeedRepository
    from chalicelib.adapters.dynamo_repository import DynamoComplaintRepository
    from chalicelib.adapters.intake_codec import decode
    from chalicelib.domain.lifecycle import Actor, Command
    from chalicelib.domain.model import Sender
    from chalicelib.quality.survey import SurveyAnswer
    from chalicelib.workers.email_inbound import handle_email_notifications
    from infra import moto_patches
    from infra.resources import STREAM_BATCH
    from tests.fakes import FixedClock, make_message
    from tests.integration.conftest import provision_fake_aws

    moto_patches.apply()
    with provision_fake_aws(tmp_path) as aws:
        from chalicelib.wiring import services

        services.reset()
        versions: list = []
        clock = FixedClock(datetime.now(timezone.utc))
        services.override(clock=clock, repository=ChangeFeedRepository(DynamoComplaintRepository(), versions.append))
        services.live_config.current()
        services.live_config.refresh = timedelta(days=365)  # a container's configuration, shared by many lives
        outbox = Path(tmp_path / "outbox" / "customer-messages.jsonl")
        sqs, s3 = boto3.client("sqs"), boto3.client("s3")

        def sent(kind: str) -> dict[str, dict]:
            return {m["reference"]: m for m in map(json.loads, outbox.read_text().splitlines()) if m["kind"] == kind}

        def reply_by_mail(reference: str, ours: dict) -> None:
            mail = EmailMessage()
            mail["From"], mail["To"] = complaints[reference].sender.email, "complaints@example.com"
            mail["Subject"], mail["Message-ID"] = f"Re: {ours['subject']}", f"<reply-{reference}@mail.example.org>"
            mail["In-Reply-To"] = mail["References"] = ours["message_id"]
            mail.set_content("Yes, it is 12 Acacia Avenue, London.")
            s3.put_object(Bucket=aws["bucket"], Key=f"inbound/{reference}", Body=mail.as_bytes())
            note = {"notificationType": "Received",
                    "mail": {"messageId": f"ses-{reference}", "timestamp": clock.now().isoformat(),
                             "source": complaints[reference].sender.email},
                    "receipt": {"timestamp": clock.now().isoformat(), "recipients": ["complaints@example.com"],
                                "action": {"type": "S3", "bucketName": aws["bucket"],
                                           "objectKey": f"inbound/{reference}"}}}
            handle_email_notifications({"Records": [{"Sns": {"Message": json.dumps(note)}}]}, None)
            (queued,) = sqs.receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=1)["Messages"]
            services.pipeline.process(decode(queued["Body"]))
            sqs.delete_message(QueueUrl=aws["queue_url"], ReceiptHandle=queued["ReceiptHandle"])

        with CapacityMeter() as meter:
            meter.step = "intake"
            references = [services.pipeline.process(make_message(
                f"My parcel {4400 + n} was marked delivered on 3 Nov but nothing came. I was home all day and the "
                "driver never rang. Please send it again or refund me.", subject=f"Parcel {n} never arrived",
                requested_category=CATEGORY, received_at=clock.now(),
                sender=Sender(name="Ada Lovelace", email=f"ada.{n}@example.org"))).reference for n in range(LIVES)]
            with meter.paused():
                complaints = {r: services.repository.get(r) for r in references}
            assert {c.team for c in complaints.values()} == {TEAM}

            def each(step: str, act) -> None:
                meter.step = step
                for reference in references:
                    act(reference, Actor(complaints[reference].assignee or "agent", "agent"))

            clock.advance(minutes=5)
            each("acknowledge", lambda r, agent: services.complaint_service.perform(r, Command("acknowledge"), agent))
            clock.advance(minutes=20)
            each("first response", lambda r, agent: services.complaint_service.perform(
                r, Command("respond", message="Sorry about that. Could you confirm the delivery address?"), agent))
            clock.advance(hours=2)
            responses = sent("respond")
            each("customer e-mail reply", lambda r, _: reply_by_mail(r, responses[r]))
            clock.advance(hours=1)
            each("resolve", lambda r, agent: services.complaint_service.perform(r, Command(
                "resolve", resolution_code="refunded", root_cause="environment", message="Refunded in full."), agent))
            clock.advance(hours=2)
            each("survey sent", lambda r, _: services.surveys.send(r, clock.now()))
            tokens = {r: re.search(r"/survey/(\S+?) \(", m["text"]).group(1) for r, m in sent("survey").items()}
            clock.advance(minutes=10)
            each("survey answered", lambda r, _: services.surveys.answer(tokens[r], SurveyAnswer(5), clock.now()))
            clock.advance(hours=2)
            each("close", lambda r, agent: services.complaint_service.perform(r, Command("close"), agent))

            meter.step = "rollups"
            for start in range(0, len(versions), STREAM_BATCH):
                services.rollups.count_batch(versions[start:start + STREAM_BATCH])
        with meter.paused():
            history = services.repository.history(references[-1])
            assert {services.repository.get(r).status.value for r in references} == {"closed"}
        assert [e.type for e in history] == ["received", "acknowledge", "respond", "customer_message", "resolve",
                                             "survey_sent", "survey_answered", "close"]

    writes, reads = meter.write_units / LIVES, meter.read_units / LIVES
    print(f"\n{LIVES} typical lives side by side in one team and category ({len(versions)} versions; rollups in "
          f"stream batches of {STREAM_BATCH}):")
    print(f"  DynamoDB write units per life: {writes:.1f} (target <= {TARGET_WCU}; {START['write']:g} when the issue "
          f"was filed)")
    by_table = meter.units("write", by="table")
    print("    " + ", ".join(f"{table} {units / LIVES:.1f}" for table, units in by_table.most_common()))
    intake_reads = meter.units("read", by="step")["intake"] / LIVES
    print(f"  read units per life: {reads:.1f} ({START['read']:g} then); at intake {intake_reads:.1f}, whatever the "
          f"backlog (the customer's 20 newest complaints by e-mail and phone, one counter per agent of the team)")
    cost, start_cost = writes * WRITE_PRICE + reads * READ_PRICE, START["write"] * WRITE_PRICE + START["read"] * READ_PRICE
    print(f"  DynamoDB per life: ${cost:.7f} at ${WRITE_PRICE * 1e6:g} a million write units and ${READ_PRICE * 1e6:g} "
          f"a million read units: {cost / start_cost:.0%} of the ${start_cost:.7f} when the issue was filed "
          f"(goal: at most a third)")
    first_limit = float("inf")
    for kind, unit in (("write", "WCU"), ("read", "RCU")):
        keys = shared_keys(meter.units(kind, by="key"), set(references))
        print(f"  hottest shared keys ({kind}s; DynamoDB takes {LIMITS[kind]:,} {unit} a second per key; a sharded "
              f"key shown as key#*, one of its {INDEX_SHARDS} shards):")
        for key, per_life, busiest in keys[:6]:
            peak = (f" (a busy second, 3 sigma: {peak_share() * INDEX_SHARDS * per_life * RATE:,.0f}; this sample's "
                    f"busiest shard {busiest:.3f} per complaint)") if busiest else ""
            print(f"    {key:<50} {per_life:6.3f} {unit} per complaint -> {per_life * RATE:6,.0f} a second at "
                  f"{RATE:,}/s{peak}; passes its limit at {LIMITS[kind] / per_life:7,.0f} complaints a second")
        first_limit = min([first_limit, *(LIMITS[kind] / per_life for _, per_life, _ in keys[:1])])
    print(f"  the first key passes its limit at {first_limit:,.0f} complaints a second (target: {RATE:,} or more)")
    assert writes > 0 and first_limit < float("inf")


def shared_keys(units: dict[str, float], references: set[str]) -> list[tuple[str, float, float | None]]:
    """(key, units per complaint, the sample's busiest shard) for the keys complaints share, hottest first. A sharded
    key (`<key>#<shard>`) is shown once, at its expected share: the family's units / INDEX_SHARDS (the shard is a
    hash of the reference); the busiest shard of this sample is returned beside it."""
    families: dict[str, list[float]] = {}
    for key, total in units.items():
        if own_key(key, references):
            continue
        base, _, shard = key.rpartition("#")
        sharded_index = "/" in key.split(" ")[0] and shard.isdigit() and int(shard) < INDEX_SHARDS
        families.setdefault(f"{base}#*" if sharded_index else key, []).append(total / LIVES)
    rows = [(key, sum(shards) / INDEX_SHARDS if key.endswith("#*") else shards[0],
             max(shards) if key.endswith("#*") else None) for key, shards in families.items()]
    return sorted(rows, key=lambda row: -row[1])


def peak_share(rate: int = RATE, sigmas: float = 3.0) -> float:
    """The share of a second's complaints that the busiest shard takes, `sigmas` above its mean (binomial)."""
    p = 1 / INDEX_SHARDS
    return (rate * p + sigmas * math.sqrt(rate * p * (1 - p))) / rate
