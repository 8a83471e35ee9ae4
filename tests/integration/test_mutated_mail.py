"""Every real mail in ../shared/data/emails, and mutations of a sample of them, through the whole e-mail path on
moto: raw mail in S3, the SES notification to the e-mail function, then the intake worker on what it queued.

Each mail must end in exactly one mail-log outcome, each queued one in exactly one stored complaint outcome, with
no exception and no failed record. The mutations are sampled with a fixed seed so the suite stays fast; the counts
are printed (pytest -s, or `make test`'s output)."""
from __future__ import annotations

import collections
import json
import random

import boto3
import pytest

from tests.conftest import SHARED_DATA
from tests.integration.conftest import drain_intake, provision_fake_aws

CORPUS = SHARED_DATA / "emails"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/data/emails is not on this machine")
SEED, SAMPLE = 20261205, 15  # mails mutated per kind
OUTCOMES = {"queued", "quarantined", "ignored", "delivery_failure", "rejected"}


def truncated(raw: bytes, rng: random.Random) -> bytes:
    return raw[: rng.randint(1, max(1, len(raw) - 1))]


def bytes_flipped(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(max(1, len(data) // 100)):
        data[rng.randrange(len(data))] ^= 0xFF
    return bytes(data)


def huge_headers(raw: bytes, rng: random.Random) -> bytes:
    references = " ".join(f"<r{i}.{rng.random()}@example.org>" for i in range(20_000))
    return (f"X-Padding: {'a' * 300_000}\r\nReferences: {references}\r\n"
            "Subject: =?utf-8?b?DQpCY2M6IGVAZXZpbA==?= \xed\xa0\x80\x00\x1b\r\n").encode("utf-8", "surrogateescape") + raw


def deep_nesting(raw: bytes, rng: random.Random) -> bytes:
    depth = rng.randint(60, 400)
    opening = "".join(f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n" for i in range(depth))
    head = "From: Li <li@example.cn>\r\nSubject: nested\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    return (head + opening).encode() + f"--b{depth}\r\nContent-Type: text/html\r\n\r\n".encode() + \
        b"<div>" * 300 + raw[:2000]


def many_parts(raw: bytes, rng: random.Random) -> bytes:
    part = (b"--P\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=x.bin\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n")
    head = b"From: Ada <ada@example.org>\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=P\r\n\r\n"
    return head + b"--P\r\nContent-Type: text/plain\r\n\r\n" + raw[:3000] + b"\r\n" + part * rng.randint(300, 1500)


def malformed_base64(raw: bytes, rng: random.Random) -> bytes:
    head = (b"From: =?utf-8?b?TGkgPGxpQGV4YW1wbGUuY24+?=\r\nSubject: b64\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=Q\r\n\r\n")
    garbage = bytes(rng.randrange(256) for _ in range(rng.randint(10, 4000)))
    return (head + b"--Q\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b"@@!!==" + garbage + b"\r\n--Q\r\nContent-Type: image/png; name=a.png\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + raw[:500] + b"\r\n--Q--\r\n")


MUTATIONS = [truncated, bytes_flipped, huge_headers, deep_nesting, many_parts, malformed_base64]


def corpus():
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.txt")
    mails = [(f"original/{p.relative_to(CORPUS).as_posix()}", p.read_bytes()) for p in files]
    rng = random.Random(SEED)
    for mutate in MUTATIONS:
        for name, raw in rng.sample(mails[: len(files)], min(SAMPLE, len(files))):
            mails.append((f"{mutate.__name__}/{name.split('/', 1)[1]}", mutate(raw, rng)))
    return mails


def notification(bucket: str, key: str, ses_id: str) -> dict:
    return {"notificationType": "Received",
            "mail": {"messageId": ses_id, "timestamp": "2026-11-22T10:00:00.000Z", "source": "sender@example.org"},
            "receipt": {"timestamp": "2026-11-22T10:00:00.000Z", "recipients": ["complaints@example.com"],
                        "spamVerdict": {"status": "PASS"}, "virusVerdict": {"status": "PASS"},
                        "spfVerdict": {"status": "PASS"}, "dkimVerdict": {"status": "PASS"},
                        "dmarcVerdict": {"status": "PASS"},
                        "action": {"type": "S3", "bucketName": bucket, "objectKey": key}}}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Runs every mail through the path once: name -> (mail-log record, stored complaint reference or None)."""
    from chalice.test import Client

    import app as application
    from chalicelib.adapters.dynamo_tables import InboundMailModel
    from chalicelib.wiring import services

    mails = corpus()
    with provision_fake_aws(tmp_path_factory.mktemp("mutated")) as aws, Client(application.app) as client:
        s3 = boto3.client("s3")
        crashes, ids = {}, {}
        for number, (name, raw) in enumerate(mails):
            ses_id, key = f"mutated-{number:05d}", f"inbound/mutated-{number:05d}"
            ids[name] = ses_id
            s3.put_object(Bucket=aws["bucket"], Key=key, Body=raw)
            event = client.events.generate_sns_event(message=json.dumps(notification(aws["bucket"], key, ses_id)))
            try:
                client.lambda_.invoke("email_inbound", event)
            except Exception as error:  # noqa: BLE001 - what we count: a mail the handler could not finish
                crashes[name] = f"{type(error).__name__}: {error}"[:300]
            if number % 50 == 49:
                drain_intake(client, aws["queue_url"])
        failed = [f for response in drain_intake(client, aws["queue_url"]) for f in response["batchItemFailures"]]
        results = {}
        for name, ses_id in ids.items():
            record = InboundMailModel.get(ses_id) if InboundMailModel.count(ses_id) else None
            reference = None
            if record is not None and record.outcome == "queued":
                message_id = record.message_id or f"<{ses_id}@ses.inbound>"
                reference = services.repository.reference_for_message(f"email#{message_id}")
            results[name] = (record, reference)
        yield {"results": results, "crashes": crashes, "failed_records": failed, "mails": len(mails)}


def test_every_mail_and_mutation_ends_in_one_outcome(outcomes):
    results, crashes = outcomes["results"], outcomes["crashes"]
    by_kind = collections.defaultdict(collections.Counter)
    for name, (record, _) in results.items():
        by_kind[name.split("/", 1)[0]][record.outcome if record else "NO RECORD"] += 1
    print(f"\nmutated-mail suite: {outcomes['mails']} mails (seed {SEED}); crashes {len(crashes)}, "
          f"failed intake records {len(outcomes['failed_records'])}")
    for kind, counts in sorted(by_kind.items()):
        print(f"  {kind:18} {dict(counts)}")
    assert crashes == {}
    assert outcomes["failed_records"] == []
    missing = [name for name, (record, _) in results.items() if record is None or record.outcome not in OUTCOMES]
    assert missing == []


def test_every_queued_mail_is_a_stored_complaint(outcomes):
    lost = [name for name, (record, reference) in outcomes["results"].items()
            if record is not None and record.outcome == "queued" and reference is None]
    queued = sum(1 for record, _ in outcomes["results"].values() if record is not None and record.outcome == "queued")
    print(f"\nqueued {queued}, stored {queued - len(lost)}")
    assert queued > 50 and lost == []
