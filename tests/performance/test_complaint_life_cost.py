"""What one typical complaint life costs in AWS calls and DynamoDB request units (issue 15, "Scale and cost").

The life runs in-process on moto through the app's real handlers, as AWS would call them: a web-form complaint
(API), the intake worker (SQS), the agent's acknowledgement and first response (staff API), the customer's e-mail
reply (SES -> S3 + SNS -> the e-mail Lambda -> the intake queue -> the worker), the resolution with its root cause,
the survey timer (EventBridge Scheduler -> SQS -> the timer worker), the customer answering the survey, and the
close. Mail goes out through SES (moto's), the SLA timers through Scheduler, and the KPI rollups are written inline
(ROLLUPS_INLINE=1), as the complaints table's stream consumer writes them in AWS.

tests/performance/capacity.py counts the app's calls and charges the DynamoDB units. What AWS does on our behalf is
counted here instead, and added to the cost: Lambda's SQS poller (a receive and a delete per batch; empty polls
are left out), Scheduler's invocation and its SendMessage, SES storing the reply in S3 and notifying SNS.

Two lives run, a day apart on one test clock: the first warms the container up (the configuration's first read
and import, lazy clients), the second is the one measured; the first is summarised too when it differed. The
configuration's re-read every 30 s is turned off meanwhile: a busy container shares it among the many complaints it
serves, so it is not a cost of one life.

The target (at most 120 write units per complaint life) applies at volume, where the stream consumer counts the
rollups in batches: tests/performance/test_lives_at_volume.py. The file ends with a self-check of the meter against
units computed by hand."""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from urllib.parse import urlencode

import boto3
import pytest

from tests.performance.capacity import READ_PRICE, WRITE_PRICE, CapacityMeter, item_size, value_size

TARGET_WCU = 120
REGION = "us-east-1"
SLA_GROUP = "sla"
# USD. The DynamoDB figures are the on-demand prices the issue was measured with (capacity.py). API Gateway and S3
# are not in the brief but are billed per life too.
PRICES = {
    "DynamoDB write request units": WRITE_PRICE,
    "DynamoDB read request units": READ_PRICE,
    "SES e-mails (sent + received)": 0.10 / 1e3,
    "SQS requests": 0.40 / 1e6,
    "SNS publishes": 0.50 / 1e6,
    "Scheduler invocations": 1.00 / 1e6,
    "Lambda requests (GB-seconds not counted)": 0.20 / 1e6,
    "API Gateway REST requests": 3.50 / 1e6,
    "S3 PUT requests": 0.005 / 1e3,
    "S3 GET requests": 0.0004 / 1e3,
}


class Life:
    """Drives one complaint through its life and counts what AWS does for us meanwhile (platform requests)."""

    def __init__(self, client, aws: dict, clock, timer_queue_url: str, number: int):
        self.client, self.aws, self.clock, self.timer_queue_url = client, aws, clock, timer_queue_url
        self.email = f"ada.{number}@example.org"
        self.number = number
        self.invocations: Counter[str] = Counter()  # Lambda function -> invocations
        self.platform: Counter[str] = Counter()  # requests AWS services make on our behalf
        self.reference = ""

    # what AWS does ----------------------------------------------------------------------------------------------------
    def api(self, method: str, path: str, body: str, headers: dict):
        self.invocations["api"] += 1
        response = getattr(self.client.http, method)(path, headers=headers, body=body)
        assert response.status_code < 300, (path, response.status_code, response.body[:300])
        return response

    def staff(self, meter, action: str, body: dict):
        from tests.integration.conftest import staff_headers

        with meter.paused():  # who the agent is: not part of the bill
            assignee = _services().repository.get(self.reference).assignee or "agent-1"
        return self.api("post", f"/staff/complaints/{self.reference}/{action}", json.dumps(body),
                        staff_headers("agent", assignee))

    def deliver(self, meter, queue_url: str, function: str) -> None:
        """Lambda's SQS poller: receive a batch, invoke the function, delete what it processed."""
        sqs = boto3.client("sqs")
        with meter.paused():
            received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        assert received, f"nothing on {queue_url}"
        event = self.client.events.generate_sqs_event(message_bodies=[m["Body"] for m in received],
                                                      queue_name=queue_url.rsplit("/", 1)[1])
        self.invocations[function] += 1
        assert self.client.lambda_.invoke(function, event).payload == {"batchItemFailures": []}
        with meter.paused():
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(received)])
        self.platform["SQS requests"] += 2

    def receive_mail(self, meter, raw: bytes, ses_id: str) -> None:
        """SES receiving: the raw mail to S3, a notification through SNS to the e-mail Lambda."""
        with meter.paused():
            boto3.client("s3").put_object(Bucket=self.aws["bucket"], Key=f"inbound/{ses_id}", Body=raw)
        self.platform.update({"SES e-mails (sent + received)": 1, "S3 PUT requests": 1, "SNS publishes": 1})
        note = {"notificationType": "Received",
                "mail": {"messageId": ses_id, "timestamp": self.clock.now().isoformat(), "source": self.email},
                "receipt": {"timestamp": self.clock.now().isoformat(), "recipients": ["complaints@example.com"],
                            **{f"{name}Verdict": {"status": "PASS"} for name in ("spam", "virus", "spf", "dkim",
                                                                                   "dmarc")},
                            "action": {"type": "S3", "topicArn": "arn:aws:sns:us-east-1:123456789012:inbound",
                                       "bucketName": self.aws["bucket"], "objectKey": f"inbound/{ses_id}"}}}
        event = self.client.events.generate_sns_event(message=json.dumps(note))
        self.invocations["email_inbound"] += 1
        self.client.lambda_.invoke("email_inbound", event)

    def fire_timer(self, meter) -> None:
        """EventBridge Scheduler: at the schedule's instant its input goes to the timer queue (then Lambda's poller)."""
        with meter.paused():
            schedule = boto3.client("scheduler").get_schedule(Name=self.reference, GroupName=SLA_GROUP)
            at = re.fullmatch(r"at\((.+)\)", schedule["ScheduleExpression"]).group(1)
            self.clock.set(datetime.fromisoformat(at).replace(tzinfo=timezone.utc))
            boto3.client("sqs").send_message(QueueUrl=self.timer_queue_url, MessageBody=schedule["Target"]["Input"])
        self.platform.update({"Scheduler invocations": 1, "SQS requests": 1})
        self.deliver(meter, self.timer_queue_url, "sla_timer_worker")

    # the life ---------------------------------------------------------------------------------------------------------
    def run(self, meter) -> None:
        meter.step = "1 web form"
        submitted = self.api("post", "/complaints", json.dumps({
            "name": "Ada Lovelace", "email": self.email, "subject": f"Parcel {self.number} never arrived",
            "description": f"My parcel {4400 + self.number} was marked delivered on 3 Nov but nothing came. "
                           "I was home all day and the driver never rang. Please send it again or refund me.",
            "category": "delivery", "consent": True}), {"Content-Type": "application/json"})
        self.reference = json.loads(submitted.body)["reference"]
        meter.step = "2 intake + ack mail"
        self.deliver(meter, self.aws["queue_url"], "intake_worker")  # stored, routed, acknowledged by e-mail

        meter.step = "3 acknowledge"
        self.clock.advance(minutes=5)
        self.staff(meter, "acknowledge", {})
        meter.step = "4 first response"
        self.clock.advance(minutes=20)
        self.staff(meter, "responses", {"message": "Sorry about that. Could you confirm the delivery address?"})

        meter.step = "5 customer e-mail reply"
        self.clock.advance(hours=2)
        self.receive_mail(meter, self._reply_to_our_question(), f"ses-reply-{self.number}")
        self.deliver(meter, self.aws["queue_url"], "intake_worker")  # appended to the complaint

        meter.step = "6 resolve"
        self.clock.advance(hours=1)
        self.staff(meter, "resolution", {"resolution_code": "refunded", "root_cause": "environment",
                                         "sub_cause": "carrier", "message": "We refunded the parcel in full."})
        meter.step = "7 survey sent"
        self.fire_timer(meter)

        meter.step = "8 survey answered"
        survey = self._survey_path()
        self.clock.advance(minutes=10)
        self.api("get", survey, "", {"Accept": "text/html"})
        self.api("post", survey, urlencode({"score": "5", "comment": "Quick refund, thanks"}),
                 {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
        meter.step = "9 close"
        self.clock.advance(hours=2)
        self.staff(meter, "close", {})
        meter.step = ""

    def _sent_mail(self, containing: str):
        """The newest mail SES (moto's) sent this customer whose text contains `containing`."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        parsed = [BytesParser(policy=policy.default).parsebytes(m.raw_data.encode())
                  for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages if self.email in m.destinations]
        return [mail for mail in parsed if containing in mail.get_content()][-1]

    def _reply_to_our_question(self) -> bytes:
        ours = self._sent_mail("confirm the delivery address")
        reply = EmailMessage()
        reply["From"], reply["To"] = f"Ada Lovelace <{self.email}>", "complaints@example.com"
        reply["Subject"], reply["Message-ID"] = f"Re: {ours['Subject']}", f"<reply-{self.number}@mail.example.org>"
        reply["In-Reply-To"], reply["References"] = ours["Message-ID"], f"{ours['References'] or ''} {ours['Message-ID']}"
        quoted = "\n".join(f"> {line}" for line in ours.get_content().splitlines())
        reply.set_content(f"Yes, it is 12 Acacia Avenue, London.\n\nOn Mon, Customer Care wrote:\n{quoted}\n")
        return reply.as_bytes()

    def _survey_path(self) -> str:
        text = self._sent_mail("/survey/").get_content()
        return re.search(r"http://testserver(/survey/\S+?) \(", text).group(1)


def _services():
    from chalicelib.wiring import services

    return services


def _provision_timers(monkeypatch) -> str:
    """The SLA timers as infra.resources defines them: a Scheduler group delivering to the timer queue."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="test-sla-timers")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("scheduler").create_schedule_group(Name=SLA_GROUP)
    monkeypatch.setenv("SCHEDULER_GROUP", SLA_GROUP)
    monkeypatch.setenv("TIMER_QUEUE_ARN", queue_arn)
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/sla-scheduler")
    return queue_url


def _costs(meter: CapacityMeter, life: Life) -> dict[str, float]:
    """Quantities per life for each priced item: the app's calls (meter) plus AWS's on our behalf (life.platform)."""
    calls = meter.calls
    by_service = Counter()
    for operation, count in calls.items():
        by_service[operation.split(".")[0]] += count
    stream_records = sum(1 for c in meter.charges if c.kind == "write" and c.target == _complaints_table())
    quantities = {
        "DynamoDB write request units": meter.write_units,
        "DynamoDB read request units": meter.read_units,
        "SES e-mails (sent + received)": calls["sesv2.SendEmail"] + calls["ses.SendRawEmail"],
        "SQS requests": by_service["sqs"],
        "SNS publishes": calls["sns.Publish"],
        "Scheduler invocations": 0,
        # the functions invoked, plus the stream consumer at most once per complaint write (batched in AWS)
        "Lambda requests (GB-seconds not counted)": sum(life.invocations.values()) + stream_records,
        "API Gateway REST requests": life.invocations["api"],
        "S3 PUT requests": calls["s3.PutObject"],
        "S3 GET requests": calls["s3.GetObject"],
    }
    for name, count in life.platform.items():
        quantities[name] += count
    return quantities


def _complaints_table() -> str:
    from chalicelib.adapters.dynamo_tables import ComplaintModel

    return ComplaintModel.Meta.table_name


def test_one_complaint_life_costs(tmp_path, monkeypatch, quiet_logs):
    from chalice.test import Client

    import app as application
    from chalicelib.adapters.dynamo_tables import ComplaintModel
    from chalicelib.config import settings
    from tests.fakes import FixedClock
    from tests.integration.conftest import provision_fake_aws

    monkeypatch.setenv("ROLLUPS_INLINE", "1")  # the stream consumer's writes, made inline (settings read lazily)
    monkeypatch.setenv("NOTIFIER", "aws")  # SES e-mail, so the sends are AWS calls
    with provision_fake_aws(tmp_path) as aws, Client(application.app) as client:
        boto3.client("ses").verify_email_identity(EmailAddress=settings().sender_email)
        timer_queue_url = _provision_timers(monkeypatch)
        settings.cache_clear()
        _services().reset()
        clock = FixedClock(datetime.now(timezone.utc))
        _services().override(clock=clock)
        # A container re-reads the configuration every 30 s: at scale that is shared by the many complaints it
        # serves, not one life's cost (the warm-up life shows what one read costs).
        _services().live_config.refresh = timedelta(days=365)

        lives = []
        for number in (1, 2):  # the first warms the container up; the second is the one measured
            clock.advance(days=number - 1)
            life = Life(client, aws, clock, timer_queue_url, number)
            with CapacityMeter() as meter:
                life.run(meter)
            lives.append((life, meter))
        (_, warm_meter), (life, meter) = lives

        complaint = _services().repository.get(life.reference)
        history = _services().repository.history(life.reference)
        mine = _services().repository.for_customer(life.email, None)
        stored = boto3.client("dynamodb").get_item(TableName=ComplaintModel.Meta.table_name,
                                                   Key={"reference": {"S": life.reference}})["Item"]
        existing = set(boto3.client("dynamodb").list_tables()["TableNames"])

    types = Counter(event.type for event in history)
    assert complaint.status.value == "closed" and [c.reference for c in mine] == [life.reference]
    assert complaint.root_cause == "environment" and types["resolve"] == 1 and types["close"] == 1
    assert types["customer_message"] == 1 and types["survey_sent"] == 1 and types["survey_answered"] == 1
    by_table = meter.units("write", by="table")
    assert by_table[ComplaintModel.Meta.table_name] > 0
    assert meter.tables() <= existing, meter.tables() - existing

    print("\n".join(_report(life, meter, warm_meter)))
    print(f"  the complaint item at close: {item_size(stored):,} bytes, {complaint.version} versions written; "
          f"{len(history)} events")


def _report(life: Life, meter: CapacityMeter, warm: CapacityMeter) -> list[str]:
    lines = [f"\none complaint life ({life.reference}: web form -> intake -> acknowledge -> respond -> customer "
             f"e-mail reply -> resolve -> survey sent and answered -> close), measured after a warm-up life:",
             f"  DynamoDB write units: {meter.write_units:g} WCU, of which {meter.units('write', by='table')['stats']:g} "
             f"rollups counted one event at a time (at volume, in stream batches, the target <= {TARGET_WCU} is "
             f"measured by test_lives_at_volume.py), read units: {meter.read_units:g} RCU",
             f"  Lambda invocations: {sum(life.invocations.values())} {dict(life.invocations)} "
             f"(+ the stream consumer, counted at one per complaint write)",
             f"  on our behalf (not app calls): {dict(life.platform)}",
             f"  {'per step':<28} {'calls':>5} {'WCU':>6} {'RCU':>6}"]
    writes, reads = meter.units("write", by="step"), meter.units("read", by="step")
    lines += [f"    {step:<26} {meter.step_calls[step]:>5} {writes[step]:>6g} {reads[step]:>6g}"
              for step in sorted(meter.step_calls)]
    lines += ["  " + line for line in meter.report()]
    lines.append("  hottest partitions written: " + ", ".join(
        f"{key} {units:g}" for key, units in meter.hottest("write", 8) if not key.endswith(life.reference)))
    lines.append("  shared keys at volume (shards counted at their share): tests/performance/test_lives_at_volume.py")
    lines.append("  cost estimate (USD per life, prices as given):")
    quantities, total = _costs(meter, life), 0.0
    for name, price in PRICES.items():
        cost = quantities[name] * price
        total += cost
        lines.append(f"    {name:<42} {quantities[name]:>7g} x ${price * 1e6:g}/million = ${cost:.7f}")
    lines.append(f"    {'total':<42} {'':>7}   ${total:.6f}  (${total * 1e6:,.0f} per million complaints)")
    if warm.summary() != meter.summary():
        differing = {op: warm.calls[op] - meter.calls[op] for op in warm.calls | meter.calls
                     if warm.calls[op] != meter.calls[op]}
        lines.append(f"  the warm-up life differed: {sum(warm.calls.values())} calls, {warm.write_units:g} WCU, "
                     f"{warm.read_units:g} RCU; its extra calls: {differing}")
    return lines


# the meter's self-check ---------------------------------------------------------------------------------------------
def _table_with_three_indexes(dynamodb) -> None:
    keys = [{"AttributeName": "g", "KeyType": "HASH"}]
    dynamodb.create_table(
        TableName="meter-check", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "g", "r", "h")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "all", "KeySchema": keys, "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "keys", "KeySchema": [*keys, {"AttributeName": "r", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "inc", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}},
        ])


def test_the_meter_charges_what_dynamodb_bills(moto_tables):
    # sizes: names plus values; a number is ceil(significant digits / 2) + 1; a list or map 3 + 1 per element
    assert value_size({"N": "12345"}) == 4 and value_size({"N": "-0.00120"}) == 2
    assert value_size({"M": {"a": {"S": "xy"}}}) == 7 and value_size({"L": [{"N": "1"}, {"BOOL": True}]}) == 8
    item = {"pk": {"S": "p1"}, "g": {"S": "G"}, "r": {"S": "R1"}, "h": {"S": "H"}, "note": {"S": "x" * 10},
            "blob": {"S": "y" * 2000}, "n": {"N": "12345"}}
    assert item_size(item) == 4 + 2 + 3 + 2 + 14 + 2004 + 5 == 2034

    dynamodb = boto3.client("dynamodb", region_name=REGION)  # made before the meter: its calls count all the same
    _table_with_three_indexes(dynamodb)
    with CapacityMeter() as meter:
        dynamodb.put_item(TableName="meter-check", Item=item)
        put = meter.units("write")
        # the table 2 (2034 B); "all" the whole item 2; "keys" pk+g+r 9 B 1; "inc" pk+h+note 20 B 1
        assert dict(put) == {"meter-check": 2, "meter-check/all": 2, "meter-check/keys": 1, "meter-check/inc": 1}

        dynamodb.update_item(TableName="meter-check", Key={"pk": {"S": "p1"}}, UpdateExpression="SET note = :v",
                             ExpressionAttributeValues={":v": {"S": "y"}})
        # a projected attribute changed: "all" and "inc" rewrite their entry, "keys" does not
        assert meter.write_units - sum(put.values()) == 2 + 2 + 0 + 1

        before = meter.write_units
        boto3.client("dynamodb", region_name=REGION).update_item(  # a client made inside the meter
            TableName="meter-check", Key={"pk": {"S": "p1"}}, UpdateExpression="SET g = :g",
            ExpressionAttributeValues={":g": {"S": "G2"}})
        # an index key changed: a delete and a put in "all" (2 + 2) and "keys" (1 + 1); "inc" untouched
        assert meter.write_units - before == 2 + 4 + 2

        before = meter.write_units
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "meter-check", "Item": {"pk": {"S": "p2"}, "g": {"S": "G"}}}},
            {"ConditionCheck": {"TableName": "meter-check", "Key": {"pk": {"S": "p1"}},
                                "ConditionExpression": "attribute_exists(pk)"}}])
        # the Put twice on the table (2 x 1) and once in "all" (1; not in "keys" or "inc": no r, no h);
        # the ConditionCheck of the 2 KB item twice (2 x 2)
        assert meter.write_units - before == 2 + 1 + 4

        before = meter.write_units
        try:
            dynamodb.put_item(TableName="meter-check", Item={"pk": {"S": "p2"}},
                              ConditionExpression="attribute_not_exists(pk)")
        except dynamodb.exceptions.ConditionalCheckFailedException:
            pass
        assert meter.write_units - before == 1  # a failed condition still costs the write, no index
        dynamodb.delete_item(TableName="meter-check", Key={"pk": {"S": "p2"}})
        assert meter.write_units - before == 1 + 1 + 1  # the item and its "all" entry
        with meter.paused():
            dynamodb.get_item(TableName="meter-check", Key={"pk": {"S": "p1"}})

        dynamodb.get_item(TableName="meter-check", Key={"pk": {"S": "p1"}}, ConsistentRead=True)  # 2 KB: 1
        dynamodb.get_item(TableName="meter-check", Key={"pk": {"S": "p1"}}, ProjectionExpression="pk")  # 0.5
        dynamodb.query(TableName="meter-check", IndexName="all", KeyConditionExpression="g = :g",
                       ExpressionAttributeValues={":g": {"S": "G2"}})  # a GSI: eventually consistent, 0.5
        dynamodb.query(TableName="meter-check", KeyConditionExpression="pk = :p", ConsistentRead=True,
                       ExpressionAttributeValues={":p": {"S": "p1"}})  # 1
        dynamodb.batch_get_item(RequestItems={"meter-check": {"Keys": [{"pk": {"S": "p1"}}, {"pk": {"S": "no"}}]}})
        assert dict(meter.units("read", by="operation")) == {
            "dynamodb.GetItem": 1.5, "dynamodb.Query": 1.5, "dynamodb.BatchGetItem": 1.0}
        assert meter.units("read")["meter-check/all"] == 0.5
        assert meter.units("write", by="key")["meter-check/all G2"] == 2  # the entry under its new key

    assert meter.calls == Counter({"dynamodb.PutItem": 2, "dynamodb.UpdateItem": 2, "dynamodb.TransactWriteItems": 1,
                                   "dynamodb.DeleteItem": 1, "dynamodb.GetItem": 2, "dynamodb.Query": 2,
                                   "dynamodb.BatchGetItem": 1})
    dynamodb.get_item(TableName="meter-check", Key={"pk": {"S": "p1"}})  # after the meter: not counted
    assert sum(meter.calls.values()) == 11
