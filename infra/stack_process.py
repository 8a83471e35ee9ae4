"""The local stack as a child process on free ports with its own state dir, and a customer's journey through it.
Shared by the end-to-end test and the intake latency benchmark."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import requests

ROOT = Path(__file__).resolve().parents[1]

COMPLAINT = {
    "name": "Erin Example", "email": "erin@example.com", "category": "billing", "consent": True,
    "subject": "Refund not received", "description": "I returned the jacket on the 2nd and still have no refund.",
}


@dataclass
class StackProcess:
    process: subprocess.Popen
    state_dir: Path
    log_path: Path
    endpoints: dict[str, Any]
    startup_seconds: float

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> float:
        """Sends `sig` and returns how many seconds the stack took to exit (killed after `timeout`)."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return time.monotonic() - started


@contextmanager
def running_stack(state_dir: Path, timeout: float = 60, *options: str, encoder: bool = False
                  ) -> Iterator[StackProcess]:
    """Starts `python -m infra.local_stack` on free ports (plus `options`) and yields once its endpoints.json is
    written. Without `encoder` the intake worker serves the lexical model (SENTENCE_ENCODER=off): tests that are
    not about classification skip the encoder's second of loading."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "stack.log"
    started = time.monotonic()
    env = {**os.environ, **({} if encoder else {"SENTENCE_ENCODER": "off"})}
    with open(log_path, "w") as log:
        command = [sys.executable, "-m", "infra.local_stack", "--port", "0", "--moto-port", "0",
                   "--state-dir", str(state_dir), *options]
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    stack = StackProcess(process, state_dir, log_path, {}, 0.0)
    try:
        endpoints = state_dir / "endpoints.json"
        while not endpoints.exists():
            if process.poll() is not None or time.monotonic() - started > timeout:
                raise RuntimeError(f"the local stack did not start:\n{stack.log()}")
            time.sleep(0.1)
        stack.endpoints = json.loads(endpoints.read_text())
        stack.startup_seconds = time.monotonic() - started
        yield stack
    finally:
        stack.stop()


def submit(api_url: str, **fields: Any) -> dict[str, Any]:
    response = requests.post(f"{api_url}/complaints", json={**COMPLAINT, **fields}, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()


def wait_for_acknowledgement(status_url: str, outbox_file: str, timeout: float = 15) -> dict[str, Any]:
    """Polls the customer's status URL until the complaint is stored with its acknowledgement issued, and the local
    outbox until the acknowledgement is there (sent right after the write); returns that status."""
    deadline = time.monotonic() + timeout
    reference = status_url.split("/complaints/", 1)[1].split("?", 1)[0]
    while True:
        status = requests.get(status_url, headers={"Accept": "application/json"}, timeout=5).json()
        if any(event["type"] == "received" for event in status.get("history", [])) and _sent(outbox_file, reference):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"no acknowledgement within {timeout} s: {status}")
        time.sleep(0.05)


def _sent(outbox_file: str, reference: str) -> bool:
    try:
        lines = Path(outbox_file).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return False
    for line in lines:
        try:
            message = json.loads(line)
        except ValueError:
            continue  # a line being written
        if message.get("reference") == reference and message.get("kind") == "acknowledgement":
            return True
    return False


def _client(endpoints: dict[str, Any], service: str):
    import boto3

    return boto3.client(service, region_name=endpoints["region"], endpoint_url=endpoints["moto_url"],
                        aws_access_key_id="local", aws_secret_access_key="local")


def publish_inbound_sms(endpoints: dict[str, Any], message: dict[str, Any]) -> None:
    """Publishes a two-way SMS payload to the local inbound-SMS topic, as AWS End User Messaging does."""
    topic = endpoints["topics"][f"{endpoints['stack_name']}-sms-inbound"]
    _client(endpoints, "sns").publish(TopicArn=topic, Message=json.dumps(message))


def deliver_inbound_email(endpoints: dict[str, Any], raw: bytes, ses_message_id: str) -> None:
    """Does what the SES receipt rule does: stores the raw mail in the mail bucket and publishes the notification."""
    key = f"inbound/{ses_message_id}"
    _client(endpoints, "s3").put_object(Bucket=endpoints["mail_bucket"], Key=key, Body=raw)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    pass_ = {"status": "PASS"}
    notification = {
        "notificationType": "Received",
        "mail": {"timestamp": stamp, "messageId": ses_message_id, "source": "customer@example.org"},
        "receipt": {"timestamp": stamp, "recipients": ["complaints@example.com"], "spamVerdict": pass_,
                    "virusVerdict": pass_, "spfVerdict": pass_, "dkimVerdict": pass_, "dmarcVerdict": pass_,
                    "action": {"type": "S3", "bucketName": endpoints["mail_bucket"], "objectKey": key}},
    }
    topic = endpoints["topics"][f"{endpoints['stack_name']}-email-inbound"]
    _client(endpoints, "sns").publish(TopicArn=topic, Message=json.dumps(notification),
                                      Subject="Amazon SES Email Receipt Notification")


def post_twilio_sms(endpoints: dict[str, Any], auth_token: str, fields: dict[str, str]) -> requests.Response:
    """POSTs an inbound SMS to the local Twilio webhook, signed as Twilio signs it."""
    from twilio.request_validator import RequestValidator

    url = endpoints["twilio_webhook"]
    signature = RequestValidator(auth_token).compute_signature(url, fields)
    return requests.post(url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=5)


def wait_for(condition, timeout: float = 30):
    """Polls `condition` until it returns something true (which it returns)."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)
    return found


def wait_for_complaints(api_url: str, token: str, timeout: float = 15, **filters: str) -> list[dict[str, Any]]:
    """Polls the staff list (with `filters`) until it is not empty; returns its items."""
    deadline = time.monotonic() + timeout
    while True:
        items = requests.get(f"{api_url}/staff/complaints", params=filters,
                             headers={"Authorization": f"Bearer {token}"}, timeout=5).json().get("items", [])
        if items:
            return items
        if time.monotonic() > deadline:
            raise AssertionError(f"no complaint matching {filters} within {timeout} s")
        time.sleep(0.1)
