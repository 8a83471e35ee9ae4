"""Routing and assignment use the staff directory on moto: an invited agent with the skill gets the category's new
complaints while available, none while away; deactivated members cannot be assigned."""
import json

from chalicelib.domain.staff import StaffMember
from chalicelib.wiring import services
from tests.integration.conftest import post_json, staff_headers
from tests.integration.test_staff_api import submitted

MANAGER = staff_headers("manager", "mgr-1")


def assignee(client, reference) -> str | None:
    view = json.loads(client.http.get(f"/staff/complaints/{reference}", headers=MANAGER).body)
    return view["complaint"]["assignee"]


def test_an_invited_agent_gets_complaints_while_available(client, aws):
    directory = services.staff
    for configured in ("billing-agent-1", "billing-agent-2"):  # the configuration's agents, away in the directory
        directory.add(StaffMember(configured, configured, f"{configured}@example.com", teams=("billing",), away=True))
    directory.add(StaffMember("li.wei", "Li Wei", "li.wei@example.com", teams=("billing",), skills=("billing",)))

    first = submitted(client, aws, category="billing", email="a@example.com")
    assert assignee(client, first) == "li.wei"

    directory.set_availability("li.wei", away=True)
    second = submitted(client, aws, category="billing", email="b@example.com")
    assert assignee(client, second) is None  # nobody available: the team's queue

    directory.set_availability("billing-agent-2", away=False)
    third = submitted(client, aws, category="billing", email="c@example.com")
    assert assignee(client, third) == "billing-agent-2"


def test_assignment_takes_active_members_of_the_team_only(client, aws):
    directory = services.staff
    directory.add(StaffMember("li.wei", "Li Wei", "li.wei@example.com", teams=("billing",), skills=("billing",)))
    gone = directory.add(StaffMember("old.hand", "Old Hand", "old@example.com", teams=("billing",)))
    directory.update(StaffMember(**{**gone.__dict__, "active": False}), gone.version)
    reference = submitted(client, aws, category="billing", email="d@example.com")
    ok = post_json(client, f"/staff/complaints/{reference}/assignment", {"assignee": "li.wei"}, MANAGER)
    assert ok.status_code == 200, ok.body
    refused = post_json(client, f"/staff/complaints/{reference}/assignment", {"assignee": "old.hand"}, MANAGER)
    assert refused.status_code == 400 and "old.hand" in json.loads(refused.body)["fields"]["assignee"]
