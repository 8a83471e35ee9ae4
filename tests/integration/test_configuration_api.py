"""Run-time configuration through the API on moto: admins only, field-level refusals that save nothing, a change
that new complaints get without a redeploy, the audit trail, and one-step rollback."""
import json

import pytest

from chalicelib.sla.config import DEFAULT_PATH
from chalicelib.wiring import services
from tests.integration.conftest import post_json, staff_headers
from tests.integration.test_staff_api import submitted

ADMIN = staff_headers("admin", "admin-1")
PATH = "/staff/config/sla"
FILE = DEFAULT_PATH.read_text(encoding="utf-8")
SHORTER_P3 = FILE.replace('first_response = "8h", next_update = "1d", resolution = "3d"',
                          'first_response = "2h", next_update = "1d", resolution = "3d"')


def body(response):
    return json.loads(response.body)


def first_response_target(client, reference) -> str:
    sla = body(client.http.get(f"/complaints/{reference}/sla", headers=ADMIN))
    return next(c["target"] for c in sla["clocks"] if c["name"] == "first_response")


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_admins_see_or_change_the_configuration(client, aws, role):
    headers = staff_headers(role)
    assert client.http.get(PATH, headers=headers).status_code == 403
    refused = post_json(client, PATH, {"text": SHORTER_P3, "expected_version": 1}, headers)
    assert refused.status_code == 403
    assert body(client.http.get(PATH, headers=ADMIN))["version"] == 1


def test_a_saved_target_applies_to_the_next_complaint_and_rolls_back_in_one_step(client, aws):
    before = submitted(client, aws, category="general")
    assert first_response_target(client, before) == "8h"
    current = body(client.http.get(PATH, headers=ADMIN))
    assert (current["version"], current["action"], current["text"]) == (1, "imported", FILE)

    preview = body(post_json(client, f"{PATH}/preview", {"text": SHORTER_P3}, ADMIN))
    assert preview["changed"] and any("8h -> 2h (shorter)" in e for e in preview["effects"])
    assert "customer-care 1" in preview["effects"][-1]  # the open complaint above, counted

    saved = post_json(client, PATH, {"text": SHORTER_P3, "expected_version": 1, "note": "faster replies"}, ADMIN)
    assert saved.status_code == 200, saved.body
    assert (body(saved)["version"], body(saved)["saved_by"]) == (2, "admin-1")
    after = submitted(client, aws, category="general", email="grace@example.com")
    assert first_response_target(client, after) == "2h"

    stale = post_json(client, PATH, {"text": FILE, "expected_version": 1}, ADMIN)
    assert stale.status_code == 409 and "saved by admin-1" in body(stale)["message"]

    back = post_json(client, f"{PATH}/rollback", {"expected_version": 2}, ADMIN)
    assert back.status_code == 200 and body(back)["action"] == "rolled_back"
    services.reset()  # another container: reads the store afresh
    later = submitted(client, aws, category="general", email="alan@example.com")
    assert first_response_target(client, later) == "8h"

    history = body(client.http.get(f"{PATH}/history?limit=2", headers=ADMIN))
    assert [(v["version"], v["action"], v["saved_by"]) for v in history["versions"]] == [
        (3, "rolled_back", "admin-1"), (2, "saved", "admin-1")]
    assert history["next_before"] == 2 and history["versions"][1]["note"] == "faster replies"
    older = body(client.http.get(f"{PATH}/history?before=2", headers=ADMIN))
    assert [v["version"] for v in older["versions"]] == [1] and older["next_before"] is None
    assert body(client.http.get(f"{PATH}/versions/2", headers=ADMIN))["text"] == SHORTER_P3


def test_a_bad_calendar_is_refused_at_its_field_and_nothing_changes(client, aws):
    bad = FILE.replace('mon = "09:00-17:00"', 'mon = "17:00-09:00"')
    for path, payload in ((f"{PATH}/preview", {"text": bad}), (PATH, {"text": bad, "expected_version": 1})):
        refused = post_json(client, path, payload, ADMIN)
        assert refused.status_code == 400
        assert list(body(refused)["fields"]) == ["calendars.uk-office.hours"], body(refused)
    history = body(client.http.get(f"{PATH}/history", headers=ADMIN))
    assert [v["version"] for v in history["versions"]] == [1]


def test_the_command_exports_previews_and_imports_a_file(aws, tmp_path):
    from infra.configuration import main

    lines: list[str] = []
    exported = tmp_path / "sla.toml"
    assert main(["--aws", "export", str(exported)], out=lines.append) == 0
    assert exported.read_text() == FILE and "wrote version 1" in lines[-1]

    exported.write_text(SHORTER_P3)
    lines.clear()
    assert main(["--aws", "import", str(exported)], out=lines.append) == 0
    printed = "\n".join(lines)
    assert any(line.startswith("+") and 'first_response = "2h"' in line for line in lines[0].splitlines())
    assert "8h -> 2h (shorter)" in printed and "Preview only" in printed
    assert main(["--aws", "import", str(exported), "--apply", "--note", "from git"], out=lines.append) == 0
    assert "saved as version 2" in lines[-1]
    assert services.live_config.version().note == "from git"

    exported.write_text(FILE.replace("Europe/London", "Europe/Londn"))
    lines.clear()
    assert main(["--aws", "import", str(exported), "--apply"], out=lines.append) == 1
    assert "nothing was saved" in lines[0] and lines[1].startswith("  calendars.uk-office.timezone: unknown timezone")
    assert services.live_config.version().version == 2
