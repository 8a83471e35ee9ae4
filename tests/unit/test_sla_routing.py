"""Skill routing: category -> team, then the least actively loaded available agent with the skill."""
from datetime import timedelta

from chalicelib.sla.clocks import MET, PAUSED, RUNNING, Clock, SlaClocks
from chalicelib.sla.config import DEFAULT_PATH, Agent, Team, default_config, parse_config
from chalicelib.sla.routing import Assignment, active_load, assign, pick_agent

H = timedelta(hours=1)


def team(*agents):
    return Team(calendar="24x7", lead="lead", manager="manager", agents=list(agents))


def agent(id, *skills, available=True):
    return Agent(id=id, skills=list(skills), available=available)


BILLING = team(agent("alice", "billing"), agent("bob", "billing", "delivery"), agent("carol", "billing"))


def test_only_agents_with_the_skill_are_candidates():
    squad = team(agent("alice", "delivery"), agent("bob", "billing"))
    assert pick_agent("t", squad, "billing", {}).agent == "bob"
    assert pick_agent("t", squad, "delivery", {}).agent == "alice"


def test_unavailable_agents_are_skipped():
    squad = team(agent("alice", "billing", available=False), agent("bob", "billing"))
    assert pick_agent("t", squad, "billing", {"bob": 5}).agent == "bob"


def test_no_available_agent_leaves_the_complaint_with_the_team():
    squad = team(agent("alice", "billing", available=False), agent("bob", "billing", available=False))
    assert pick_agent("billing", squad, "billing", {}) == Assignment(
        "billing", None,
        "no available agent with skill 'billing' in team billing (2 with the skill are unavailable); "
        "left in the team queue",
    )
    nobody = pick_agent("billing", team(agent("dan", "delivery")), "billing", {})
    assert nobody.agent is None and "nobody has the skill" in nobody.reason


def test_the_least_loaded_agent_wins():
    result = pick_agent("billing", BILLING, "billing", {"alice": 3, "bob": 1, "carol": 2})
    assert result == Assignment("billing", "bob", "least loaded available agent with skill 'billing' (1 open)")


def test_ties_are_broken_round_robin_after_the_last_assigned_agent():
    even = {"alice": 1, "bob": 1, "carol": 1}
    assert pick_agent("billing", BILLING, "billing", even, last_assigned=None).agent == "alice"
    assert pick_agent("billing", BILLING, "billing", even, last_assigned="alice").agent == "bob"
    assert pick_agent("billing", BILLING, "billing", even, last_assigned="bob").agent == "carol"
    assert pick_agent("billing", BILLING, "billing", even, last_assigned="carol").agent == "alice"  # wraps around
    assert pick_agent("billing", BILLING, "billing", even, last_assigned="someone-gone").agent == "alice"
    # Only alice and carol tie: after bob comes carol.
    result = pick_agent("billing", BILLING, "billing", {"alice": 0, "bob": 4, "carol": 0}, last_assigned="bob")
    assert result.agent == "carol"
    assert result.reason == ("least loaded available agent with skill 'billing' (0 open); "
                             "tie with alice broken round-robin (last assigned: bob)")


def test_round_robin_spreads_a_stream_of_assignments_evenly():
    load, cursor, picks = {}, None, []
    for _ in range(6):
        cursor = pick_agent("billing", BILLING, "billing", load, cursor).agent
        load[cursor] = load.get(cursor, 0) + 1
        picks.append(cursor)
    assert picks == ["alice", "bob", "carol", "alice", "bob", "carol"]


def _clocks(*states):
    clocks = [Clock(name, state, H, running=state == RUNNING) for name, state in
              zip(("first_response", "next_update", "resolution"), states)]
    return SlaClocks(*clocks)


def test_active_load_counts_only_complaints_with_a_running_clock():
    assigned = [
        ("alice", _clocks(RUNNING, "not_started", RUNNING)),
        ("alice", _clocks(MET, "not_started", MET)),  # resolved
        ("alice", _clocks(PAUSED, "not_started", PAUSED)),  # waiting on the customer
        ("bob", _clocks(MET, RUNNING, RUNNING)),
        ("bob", _clocks(MET, MET, RUNNING)),
        (None, _clocks(RUNNING, "not_started", RUNNING)),  # unassigned
    ]
    load = active_load(assigned)
    assert load == {"alice": 1, "bob": 2}
    assert pick_agent("billing", BILLING, "billing", load | {"carol": 3}).agent == "alice"


def test_assign_routes_by_category_then_skill():
    config = default_config()
    result = assign("billing", config, {"billing-agent-1": 2, "billing-agent-2": 1})
    assert (result.team, result.agent) == ("billing", "billing-agent-2")
    fallback = assign("warranty", config, {})
    assert fallback.team == "customer-care" and fallback.agent is None
    assert fallback.reason.startswith("no routing rule for 'warranty', fallback team; no available agent with skill")


def test_a_skills_mapping_lets_one_skill_cover_several_categories():
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("[routing.skills]", '[routing.skills]\npolicy = "general"')
    first_agent = '{ id = "cc-agent-1", skills = ["general", "service_attitude", "policy"]'
    assert first_agent in text
    text = text.replace(first_agent, '{ id = "cc-agent-1", skills = ["service_attitude"]')
    config = parse_config(text)
    assert assign("policy", config, {}).agent == "cc-agent-2"  # cc-agent-1 no longer has 'general'


def test_the_directory_is_the_roster_once_it_has_members_in_the_team():
    from datetime import datetime, timedelta, timezone

    from chalicelib.domain.staff import StaffMember
    from chalicelib.sla.config import Agent, Team
    from chalicelib.sla.routing import with_directory

    now = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)
    team = Team(calendar="24x7", lead="l", manager="m", agents=[Agent(id="a1", skills=["billing"]),
                                                                   Agent(id="a2", skills=["billing"])])
    assert with_directory(team, [], now) == team  # no members yet: the configuration's agents
    members = [
        StaffMember("a2", "A2", "a2@example.com", teams=("t",), away=True, away_until=now - timedelta(minutes=1)),
        StaffMember("a1", "A1", "a1@example.com", teams=("t",), away=True, away_until=now + timedelta(hours=1)),
        StaffMember("z9", "Z9", "z9@example.com", teams=("t",), skills=("billing", "vip"), active=False),
        StaffMember("b5", "B5", "b5@example.com", teams=("t",), skills=("vip",)),
    ]
    roster = with_directory(team, members, now)
    assert [(a.id, a.skills, a.available) for a in roster.agents] == [
        ("a1", ["billing"], False),  # away for another hour; skills from the configuration when it lists none
        ("a2", ["billing"], True),  # the absence ended
        ("b5", ["vip"], True),
        ("z9", ["billing", "vip"], False),  # deactivated
    ]
