"""The whole local stack (moto, chalice local, the event runner) as a developer runs it, over real HTTP."""
from __future__ import annotations

import json
import signal
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
import requests

from infra.mint_token import local_keys
from infra.stack_process import (
    deliver_inbound_email,
    post_twilio_sms,
    publish_inbound_sms,
    running_stack,
    submit,
    wait_for_acknowledgement,
    wait_for_complaints,
)
from tests.conftest import SHARED_DATA

PINPOINT_PAYLOAD = SHARED_DATA / "sms" / "pinpoint_two_way_sms_payload.json"


@pytest.mark.xdist_group("local-stack")  # one stack at a time: they time real events
def test_a_complaint_is_stored_acknowledged_and_visible_to_staff(tmp_path):
    started = time.monotonic()
    with running_stack(tmp_path / "local") as stack:
        api = stack.endpoints["api_url"]

        accepted = submit(api, subject="Broken zip on a new jacket")
        assert accepted["status_url"].startswith(f"{api}/complaints/{accepted['reference']}?token=")

        status = wait_for_acknowledgement(accepted["status_url"], stack.endpoints["outbox_file"])
        assert status["reference"] == accepted["reference"] and status["subject"] == "Broken zip on a new jacket"

        outbox = [json.loads(line) for line in open(stack.endpoints["outbox_file"], encoding="utf-8")]
        assert [(m["reference"], m["kind"], m["recipient"]) for m in outbox] == [
            (accepted["reference"], "acknowledgement", "erin@example.com")]

        agent = {"Authorization": f"Bearer {stack.endpoints['agent_token']}"}
        listed = requests.get(f"{api}/staff/complaints", headers=agent, timeout=5)
        assert listed.status_code == 200, listed.text
        assert accepted["reference"] in [c["reference"] for c in listed.json()["items"]]
        assert requests.get(f"{api}/staff/complaints", timeout=5).status_code == 401

        if PINPOINT_PAYLOAD.exists():  # an SMS through the local inbound topic, the runner and the intake queue
            publish_inbound_sms(stack.endpoints, json.loads(PINPOINT_PAYLOAD.read_text()))
            (sms,) = wait_for_complaints(api, stack.endpoints["agent_token"], channel="sms")
            assert sms["customer"]["phone"] == "+14255550182", sms

        email_reference = mail_round_trip(stack)
        assert email_reference

        twilio = post_twilio_sms(stack.endpoints, local_keys(stack.state_dir)["twilio_auth_token"], {
            "MessageSid": "SM0123456789abcdef0123456789abcdef", "From": "+447700900456", "To": "+447700900000",
            "Body": "My meter reading on the last bill is wrong, it shows 9999."})
        assert twilio.status_code == 200 and "<Response" in twilio.text, twilio.text
        wait_for(lambda: "+447700900456" in [
            c["customer"]["phone"] for c in wait_for_complaints(api, stack.endpoints["agent_token"], channel="sms")])

        seconds_to_stop = stack.stop(signal.SIGINT)
        assert stack.process.returncode == 0, stack.log()
        assert seconds_to_stop < 10, stack.log()  # about 1 s alone; the process exit is slower under a busy suite
        assert not (stack.state_dir / "endpoints.json").exists()
    print(f"\nstartup {stack.startup_seconds:.1f} s, stop {seconds_to_stop:.1f} s, "
          f"whole test {time.monotonic() - started:.1f} s")


def wait_for(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def outbox_messages(stack) -> list[dict]:
    return [json.loads(line) for line in open(stack.endpoints["outbox_file"], encoding="utf-8")]


def mail_round_trip(stack) -> str:
    """An SES notification creates a complaint; the customer answers our acknowledgement and the answer (quote
    stripped) is appended to the same complaint."""
    api, token = stack.endpoints["api_url"], stack.endpoints["agent_token"]
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Grace <grace@example.org>", "complaints@example.com", "Wrong size"
    mail["Message-ID"] = "<first@mail.example.org>"
    mail.set_content("The boots I ordered (order 8812) came in size 44 instead of 41.")
    deliver_inbound_email(stack.endpoints, mail.as_bytes(), "local-ses-1")
    wait_for(lambda: any(m["recipient"] == "grace@example.org" for m in outbox_messages(stack)))
    ack = next(m for m in outbox_messages(stack) if m["recipient"] == "grace@example.org")
    ours = BytesParser(policy=policy.default).parsebytes(ack["raw"].encode())

    answer = EmailMessage()
    answer["From"], answer["To"], answer["Subject"] = "grace@example.org", "complaints@example.com", f"Re: {ours['Subject']}"
    answer["Message-ID"], answer["In-Reply-To"] = "<second@mail.example.org>", ours["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in ours.get_content().splitlines())
    answer.set_content(f"I can send them back today.\n\nOn Monday, Customer Care wrote:\n{quoted}\n")
    deliver_inbound_email(stack.endpoints, answer.as_bytes(), "local-ses-2")

    headers = {"Authorization": f"Bearer {token}"}

    def appended() -> bool:
        history = requests.get(f"{api}/staff/complaints/{ack['reference']}", headers=headers, timeout=5).json()
        return [e.get("message") for e in history.get("history", []) if e["type"] == "customer_message"] == [
            "I can send them back today."]

    wait_for(appended)
    (complaint,) = [c for c in wait_for_complaints(api, token, channel="email")]
    assert complaint["reference"] == ack["reference"]
    return complaint["reference"]
