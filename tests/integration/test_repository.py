"""The DynamoDB repository against moto: mapping, the access-pattern indexes, locking, and no Scans."""
from datetime import timedelta
from unittest import mock

import pytest
from pynamodb.connection.base import Connection
from pynamodb.models import Model

from chalicelib.adapters.dynamo_repository import DynamoComplaintRepository
from chalicelib.domain.errors import ConcurrentModification, InvalidCommand, NotFound
from chalicelib.domain.lifecycle import CUSTOMER as CUSTOMER_ACTOR, Actor, Command, apply
from chalicelib.domain.model import Attachment, Channel, Event, Sender, Status, Visibility
from chalicelib.domain.inbox import Plan, read_page
from chalicelib.domain.ports import UNASSIGNED, ComplaintQuery, Lane, lanes_of, shard_of
from tests.fakes import T0, make_complaint

ADA = Sender(name="Ada Lovelace", email="ada@example.com", phone="+442079460958")
AGENT = Actor("agent-1", "agent")


@pytest.fixture
def repo(aws):
    return DynamoComplaintRepository()


def store(repo, reference, **fields):
    complaint = make_complaint(reference, **fields)
    received = Event(reference, 1, complaint.created_at, "received", "system", "system", Visibility.PUBLIC)
    assert repo.create(complaint, [received], f"{complaint.channel.value}#{reference}")
    return complaint


def act(repo, reference, command, actor=AGENT, at=T0):
    changed, event = apply(repo.get(reference), command, actor, at)
    repo.save(changed, event)
    return changed


def test_a_complaint_round_trips_unchanged(repo):
    original = store(
        repo, "CMP-20261122-AAAAA", sender=ADA, language="zh", subject="包裹丢失", description="快递三天没到。",
        classification={"category": "delivery", "confidence": 0.75, "signals": ["x"]},
        attachments=(Attachment("label.jpg", "image/jpeg", 2048, "uploads/label.jpg"),), token_hash="ab" * 32,
        screening_reason=None,
    )
    assert repo.get(original.reference) == original
    assert repo.find("CMP-20261122-ZZZZZ") is None
    with pytest.raises(NotFound):
        repo.get("CMP-20261122-ZZZZZ")
    assert [(e.seq, e.type) for e in repo.history(original.reference)] == [(1, "received")]


def test_a_dedup_key_is_claimed_once(repo):
    store(repo, "CMP-20261122-AAAAA")
    twin = make_complaint("CMP-20261122-BBBBB")
    received = Event(twin.reference, 1, T0, "received", "system", "system")
    assert repo.create(twin, [received], "web#CMP-20261122-AAAAA") is False
    assert repo.find("CMP-20261122-BBBBB") is None and repo.history("CMP-20261122-BBBBB") == []
    assert repo.reference_for_message("web#CMP-20261122-AAAAA") == "CMP-20261122-AAAAA"
    assert repo.reference_for_message("web#unknown") is None


def test_for_customer_finds_complaints_by_email_and_by_phone_across_channels(repo):
    store(repo, "CMP-20261120-WEB01", channel=Channel.WEB, sender=Sender("Ada", "ada@example.com"),
          created_at=T0 - timedelta(days=2))
    store(repo, "CMP-20261121-SMS01", channel=Channel.SMS, sender=Sender(phone="+442079460958"),
          created_at=T0 - timedelta(days=1))
    store(repo, "CMP-20261122-EML01", channel=Channel.EMAIL, sender=ADA, created_at=T0)
    store(repo, "CMP-20261122-OTHER", sender=Sender("Bob", "bob@example.com", "+12124567890"))

    def refs(found):
        return [c.reference for c in found]

    assert refs(repo.for_customer("ada@example.com", None)) == ["CMP-20261122-EML01", "CMP-20261120-WEB01"]
    assert refs(repo.for_customer(None, "+442079460958")) == ["CMP-20261122-EML01", "CMP-20261121-SMS01"]
    assert refs(repo.for_customer("ada@example.com", "+442079460958")) == [
        "CMP-20261122-EML01", "CMP-20261121-SMS01", "CMP-20261120-WEB01",
    ]
    assert refs(repo.for_customer("ada@example.com", "+442079460958", limit=2)) == [
        "CMP-20261122-EML01", "CMP-20261121-SMS01",
    ]
    assert repo.for_customer("nobody@example.com", None) == [] and repo.for_customer(None, None) == []


def test_open_for_team_lists_open_complaints_soonest_due_first_and_drops_resolved_ones(repo):
    store(repo, "CMP-20261122-LATER", next_due_at=T0 + timedelta(hours=8))
    store(repo, "CMP-20261122-SOON0", next_due_at=T0 + timedelta(hours=1))
    store(repo, "CMP-20261122-MIDDL", next_due_at=T0 + timedelta(hours=4), status=Status.WAITING_ON_CUSTOMER)
    store(repo, "CMP-20261122-DONE0", next_due_at=T0 + timedelta(minutes=5))
    store(repo, "CMP-20261122-BILL0", team="billing", category="billing", next_due_at=T0)
    store(repo, "CMP-20261122-SPAM0", team=None, status=Status.INVALID, next_due_at=None)

    def refs(found):
        return [c.reference for c in found]

    assert refs(repo.open_for_team("logistics")) == [
        "CMP-20261122-DONE0", "CMP-20261122-SOON0", "CMP-20261122-MIDDL", "CMP-20261122-LATER",
    ]
    act(repo, "CMP-20261122-DONE0", Command("resolve", resolution_code="fixed", root_cause="process"))
    assert refs(repo.open_for_team("logistics")) == ["CMP-20261122-SOON0", "CMP-20261122-MIDDL", "CMP-20261122-LATER"]
    assert refs(repo.open_for_team("logistics", due_before=T0 + timedelta(hours=4))) == [
        "CMP-20261122-SOON0", "CMP-20261122-MIDDL",
    ]
    assert refs(repo.open_for_team("logistics", limit=1)) == ["CMP-20261122-SOON0"]
    assert refs(repo.open_for_team("billing")) == ["CMP-20261122-BILL0"]
    # Reopening brings it back into the team's queue (due at its first-response deadline: nobody answered yet).
    act(repo, "CMP-20261122-DONE0", Command("reopen", message="not fixed"), Actor("mgr", "manager"))
    assert "CMP-20261122-DONE0" in refs(repo.open_for_team("logistics", due_before=T0 + timedelta(hours=8)))


def test_for_category_within_a_date_range(repo):
    for day in (1, 10, 20, 30):
        store(repo, f"CMP-202611{day:02d}-BILL0", category="billing", team="billing",
              created_at=T0.replace(day=day))
    store(repo, "CMP-20261110-DLVR0", category="delivery", created_at=T0.replace(day=10))

    found = repo.for_category("billing", T0.replace(day=10), T0.replace(day=20))
    assert sorted(c.reference for c in found) == ["CMP-20261110-BILL0", "CMP-20261120-BILL0"]  # bounds included
    assert len(repo.for_category("billing", T0.replace(day=1), T0.replace(day=30))) == 4
    assert repo.for_category("billing", T0.replace(month=1), T0.replace(month=2)) == []
    assert [c.reference for c in repo.for_category("delivery", T0.replace(day=1), T0.replace(day=30))] == [
        "CMP-20261110-DLVR0"
    ]


def test_concurrent_saves_of_the_same_version_let_only_one_through(repo):
    reference = store(repo, "CMP-20261122-RACE0").reference
    loaded_by_a = repo.get(reference)
    loaded_by_b = repo.get(reference)
    a, event_a = apply(loaded_by_a, Command("acknowledge"), AGENT, T0)
    b, event_b = apply(loaded_by_b, Command("note", message="taking this"), Actor("agent-2", "agent"), T0)
    assert event_a.seq == event_b.seq == 2

    repo.save(a, event_a)
    with pytest.raises(ConcurrentModification):
        repo.save(b, event_b)

    assert repo.get(reference).status == Status.ACKNOWLEDGED and repo.get(reference).version == 2
    history = repo.history(reference)
    assert [(e.seq, e.type, e.actor) for e in history] == [(1, "received", "system"), (2, "acknowledge", "agent-1")]

    # B reloads and tries again: its event lands right after A's, no gap and no overwrite.
    act(repo, reference, Command("note", message="taking this"), Actor("agent-2", "agent"))
    assert [e.seq for e in repo.history(reference)] == [1, 2, 3]
    assert repo.get(reference).version == 3


def test_a_save_that_skips_a_version_is_refused(repo):
    reference = store(repo, "CMP-20261122-SKIP0").reference
    changed, event = apply(repo.get(reference), Command("acknowledge"), AGENT, T0)
    with pytest.raises(ConcurrentModification):
        repo.save(changed.evolve(version=3), event)
    assert repo.get(reference).version == 1 and len(repo.history(reference)) == 1


def test_an_invalid_cursor_is_an_invalid_command(repo):
    for cursor in ("not base64 !!", "bm90IGpzb24=", "WzEsMl0="):  # garbage, 'not json', '[1,2]'
        with pytest.raises(InvalidCommand) as invalid:
            repo.search(ComplaintQuery(cursor=cursor))
        assert invalid.value.field == "cursor"


def test_reads_never_scan(repo):
    """Every list and lookup is a Query or GetItem on a key or index: patch Scan to fail, and watch what is sent."""
    store(repo, "CMP-20261122-AAAAA", sender=ADA)
    store(repo, "CMP-20261015-BBBBB", created_at=T0.replace(month=10, day=15), category="billing", team="billing")
    sent = []
    real_dispatch = Connection.dispatch

    def watched(self, operation_name, operation_kwargs):
        sent.append(operation_name)
        if operation_name == "Scan":
            raise AssertionError("the repository must not Scan")
        return real_dispatch(self, operation_name, operation_kwargs)

    def no_scan(*args, **kwargs):
        raise AssertionError("the repository must not Scan")

    queries = [
        ComplaintQuery(),
        ComplaintQuery(limit=1),
        ComplaintQuery(status="new", team="logistics", priority="P3", channel="web", category="delivery"),
        ComplaintQuery(category="billing", created_from=T0.replace(month=10, day=1), created_to=T0),
        ComplaintQuery(created_from=T0.replace(month=10, day=1), created_to=T0, breached=False),
    ]
    with mock.patch.object(Connection, "dispatch", watched), mock.patch.object(Connection, "scan", no_scan), \
            mock.patch.object(Model, "scan", no_scan):
        found = {c.reference for q in queries for c in repo.search(q).items}
        page = repo.search(ComplaintQuery(limit=1))
        found |= {c.reference for c in repo.search(ComplaintQuery(limit=1, cursor=page.next_cursor)).items}
        found |= {c.reference for c in repo.for_customer("ada@example.com", "+442079460958")}
        found |= {c.reference for c in repo.open_for_team("logistics", due_before=T0 + timedelta(days=1))}
        found |= {c.reference for c in repo.for_category("billing", T0.replace(month=1), T0)}
        found |= {c.reference for c in repo.open_for_assignee("agent-1").items}
        found |= {c.reference for lane in lanes_of("team", "billing")
                  for c, _ in repo.read_lane(lane, 5, bound=T0).items}
        repo.history("CMP-20261122-AAAAA")
        repo.get("CMP-20261122-AAAAA")
        repo.reference_for_message("web#CMP-20261122-AAAAA")

    assert found == {"CMP-20261122-AAAAA", "CMP-20261015-BBBBB"}
    assert set(sent) <= {"Query", "GetItem", "BatchGetItem", "DescribeTable"} and "Query" in sent


def test_appending_claims_the_channel_message_in_the_same_write(repo):
    store(repo, "CMP-20261122-FLWUP")
    command = Command("customer_message", message="Here is the photo.")
    changed, event = apply(repo.get("CMP-20261122-FLWUP"), command, Actor("customer", "customer"), T0)
    assert repo.save(changed, event, claim="email#<reply-1@example.com>") is True
    assert repo.reference_for_message("email#<reply-1@example.com>") == "CMP-20261122-FLWUP"

    # The same e-mail delivered again: nothing is appended, even with a fresh version.
    again, event_again = apply(repo.get("CMP-20261122-FLWUP"), command, Actor("customer", "customer"), T0)
    assert repo.save(again, event_again, claim="email#<reply-1@example.com>") is False
    assert [e.type for e in repo.history("CMP-20261122-FLWUP")].count("customer_message") == 1


@pytest.fixture(params=["dynamodb", "fake"])
def lanes_repo(request, aws):
    """The lanes the inbox reads, on DynamoDB and on the unit tests' fake: one contract, so they stay in step."""
    from tests.fakes import InMemoryComplaintRepository

    return DynamoComplaintRepository() if request.param == "dynamodb" else InMemoryComplaintRepository()


def test_open_for_assignee_pages_through_a_members_open_complaints_soonest_deadline_first(lanes_repo):
    repo = lanes_repo
    for hours in (5, 1, 3, 2, 4):
        store(repo, f"CMP-20261122-MINE{hours}", assignee="agent-1", first_response_due_at=T0 + timedelta(hours=hours))
    store(repo, "CMP-20261122-OTHER", assignee="agent-2")
    store(repo, "CMP-20261122-NOONE", assignee=None)
    # Breached past every SLA instant: no next_due_at (the sweeper's index drops it), still first in the inbox.
    store(repo, "CMP-20261122-LATE0", assignee="agent-1", first_response_due_at=T0 - timedelta(days=2),
          next_due_at=None, breached=True)

    pages, cursor = [], None
    while True:
        page = repo.open_for_assignee("agent-1", limit=2, cursor=cursor)
        pages.append([c.reference[-5:] for c in page.items])
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == [["LATE0", "MINE1"], ["MINE2", "MINE3"], ["MINE4", "MINE5"]]
    assert repo.open_for_assignee("agent-2").items[0].reference == "CMP-20261122-OTHER"
    assert repo.open_for_assignee("nobody").items == []


def test_the_assignee_index_is_sparse_closed_and_spam_complaints_leave_it_unassigned_ones_wait_by_team(lanes_repo):
    repo = lanes_repo
    for name in ("DONE0", "SPAM0", "WAIT0", "KEEP0"):
        store(repo, f"CMP-20261122-{name}", assignee="agent-1", status=Status.IN_PROGRESS)
    store(repo, "CMP-20261122-NOONE", assignee=None)
    act(repo, "CMP-20261122-DONE0", Command("resolve", resolution_code="fixed", root_cause="process"))
    act(repo, "CMP-20261122-SPAM0", Command("mark_spam"))
    act(repo, "CMP-20261122-WAIT0", Command("wait_on_customer"))  # still open: still mine
    later = act(repo, "CMP-20261122-NOONE", Command("customer_message", message="Any news?"), CUSTOMER_ACTOR)
    assert repo.get(later.reference).customer_wrote_at == T0  # round-trips

    assert sorted(c.reference[-5:] for c in repo.open_for_assignee("agent-1").items) == ["KEEP0", "WAIT0"]
    team = [repo.read_lane(lane, 10) for lane in lanes_of("team", "logistics")]  # each shard of the team
    assert sorted(c.reference[-5:] for shard in team for c, _ in shard.items) == ["KEEP0", "NOONE", "WAIT0"]
    assert all(shard.after is None for shard in team)
    nobody = repo.read_lane(Lane("assignee", UNASSIGNED + "logistics"), 10)  # the unassigned view's own partition
    assert [c.reference[-5:] for c, _ in nobody.items] == ["NOONE"]
    act(repo, "CMP-20261122-NOONE", Command("assign", assignee="agent-1"))
    assert "CMP-20261122-NOONE" in {c.reference for c in repo.open_for_assignee("agent-1").items}
    assert repo.read_lane(Lane("assignee", UNASSIGNED + "logistics"), 10).items == []
    if isinstance(repo, DynamoComplaintRepository):  # the attributes themselves are gone, not just emptied
        from chalicelib.adapters.dynamo_tables import ComplaintModel

        for name in ("DONE0", "SPAM0"):
            item = ComplaintModel.get(f"CMP-20261122-{name}")
            assert (item.open_assignee, item.open_team, item.sla_due_at) == (None, None, None)


def test_lanes_read_newest_first_within_a_bound_and_go_on_after_a_position(lanes_repo):
    repo = lanes_repo
    for day in (16, 18, 20, 22):
        store(repo, f"CMP-202611{day}-SPAM0", status=Status.SPAM, team=None, created_at=T0.replace(day=day))
    spam = Plan(lanes_of("status", "spam"), bound=T0.replace(day=17))  # the status's shards, merged
    first = read_page(repo, spam, 2)
    assert [c.reference for c in first.rows] == ["CMP-20261122-SPAM0", "CMP-20261120-SPAM0"]
    rest = read_page(repo, spam, 2, first.cursor)
    assert [c.reference for c in rest.rows] == ["CMP-20261118-SPAM0"] and rest.cursor is None
    shard = Lane("status", "spam", shard_of("CMP-20261122-SPAM0"))  # one shard: newest first, on after a position
    mine = [r for r in ("CMP-20261122-SPAM0", "CMP-20261120-SPAM0", "CMP-20261118-SPAM0") if shard_of(r) == shard.shard]
    one = repo.read_lane(shard, 1, bound=T0.replace(day=17))
    on = repo.read_lane(shard, 5, one.after, bound=T0.replace(day=17)) if one.after else None
    assert [c.reference for c, _ in one.items] + ([c.reference for c, _ in on.items] if on else []) == mine
    due = [repo.read_lane(lane, 5, bound=T0) for lane in lanes_of("team", "logistics")]
    assert all(d.items == [] and d.read == 0 for d in due)


def test_the_backfill_gives_complaints_saved_before_the_inbox_indexes_their_keys_once(repo):
    from chalicelib.adapters.dynamo_tables import AgentLoadModel, ComplaintModel
    from chalicelib.adapters.index_backfill import backfill_derived_keys
    from chalicelib.adapters.sla_adapters import DynamoWorkload

    store(repo, "CMP-20261122-OLD01", assignee="agent-1", status=Status.IN_PROGRESS)
    store(repo, "CMP-20261122-OLD02", assignee=None)
    store(repo, "CMP-20261122-DONE1", assignee="agent-1", status=Status.IN_PROGRESS)
    act(repo, "CMP-20261122-DONE1", Command("resolve", resolution_code="fixed", root_cause="process"))
    AgentLoadModel("agent-1", open=7).save()  # drifted
    for reference in ("CMP-20261122-OLD01", "CMP-20261122-OLD02"):  # as an older release stored them
        ComplaintModel(reference).update(actions=[ComplaintModel.open_assignee.remove(), ComplaintModel.sla_due_at.remove(),
                                                  ComplaintModel.open_team.remove(), ComplaintModel.status_key.remove()])
    assert repo.open_for_assignee("agent-1").items == []

    outcome = backfill_derived_keys()
    assert (outcome.open_seen, outcome.updated, outcome.changed_meanwhile) == (2, 2, 0)
    assert dict(DynamoWorkload().open_by_agent(["agent-1", "agent-2"])) == {"agent-1": 1}  # recounted
    assert [c.reference for c in repo.open_for_assignee("agent-1").items] == ["CMP-20261122-OLD01"]
    assert [c.reference for c, _ in repo.read_lane(Lane("assignee", UNASSIGNED + "logistics"), 10).items] == [
        "CMP-20261122-OLD02"]
    assert repo.get("CMP-20261122-OLD01").version == 1  # the complaint's own fields and version are unchanged
    assert backfill_derived_keys().updated == 0  # a rerun finds nothing to do


def test_each_members_open_count_moves_in_the_same_transaction_as_the_complaint(repo):
    from chalicelib.adapters.sla_adapters import DynamoWorkload

    def load():
        return dict(DynamoWorkload().open_by_agent(["agent-1", "agent-2", "agent-3"]))

    store(repo, "CMP-20261122-LOAD1", assignee="agent-1", status=Status.IN_PROGRESS)
    store(repo, "CMP-20261122-LOAD2", assignee="agent-1", status=Status.IN_PROGRESS)
    store(repo, "CMP-20261122-SPAM1", assignee="agent-3", status=Status.SPAM)  # not open: counts for nobody
    assert load() == {"agent-1": 2}
    act(repo, "CMP-20261122-LOAD2", Command("assign", assignee="agent-2"))
    act(repo, "CMP-20261122-LOAD1", Command("wait_on_customer"))  # still open, still held
    assert load() == {"agent-1": 1, "agent-2": 1}
    act(repo, "CMP-20261122-LOAD2", Command("resolve", resolution_code="fixed", root_cause="process"))
    assert load() == {"agent-1": 1, "agent-2": 0}
    act(repo, "CMP-20261122-LOAD2", Command("reopen", message="Not fixed."), CUSTOMER_ACTOR)
    assert load() == {"agent-1": 1, "agent-2": 1}
    stale = repo.get("CMP-20261122-LOAD1")
    act(repo, "CMP-20261122-LOAD1", Command("assign", assignee="agent-3"))
    changed, event = apply(stale, Command("assign", assignee="agent-2"), AGENT, T0)
    with pytest.raises(ConcurrentModification):  # a lost race moves no counter
        repo.save(changed, event)
    assert load() == {"agent-1": 0, "agent-2": 1, "agent-3": 1}


def test_a_closed_complaint_its_history_and_message_ids_expire_after_the_retention_but_corrections_stay(repo):
    from chalicelib.adapters.dynamo_tables import ComplaintModel, EventModel, MessageIndexModel

    two_years = 730 * 86400
    store(repo, "CMP-20261122-KEEP1", assignee="agent-1", status=Status.IN_PROGRESS)
    assert ComplaintModel.get("CMP-20261122-KEEP1").expires_at is None  # open: kept
    act(repo, "CMP-20261122-KEEP1", Command("change_category", category="billing"))  # a correction
    act(repo, "CMP-20261122-KEEP1", Command("resolve", resolution_code="fixed", root_cause="process"))
    closed = act(repo, "CMP-20261122-KEEP1", Command("close"))
    assert ComplaintModel.get(closed.reference).expires_at == int(closed.closed_at.timestamp()) + two_years
    events = list(EventModel.query(closed.reference))
    assert [e.expires_at is None for e in events] == [e.example_for is not None for e in events]
    assert any(e.example_for for e in events)  # the correction is kept for retraining
    assert all(e.expires_at >= int(e.at.timestamp()) + two_years for e in events if e.expires_at)
    claim = MessageIndexModel.get(f"web#{closed.reference}")
    assert claim.expires_at >= int(claim.created_at.timestamp()) + two_years
