"""The DynamoDB repository against moto: mapping, the access-pattern indexes, locking, and no Scans."""
from datetime import timedelta
from unittest import mock

import pytest
from pynamodb.connection.base import Connection
from pynamodb.models import Model

from chalicelib.adapters.dynamo_repository import DynamoComplaintRepository
from chalicelib.domain.errors import ConcurrentModification, InvalidCommand, NotFound
from chalicelib.domain.lifecycle import Actor, Command, apply
from chalicelib.domain.model import Attachment, Channel, Event, Sender, Status, Visibility
from chalicelib.domain.ports import ComplaintQuery
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
        repo.history("CMP-20261122-AAAAA")
        repo.get("CMP-20261122-AAAAA")
        repo.reference_for_message("web#CMP-20261122-AAAAA")

    assert found == {"CMP-20261122-AAAAA", "CMP-20261015-BBBBB"}
    assert set(sent) <= {"Query", "GetItem", "DescribeTable"} and "Query" in sent


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
