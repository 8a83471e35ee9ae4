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


def test_an_agent_takes_an_unassigned_complaint_of_their_own_team_only(client, aws):
    directory = services.staff
    for configured in ("billing-agent-1", "billing-agent-2"):
        directory.add(StaffMember(configured, configured, f"{configured}@example.com", teams=("billing",), away=True))
    directory.add(StaffMember("li.wei", "Li Wei", "li.wei@example.com", teams=("billing",), skills=("vip",)))
    directory.add(StaffMember("sam", "Sam", "sam@example.com", teams=("logistics",)))
    reference = submitted(client, aws, category="billing", email="e@example.com")
    assert assignee(client, reference) is None  # in the billing queue

    elsewhere = post_json(client, f"/staff/complaints/{reference}/take", {}, staff_headers("agent", "sam"))
    assert elsewhere.status_code == 403 and "team billing" in json.loads(elsewhere.body)["message"]
    taken = post_json(client, f"/staff/complaints/{reference}/take", {}, staff_headers("agent", "li.wei"))
    assert taken.status_code == 200, taken.body
    assert assignee(client, reference) == "li.wei"
    again = post_json(client, f"/staff/complaints/{reference}/take", {}, staff_headers("agent", "billing-agent-1"))
    assert again.status_code == 403 and "assigned to li.wei" in json.loads(again.body)["message"]


def test_canned_responses_come_filled_in_for_the_complaint_and_its_team(client, aws):
    services.staff.add(StaffMember("li.wei", "Li Wei", "li.wei@example.com", teams=("billing",)))
    reference = submitted(client, aws, category="billing", email="f@example.com", name="Wang Fang", language="zh")
    answer = client.http.get(f"/staff/complaints/{reference}/canned-responses", headers=staff_headers("agent", "li.wei"))
    items = json.loads(answer.body)["items"]
    assert [i["title"] for i in items] == ["正在处理", "We are looking into it", "Refund issued"]  # Chinese first
    assert items[0]["text"].startswith("Wang Fang，您好") and reference in items[0]["text"]
    assert items[2]["text"].endswith("Li Wei, billing")
    other = submitted(client, aws, category="delivery", email="g@example.com")
    titles = [i["title"] for i in json.loads(client.http.get(f"/staff/complaints/{other}/canned-responses",
                                                            headers=MANAGER).body)["items"]]
    assert "Refund issued" not in titles  # billing's only
