"""The inbox's views on the fake repository: which lanes each reads, merged pages in order without repeats or gaps,
the read bounds, filters, search, and what a row shows."""
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain import inbox
from chalicelib.domain.inbox import NOBODY, Filters, plan, read_page, reply_state, search, sla_state, sort_rows, views_for
from chalicelib.domain.model import Channel, Sender, Status
from chalicelib.domain.ports import INDEX_SHARDS, UNASSIGNED, Lane, lanes_of
from chalicelib.domain.staff import StaffMember
from tests.fakes import T0, InMemoryComplaintRepository, make_complaint

NOW = T0
TEAMS = ("billing", "logistics", "customer-care")
AGENT = StaffMember("agent-1", "Alex", "alex@example.com", teams=("billing", "logistics"))
MANAGER = StaffMember("mgr", "Mei", "mei@example.com", role="manager")


@pytest.fixture
def repo():
    return InMemoryComplaintRepository()


def add(repo, n, **fields):
    fields.setdefault("first_response_due_at", NOW + timedelta(hours=n))
    complaint = make_complaint(f"CMP-20261122-{n:05d}", created_at=fields.pop("created_at", NOW - timedelta(
        minutes=n)), **fields)
    repo.complaints[complaint.reference] = complaint
    return complaint


def walk(repo, the_plan, limit):
    """Every page of a plan: the references per page."""
    pages, cursor = [], None
    while True:
        result = read_page(repo, the_plan, limit, cursor)
        pages.append([c.reference[-5:] for c in result.rows])
        cursor = result.cursor
        if cursor is None:
            return pages


def test_agents_have_every_view_but_all():
    assert "all" not in views_for("agent")
    assert views_for("manager") == inbox.VIEWS == views_for("admin")


def test_mine_pages_through_my_open_complaints_soonest_deadline_first(repo):
    for n in (4, 1, 3, 2, 5):
        add(repo, n, assignee="agent-1")
    add(repo, 6, assignee="agent-2")
    add(repo, 7, assignee="agent-1", status=Status.RESOLVED)
    assert walk(repo, plan("mine", AGENT, TEAMS, NOW), 2) == [["00001", "00002"], ["00003", "00004"], ["00005"]]


def test_unassigned_merges_my_teams_in_deadline_order_and_skips_assigned_ones(repo):
    for n in range(1, 13):
        add(repo, n, team=("billing", "logistics", "customer-care")[n % 3], assignee="agent-9" if n % 4 == 0 else None)
    pages = walk(repo, plan("unassigned", AGENT, TEAMS, NOW), 3)
    expected = [f"{n:05d}" for n in range(1, 13) if n % 3 != 2 and n % 4 != 0]  # not customer-care, not assigned
    assert [ref for page in pages for ref in page] == expected
    assert all(len(page) == 3 for page in pages[:-1])


def test_the_first_page_counts_up_to_a_page_and_says_when_there_are_more(repo):
    for n in range(1, 5):
        add(repo, n, team="billing")
    assert read_page(repo, plan("all", MANAGER, TEAMS, NOW), 3).count == "3+"
    assert read_page(repo, plan("all", MANAGER, TEAMS, NOW), 4).count == "4"
    assert read_page(repo, plan("all", MANAGER, TEAMS, NOW), 5).count == "4"


def test_a_merged_first_page_reads_about_a_page_whatever_the_backlog(repo):
    for n in range(1, 501):
        add(repo, n, team=TEAMS[n % 3])
    the_plan = plan("all", MANAGER, TEAMS, NOW)
    result = read_page(repo, the_plan)
    assert [c.reference[-5:] for c in result.rows] == [f"{n:05d}" for n in range(1, 26)]
    # a page and a first chunk of each lane (a shard of a team); a second chunk of a few
    assert repo.lane_reads == result.read <= inbox.PAGE_SIZE + 2 * inbox.MIN_CHUNK * len(the_plan.lanes)


def test_a_filter_the_index_cannot_serve_stops_at_the_cap_and_next_page_goes_on(repo):
    for n in range(1, 201):
        add(repo, n, team="billing", assignee=None if n in (3, 190) else "agent-9")
    first_plan = replace(plan("all", AGENT, ("billing",), NOW, Filters(assignee=NOBODY)), cap=60)
    first = read_page(repo, first_plan, 5)
    assert [c.reference[-5:] for c in first.rows] == ["00003"] and first.capped and first.count == "1+"
    assert first.read <= 60
    pages = walk(repo, first_plan, 5)
    assert [ref for page in pages for ref in page] == ["00003", "00190"]  # Next page goes on where the cap stopped
    assert len(pages) > 2  # (capped pages in between)


def test_due_is_what_falls_due_within_four_hours_and_what_is_late(repo):
    add(repo, 1, team="billing", first_response_due_at=NOW - timedelta(days=3), breached=True, next_due_at=None)
    add(repo, 2, team="billing", first_response_due_at=NOW + timedelta(hours=3))
    add(repo, 3, team="logistics", first_response_due_at=NOW + timedelta(hours=5))
    add(repo, 4, team="customer-care", first_response_due_at=NOW + timedelta(hours=1))  # not my team
    assert walk(repo, plan("due", AGENT, TEAMS, NOW), 10) == [["00001", "00002"]]


def test_review_reads_spam_and_invalid_newest_first_and_a_status_filter_reads_one_lane(repo):
    add(repo, 1, status=Status.SPAM, created_at=NOW - timedelta(hours=1))
    add(repo, 2, status=Status.INVALID, created_at=NOW - timedelta(hours=2))
    add(repo, 3, status=Status.SPAM, created_at=NOW - timedelta(hours=3))
    assert walk(repo, plan("review", AGENT, TEAMS, NOW), 2) == [["00001", "00002"], ["00003"]]
    only_spam = plan("review", AGENT, TEAMS, NOW, Filters(statuses=("spam",)))
    assert only_spam.lanes == lanes_of("status", "spam") and len(only_spam.lanes) == INDEX_SHARDS
    assert walk(repo, only_spam, 5) == [["00001", "00003"]]


def test_the_other_views_read_their_own_index(repo):
    assert plan("triage", AGENT, TEAMS, NOW).lanes == (Lane("triage", "needs_triage"),)
    assert plan("waiting", AGENT, TEAMS, NOW).lanes == lanes_of("status", "waiting_on_customer")
    assert plan("duplicates", AGENT, TEAMS, NOW).lanes == lanes_of("status", "duplicate")
    assert plan("all", MANAGER, TEAMS, NOW).lanes == tuple(
        Lane("team", t, shard) for t in sorted(TEAMS) for shard in range(INDEX_SHARDS))  # each team's shards
    assert plan("unassigned", MANAGER, TEAMS, NOW).lanes == tuple(
        Lane("assignee", UNASSIGNED + t) for t in sorted(TEAMS))  # served by the index: no filtering
    assert plan("unassigned", replace(AGENT, teams=()), TEAMS, NOW).lanes == ()  # an agent in no team
    assert plan("all", MANAGER, TEAMS, NOW, Filters(team="billing")).lanes == lanes_of("team", "billing")
    with pytest.raises(ValueError):
        plan("everything", AGENT, TEAMS, NOW)


def test_filters_apply_to_the_rows_across_pages(repo):
    for n in range(1, 11):
        add(repo, n, team="billing", assignee="agent-1", priority="P1" if n % 2 else "P3",
            channel=Channel.EMAIL if n > 5 else Channel.WEB)
    chosen = Filters(priority="P1", channel="email")
    assert walk(repo, plan("mine", AGENT, TEAMS, NOW, chosen), 1) == [["00007"], ["00009"]]
    assert walk(repo, plan("mine", AGENT, TEAMS, NOW, Filters(assignee=inbox.NOBODY)), 5) == [[]]
    assert not Filters().active and Filters(category="billing").active


def test_a_cursor_we_did_not_issue_reads_the_first_page(repo):
    add(repo, 1, assignee="agent-1")
    for cursor in ("garbage", "eyJsIjogMX0", "x" * 5000):
        assert [c.reference for c in read_page(repo, plan("mine", AGENT, TEAMS, NOW), 5, cursor).rows] == [
            "CMP-20261122-00001"]


def test_search_tells_a_reference_an_email_a_phone_and_words_apart(repo):
    assert (search(" cmp-20261122-7qf3k ", NOW).kind, search("cmp-20261122-7qf3k", NOW).value) == (
        "reference", "CMP-20261122-7QF3K")
    by_email = search("Ada@Example.com", NOW)
    assert (by_email.kind, by_email.plan.lanes) == ("email", (Lane("email", "ada@example.com"),))
    by_phone = search("+44 20 7946 0958", NOW)
    assert (by_phone.kind, by_phone.plan.lanes) == ("phone", (Lane("phone", "+442079460958"),))
    assert search("   ", NOW).kind == "empty"
    words = search("parcel  4411", NOW)
    assert words.kind == "words" and words.plan.cap == inbox.SEARCH_READ_CAP
    assert words.plan.lanes == (Lane("month", "2026-11"),)
    assert search("x", NOW.replace(day=3)).plan.lanes == (Lane("month", "2026-11"), Lane("month", "2026-10"))


def test_word_search_reads_the_last_week_only(repo):
    add(repo, 1, subject="Parcel lost", description="Where is it?", created_at=NOW - timedelta(days=1))
    add(repo, 2, description="the PARCEL 4411 never came", created_at=NOW - timedelta(days=2))
    add(repo, 3, subject="Refund", description="no parcel here", created_at=NOW - timedelta(days=3))
    add(repo, 4, subject="Parcel 4411", created_at=NOW - timedelta(days=8))  # outside the window
    add(repo, 5, sender=Sender(email="bob@example.com"), created_at=NOW - timedelta(days=30))
    assert walk(repo, search("parcel 4411", NOW).plan, 5) == [["00002"]]
    assert walk(repo, search("bob@example.com", NOW).plan, 5) == [["00005"]]


@pytest.mark.parametrize("fields, state, overdue, parts", [
    ({"first_response_due_at": NOW + timedelta(days=2, hours=3, minutes=5)}, "on_track", False, (2, 3, 5)),
    ({"first_response_due_at": NOW + timedelta(hours=3, minutes=20)}, "due_soon", False, (0, 3, 20)),
    ({"first_response_due_at": NOW - timedelta(minutes=45)}, "breached", True, (0, 0, 45)),
    ({"first_response_due_at": NOW + timedelta(hours=9), "breached": True}, "breached", False, (0, 9, 0)),
    ({"first_response_at": NOW, "resolution_due_at": NOW + timedelta(hours=1)}, "due_soon", False, (0, 1, 0)),
    ({"status": Status.WAITING_ON_CUSTOMER, "first_response_at": NOW, "resolution_due_at": NOW + timedelta(days=1)},
     "paused", False, (1, 0, 0)),
    ({"status": Status.CLOSED}, "none", False, (0, 0, 0)),
])
def test_a_rows_sla_state_and_time_left(fields, state, overdue, parts):
    shown = sla_state(make_complaint(**fields), NOW)
    assert (shown.state, shown.overdue, (shown.days, shown.hours, shown.minutes)) == (state, overdue, parts)


def test_a_row_says_whether_the_customer_waits_for_a_reply():
    assert reply_state(make_complaint()) == "no_reply"
    assert reply_state(make_complaint(first_response_at=NOW)) is None
    assert reply_state(make_complaint(first_response_at=NOW, customer_wrote_at=NOW)) == "wrote_again"
    assert reply_state(make_complaint(status=Status.CLOSED, customer_wrote_at=NOW)) is None


def test_rows_sort_within_the_page():
    a = make_complaint("CMP-20261122-AAAAA", first_response_due_at=NOW + timedelta(hours=2),
                       created_at=NOW - timedelta(hours=1))
    b = make_complaint("CMP-20261122-BBBBB", first_response_due_at=NOW + timedelta(hours=1),
                       created_at=NOW - timedelta(hours=2), updated_at=NOW)
    assert [c.reference[-1] for c in sort_rows([a, b], "due")] == ["B", "A"]
    assert [c.reference[-1] for c in sort_rows([b, a], "created")] == ["A", "B"]
    assert [c.reference[-1] for c in sort_rows([a, b], "updated")] == ["B", "A"]


def test_queue_due_is_there_for_every_open_complaint_only():
    late = make_complaint(first_response_due_at=NOW - timedelta(days=5), next_due_at=None)
    assert inbox.queue_due(late) == NOW - timedelta(days=5)
    assert inbox.queue_due(make_complaint(first_response_due_at=None, resolution_due_at=None)) == T0
    assert inbox.queue_due(make_complaint(status=Status.SPAM)) is None


def test_a_filtered_read_grows_its_chunks_and_shares_the_cap_between_lanes(repo):
    for n in range(1, 201):
        add(repo, n, team=("billing", "logistics")[n % 2], assignee=None if n % 10 == 0 else "agent-9")
    calls = []
    real = repo.read_lane

    def counted(lane, limit, after=None, bound=None, fetch=True):
        calls.append((lane.key, limit))
        return real(lane, limit, after, bound, fetch)

    repo.read_lane = counted
    unassigned = Filters(assignee=NOBODY)
    the_plan = replace(plan("all", AGENT, ("billing", "logistics"), NOW, unassigned), cap=100)
    result = read_page(repo, the_plan, 25)
    assert result.capped and result.read <= max(100, inbox.MIN_CHUNK * len(the_plan.lanes) + 25)
    assert len(calls) <= 2 * len(the_plan.lanes)
    assert {key for key, _ in calls} == {"billing", "logistics"}  # neither team starved by the other
    assert [c.reference[-5:] for c in result.rows] == [f"{n:05d}" for n in range(10, 201, 10)][:len(result.rows)]
    assert len(result.rows) >= 4


def test_the_unassigned_view_reads_only_what_it_shows(repo):
    for n in range(1, 41):
        add(repo, n, team="billing", assignee=None if n in (3, 38) else "agent-9")
    page = read_page(repo, plan("unassigned", AGENT, TEAMS, NOW), 5)
    assert [c.reference[-5:] for c in page.rows] == ["00003", "00038"] and page.read <= 2 + len(AGENT.teams)


def test_a_count_reads_positions_only_unless_the_plan_filters(repo):
    fetched = []
    real = repo.read_lane

    def recorded(lane, limit, after=None, bound=None, fetch=True):
        fetched.append(fetch)
        return real(lane, limit, after, bound, fetch)

    repo.read_lane = recorded
    repo.complaints["CMP-1"] = make_complaint("CMP-1", assignee=None, team="billing")
    unassigned = plan("unassigned", AGENT, TEAMS, NOW)
    assert read_page(repo, unassigned, rows=False).count == read_page(repo, unassigned).count == "1"
    read_page(repo, plan("unassigned", AGENT, TEAMS, NOW, Filters(priority="P1")), rows=False)
    # a lane per team: counted and shown from index positions (the page's rows fetched after the merge), filtered
    assert fetched == [False] * 2 + [False] * 2 + [True] * 2
