"""SLA timers in the local stack, in real time: with a 30-second first response for P1, an untouched P1 warns and
then breaches in the alerts log near its due times; a P1 answered before the warning, and one waiting on the
customer, stay silent; /complaints/{ref}/sla explains all of it."""
from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests

from infra.stack_process import running_stack, submit

ROOT = Path(__file__).resolve().parents[2]
DANGER = "The heater caught fire in my living room last night. I will sue you if nobody calls me today."
SLACK_SECONDS = 10


def short_p1_policy(tmp_path: Path) -> Path:
    policy = (ROOT / "chalicelib" / "sla" / "default_policy.toml").read_text()
    quick = policy.replace('targets = { first_response = "1h", next_update = "2h", resolution = "8h" }',
                           'targets = { first_response = "30s", next_update = "2m", resolution = "5m" }')
    assert quick != policy
    path = tmp_path / "policy.toml"
    path.write_text(quick)
    return path


def alerts(stack) -> list[dict]:
    path = Path(stack.endpoints["alerts_file"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def staff(stack, method: str, path: str, **body) -> dict:
    headers = {"Authorization": f"Bearer {stack.endpoints['agent_token']}"}
    response = requests.request(method, f"{stack.endpoints['api_url']}{path}", headers=headers,
                                json=body or None, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.xdist_group("local-stack")  # one stack at a time: they time real events
def test_p1_timers_warn_and_breach_on_time_and_only_when_due(tmp_path):
    with running_stack(tmp_path / "local", 60, "--sla-policy", str(short_p1_policy(tmp_path))) as stack:
        api = stack.endpoints["api_url"]
        untouched, answered, waiting = (
            submit(api, subject=f"Dangerous heater {n}", description=DANGER, email=f"p1-{n}@example.com")["reference"]
            for n in range(3))
        for reference in (untouched, answered, waiting):
            _wait_stored(stack, reference)
        staff(stack, "POST", f"/staff/complaints/{answered}/responses", message="We are calling you now.")
        staff(stack, "POST", f"/staff/complaints/{waiting}/responses", message="Is anyone hurt?")
        staff(stack, "POST", f"/staff/complaints/{waiting}/waiting", message="Please tell us your phone number.")

        sla = staff(stack, "GET", f"/complaints/{untouched}/sla")
        first = next(c for c in sla["clocks"] if c["name"] == "first_response")
        assert sla["policy"] == "P1 critical" and first["target"] == "30s" and first["state"] == "running"
        warning_at, due_at = (datetime.fromisoformat(first[k]) for k in ("warning_at", "due_at"))
        paused = staff(stack, "GET", f"/complaints/{waiting}/sla")
        assert {c["name"]: c["state"] for c in paused["clocks"]}["resolution"] == "paused"

        deadline = due_at.timestamp() + SLACK_SECONDS + 20  # wait past the slack: lateness is asserted below
        while time.time() < deadline and len([a for a in alerts(stack) if a["message"].get("reference") == untouched
                                              and a["attributes"].get("type") == "sla_breach"]) == 0:
            time.sleep(0.5)

        mine = [a for a in alerts(stack) if a["message"].get("reference") == untouched]
        by_type = {a["attributes"]["type"]: a for a in mine}
        assert {"sla_warning", "sla_breach"} <= set(by_type), mine
        for kind, expected in (("sla_warning", warning_at), ("sla_breach", due_at)):
            alert = by_type[kind]
            published = datetime.fromisoformat(alert["at"].replace("Z", "+00:00"))
            lateness = (published - expected).total_seconds()
            assert -1 <= lateness <= SLACK_SECONDS, (kind, lateness)
            assert alert["attributes"]["severity"] == "critical" and alert["attributes"]["level"] in ("L1", "L2")
            assert alert["attributes"]["team"] and alert["attributes"]["category"]
            assert untouched in alert["subject"]
            print(f"\n{kind}: published {lateness:.1f} s after its due time")
        quiet = [a for a in alerts(stack) if a["message"].get("reference") in (answered, waiting)]
        assert quiet == [], quiet
        explained = staff(stack, "GET", f"/complaints/{untouched}/sla")
        breached = next(c for c in explained["clocks"] if c["name"] == "first_response")
        assert breached["state"] == "breached" and breached["reason"], breached
        assert explained["breached"] is True


def _wait_stored(stack, reference: str, timeout: float = 15) -> None:
    headers = {"Authorization": f"Bearer {stack.endpoints['agent_token']}"}
    deadline = time.monotonic() + timeout
    while requests.get(f"{stack.endpoints['api_url']}/staff/complaints/{reference}", headers=headers,
                       timeout=5).status_code != 200:
        assert time.monotonic() < deadline, f"{reference} was not stored"
        time.sleep(0.2)
