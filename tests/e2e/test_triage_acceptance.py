"""Screening and classification in the local stack, over real HTTP and the inbound mail and SMS paths: the same
complaint by web and then by e-mail (same address), or by web and then by SMS (same phone), is linked through
duplicate_of, a fire and a lawsuit come out P1 with their signals, and
an empty or garbage one comes out invalid with its reason."""
from __future__ import annotations

import time
from email.message import EmailMessage

import pytest
import requests

from infra.mint_token import local_keys
from infra.stack_process import deliver_inbound_email, post_twilio_sms, running_stack, submit, wait_for_complaints

WASHER = ("The washing machine I bought on 2 November leaks from the door seal every time I run it. "
          "Order 7731. I want a repair or a replacement.")


def processed(api: str, token: str, reference: str, timeout: float = 15) -> dict:
    """The complaint once the intake worker has stored it."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(f"{api}/staff/complaints/{reference}",
                                headers={"Authorization": f"Bearer {token}"}, timeout=5)
        if response.status_code == 200:
            return response.json()["complaint"]
        if time.monotonic() > deadline:
            raise AssertionError(f"{reference} was not stored within {timeout} s: {response.text}")
        time.sleep(0.1)


@pytest.mark.xdist_group("local-stack")  # one stack at a time: they time real events
def test_duplicates_across_channels_p1_signals_and_invalid_complaints(tmp_path):
    with running_stack(tmp_path / "local") as stack:
        api, token = stack.endpoints["api_url"], stack.endpoints["agent_token"]

        original = submit(api, email="nora@example.com", subject="Leaking washing machine", description=WASHER)
        assert processed(api, token, original["reference"])["status"] == "new"
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "Nora <nora@example.com>", "complaints@example.com", \
            "Leaking washing machine"
        mail["Message-ID"] = "<washer-again@mail.example.com>"
        mail.set_content(WASHER)
        deliver_inbound_email(stack.endpoints, mail.as_bytes(), "local-ses-washer")
        (by_mail,) = wait_for_complaints(api, token, channel="email")
        repeat = processed(api, token, by_mail["reference"])
        assert (repeat["status"], repeat["duplicate_of"]) == ("duplicate", original["reference"]), repeat
        history = requests.get(f"{api}/staff/complaints/{original['reference']}",
                               headers={"Authorization": f"Bearer {token}"}, timeout=5).json()["history"]
        assert any(e["type"] == "duplicate_received" for e in history)  # the text joined the original

        by_phone = submit(api, email=None, phone="+44 7911 123456", subject="Leaking washer", description=WASHER)
        assert processed(api, token, by_phone["reference"])["status"] == "new"
        texted = post_twilio_sms(stack.endpoints, local_keys(stack.state_dir)["twilio_auth_token"], {
            "MessageSid": "SMwasher0123456789abcdef0123456789", "From": "+447911123456", "To": "+447700900000",
            "Body": WASHER})
        assert texted.status_code == 200, texted.text
        (by_sms,) = wait_for_complaints(api, token, channel="sms")
        sms_repeat = processed(api, token, by_sms["reference"])
        assert (sms_repeat["status"], sms_repeat["duplicate_of"]) == ("duplicate", by_phone["reference"]), sms_repeat

        danger = submit(api, email="omar@example.com", subject="Heater fire",
                        description="I will sue you: the heater caught fire in my kitchen last night.")
        p1 = processed(api, token, danger["reference"])
        assert p1["priority"] == "P1" and {"safety", "legal"} <= set(p1["classification"]["signals"]), p1

        garbage = submit(api, email="pat@example.com", subject="asdf", description="asdfgh qwerty zxcvbn jkl")
        rejected = processed(api, token, garbage["reference"])
        assert rejected["status"] == "invalid" and rejected["screening"]["reason"], rejected
        empty = submit(api, email="pat@example.com", subject="", description="")  # kept for audit, not refused
        blank = processed(api, token, empty["reference"])
        assert (blank["status"], blank["screening"]["reason"]) == ("invalid", "The message is empty."), blank
