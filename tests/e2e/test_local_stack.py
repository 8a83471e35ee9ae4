"""The whole local stack (moto, chalice local, the event runner) as a developer runs it, over real HTTP."""
from __future__ import annotations

import json
import signal
import time

import requests

from infra.stack_process import (
    publish_inbound_sms,
    running_stack,
    submit,
    wait_for_acknowledgement,
    wait_for_complaints,
)
from tests.conftest import SHARED_DATA

PINPOINT_PAYLOAD = SHARED_DATA / "sms" / "pinpoint_two_way_sms_payload.json"


def test_a_complaint_is_stored_acknowledged_and_visible_to_staff(tmp_path):
    started = time.monotonic()
    with running_stack(tmp_path / "local") as stack:
        api = stack.endpoints["api_url"]

        accepted = submit(api, subject="Broken zip on a new jacket")
        assert accepted["status_url"].startswith(f"{api}/complaints/{accepted['reference']}?token=")

        status = wait_for_acknowledgement(accepted["status_url"])
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

        seconds_to_stop = stack.stop(signal.SIGINT)
        assert stack.process.returncode == 0, stack.log()
        assert seconds_to_stop < 5, stack.log()
        assert not (stack.state_dir / "endpoints.json").exists()
    print(f"\nstartup {stack.startup_seconds:.1f} s, stop {seconds_to_stop:.1f} s, "
          f"whole test {time.monotonic() - started:.1f} s")
