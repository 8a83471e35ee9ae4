"""`make redrive QUEUE=intake`: moves what a dead-letter queue of the running local stack holds back to where it
came from, to be processed again (after the cause was fixed). intake and sla-timers go back to their queue; an
inbound (e-mail / SMS function) failure record is published again to its SNS topic.

In AWS: `aws sqs start-message-move-task --source-arn <the DLQ's ARN>` for intake and sla-timers; for inbound,
re-publish each record's requestPayload Sns Message to its TopicArn."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

QUEUE_FED = ("intake", "sla-timers")  # their dead-letter queue is the source queue's name + "-dlq"


def redrive_queue(state_dir: Path, queue: str) -> int:
    import boto3

    from chalicelib.adapters.dead_letters import redrive
    from infra.replay import connect

    endpoints = connect(state_dir)
    dead_letters = dict(pair.split("=", 1) for pair in endpoints["environment"]["DEAD_LETTER_QUEUES"].split(","))
    sqs = boto3.client("sqs")
    if queue in QUEUE_FED:
        return redrive(sqs, dead_letters[queue], dead_letters[queue].removesuffix("-dlq"))
    sns, moved = boto3.client("sns"), 0
    while messages := sqs.receive_message(QueueUrl=dead_letters[queue], MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            record = json.loads(message["Body"])["requestPayload"]["Records"][0]["Sns"]
            sns.publish(TopicArn=record["TopicArn"], Message=record["Message"])
            sqs.delete_message(QueueUrl=dead_letters[queue], ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", default=".local", type=Path)
    parser.add_argument("--queue", choices=("intake", "sla-timers", "inbound"), default="intake")
    args = parser.parse_args(argv)
    moved = redrive_queue(args.state_dir, args.queue)
    print(f"redrove {moved} message(s) from the {args.queue} dead-letter queue")
    return 0


if __name__ == "__main__":
    sys.exit(main())
