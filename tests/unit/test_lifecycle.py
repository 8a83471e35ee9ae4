"""The complaint state machine, exhaustively: every (status, action) pair is either a transition or a refusal."""
from datetime import timedelta

import pytest

from chalicelib.domain.errors import IllegalTransition, InvalidCommand
from chalicelib.domain.lifecycle import CUSTOMER, TRANSITIONS, Actor, Command, allowed_actions, apply, reaches_customer
from chalicelib.domain.model import Event, Status, Visibility
from tests.fakes import T0, make_complaint

AGENT = Actor("agent-1", "agent")
NOW = T0 + timedelta(hours=2)

# A well-formed command for every action (the complaint under test is 'delivery', 'P3').
COMMANDS = {
    "acknowledge": Command("acknowledge"),
    "respond": Command("respond", message="We are looking into it."),
    "note": Command("note", message="Called the courier."),
    "change_category": Command("change_category", category="billing"),
    "change_priority": Command("change_priority", priority="P1"),
    "assign": Command("assign", assignee="agent-7", team="logistics-2"),
    "wait_on_customer": Command("wait_on_customer", message="Please send a photo of the label."),
    "resolve": Command("resolve", resolution_code="refunded", root_cause="process", message="Refunded in full."),
    "close": Command("close"),
    "reopen": Command("reopen", message="Customer says the refund never arrived."),
    "customer_message": Command("customer_message", message="Any news? It has been a week."),
    "unlink_duplicate": Command("unlink_duplicate", message="Different order: not a duplicate."),
    "release": Command("release", message="A real complaint with a link in it."),
    "duplicate_received": Command("duplicate_received", message="Same problem again, order 4411."),
    "mark_spam": Command("mark_spam", message="Sells watches."),
    "mark_invalid": Command("mark_invalid"),
}
PAIRS = [(status, action) for status in Status for action in TRANSITIONS]
ALLOWED = [(s, a) for s, a in PAIRS if s in TRANSITIONS[a].allowed_from]
FORBIDDEN = [(s, a) for s, a in PAIRS if s not in TRANSITIONS[a].allowed_from]


def plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else getattr(value, "value", value)


def test_the_table_covers_every_action_and_both_outcomes():
    assert set(COMMANDS) == set(TRANSITIONS)
    assert len(ALLOWED) + len(FORBIDDEN) == len(Status) * len(TRANSITIONS)
    assert ALLOWED and FORBIDDEN


@pytest.mark.parametrize("status, action", ALLOWED, ids=[f"{s.value}-{a}" for s, a in ALLOWED])
def test_allowed_action_changes_state_as_the_table_says_and_appends_one_event(status, action):
    before = make_complaint(status=status, version=4, needs_triage=True,
                            duplicate_of="CMP-20261120-AAAAA" if status == Status.DUPLICATE else None)
    rule = TRANSITIONS[action]

    after, event = apply(before, COMMANDS[action], AGENT, NOW)

    customer_reopens = action == "customer_message" and status in (Status.WAITING_ON_CUSTOMER, Status.RESOLVED)
    assert after.status == (Status.IN_PROGRESS if customer_reopens else rule.to or status)
    assert after.version == 5 and after.updated_at == NOW
    assert before.status == status and before.version == 4  # the input is not mutated
    assert isinstance(event, Event)
    assert (event.reference, event.seq, event.type, event.at) == (before.reference, 5, action, NOW)
    assert (event.actor, event.actor_role, event.visibility) == ("agent-1", "agent", rule.visibility)
    assert event.message == COMMANDS[action].message
    # `changes` holds exactly the fields that changed, each with its old and new value.
    for name, change in event.changes.items():
        assert change == {"old": plain(getattr(before, name)), "new": plain(getattr(after, name))}, name
    changed_fields = {
        name for name in ("status", "category", "priority", "assignee", "team", "acknowledged_at",
                          "first_response_at", "resolved_at", "resolution_code", "root_cause", "closed_at",
                          "duplicate_of", "needs_triage", "screening_outcome", "screening_reason")
        if getattr(before, name) != getattr(after, name)
    }
    assert set(event.changes) == changed_fields
    if after.status != status:
        assert event.changes["status"] == {"old": status.value, "new": after.status.value}


@pytest.mark.parametrize("status, action", FORBIDDEN, ids=[f"{s.value}-{a}" for s, a in FORBIDDEN])
def test_forbidden_action_is_refused_naming_the_status_and_the_allowed_actions(status, action):
    complaint = make_complaint(status=status, version=4)
    with pytest.raises(IllegalTransition) as refused:
        apply(complaint, COMMANDS[action], AGENT, NOW)
    message = str(refused.value)
    assert f"that is {status.value};" in message
    assert message.endswith("allowed actions: " + ", ".join(allowed_actions(status)))


@pytest.mark.parametrize(
    "action, fields",
    [
        ("acknowledge", {"acknowledged_at": NOW.isoformat()}),
        ("assign", {"assignee": "agent-7", "team": "logistics-2"}),
        ("change_category", {"category": "billing"}),
        ("change_priority", {"priority": "P1"}),
        ("resolve", {"resolved_at": NOW.isoformat(), "resolution_code": "refunded", "root_cause": "process",
                     "first_response_at": NOW.isoformat()}),  # its message goes to the customer
        ("wait_on_customer", {"first_response_at": NOW.isoformat()}),  # (next_due_at is derived: not a change)
        ("note", {}),
    ],
)
def test_each_action_records_the_fields_it_sets(action, fields):
    status = Status.NEW if action == "acknowledge" else Status.IN_PROGRESS
    _, event = apply(make_complaint(status=status), COMMANDS[action], AGENT, NOW)
    assert {name: change["new"] for name, change in event.changes.items() if name != "status"} == fields


def test_next_due_is_the_first_response_deadline_then_the_resolution_deadline_then_none():
    fresh = make_complaint(status=Status.NEW)
    responded, _ = apply(fresh, COMMANDS["respond"], AGENT, NOW)
    resolved, _ = apply(responded, COMMANDS["resolve"], AGENT, NOW)
    reopened, _ = apply(resolved, Command("reopen", message="still broken"), AGENT, NOW)

    assert fresh.next_due_at == fresh.first_response_due_at
    assert responded.next_due_at == fresh.resolution_due_at
    assert resolved.next_due_at is None
    assert reopened.next_due_at == fresh.resolution_due_at


def test_respond_sets_first_response_at_only_the_first_time():
    first, event1 = apply(make_complaint(status=Status.ACKNOWLEDGED), COMMANDS["respond"], AGENT, NOW)
    later = NOW + timedelta(hours=5)
    second, event2 = apply(first, COMMANDS["respond"], AGENT, later)

    assert first.first_response_at == NOW and second.first_response_at == NOW
    assert event1.changes["first_response_at"] == {"old": None, "new": NOW.isoformat()}
    assert event1.changes["status"] == {"old": "acknowledged", "new": "in_progress"}
    assert event2.changes == {} and event2.seq == event1.seq + 1


@pytest.mark.parametrize(
    "command, counts",
    [
        (Command("respond", message="Hello"), True),
        (Command("wait_on_customer", message="Please send a photo."), True),
        (Command("wait_on_customer"), False),
        (Command("resolve", resolution_code="fixed", root_cause="product", message="Fixed."), True),
        (Command("resolve", resolution_code="fixed", root_cause="product"), False),
        (Command("resolve", resolution_code="fixed", root_cause="product", message="  "), False),
        (Command("note", message="internal only"), False),
        (Command("acknowledge"), False),
    ],
)
def test_only_a_message_to_the_customer_counts_as_the_first_response(command, counts):
    changed, event = apply(make_complaint(status=Status.NEW), command, AGENT, NOW)
    assert reaches_customer(command) is counts
    assert changed.first_response_at == (NOW if counts else None)
    assert ("first_response_at" in event.changes) is counts


@pytest.mark.parametrize(
    "code, cause, field",
    [
        (None, "process", "resolution_code"),
        ("magic", "process", "resolution_code"),
        ("refunded", None, "root_cause"),
        ("refunded", "gremlins", "root_cause"),
    ],
)
def test_resolve_needs_a_valid_resolution_code_and_root_cause(code, cause, field):
    command = Command("resolve", resolution_code=code, root_cause=cause)
    with pytest.raises(InvalidCommand) as invalid:
        apply(make_complaint(status=Status.IN_PROGRESS), command, AGENT, NOW)
    assert invalid.value.field == field
    assert field in str(invalid.value)


@pytest.mark.parametrize(
    "status, command, field",
    [
        (Status.NEW, Command("respond"), "message"),
        (Status.NEW, Command("respond", message="   "), "message"),
        (Status.CLOSED, Command("note"), "message"),
        (Status.NEW, Command("change_category"), "category"),
        (Status.NEW, Command("change_category", category="delivery"), "category"),
        (Status.NEW, Command("change_priority", priority="P9"), "priority"),
        (Status.NEW, Command("change_priority", priority="P3"), "priority"),
        (Status.NEW, Command("assign"), "assignee"),
        (Status.NEW, Command("escalate"), "action"),
    ],
)
def test_malformed_commands_name_the_offending_field(status, command, field):
    with pytest.raises(InvalidCommand) as invalid:
        apply(make_complaint(status=status), command, AGENT, NOW)
    assert invalid.value.field == field


@pytest.mark.parametrize(
    "command, predicted_change",
    [(COMMANDS["change_category"], ("category", "delivery", "billing")),
     (COMMANDS["change_priority"], ("priority", "P3", "P1"))],
)
def test_corrections_are_kept_as_labelled_examples(command, predicted_change):
    triage = {"priority": "P3", "priority_rule": "baseline", "priority_raised": 0, "sentiment": -0.2}
    complaint = make_complaint(status=Status.IN_PROGRESS, classification=triage)
    changed, event = apply(complaint, command, AGENT, NOW)
    name, old, new = predicted_change

    assert event.data["labelled_example"] is True and event.data["example_for"] == name
    assert event.data["text"] == f"{complaint.subject}\n{complaint.description}"
    assert event.data["predicted"] == {"category": "delivery", "priority": "P3", "triage_priority": "P3",
                                       "priority_rule": "baseline", "priority_raised": 0}
    assert event.changes[name] == {"old": old, "new": new}
    assert getattr(changed, name) == new


def test_other_actions_carry_no_labelled_example():
    _, event = apply(make_complaint(status=Status.IN_PROGRESS), COMMANDS["note"], AGENT, NOW)
    assert event.data == {}


def test_reopen_clears_the_resolution():
    resolved, _ = apply(make_complaint(status=Status.IN_PROGRESS), COMMANDS["resolve"], AGENT, NOW)
    reopened, event = apply(resolved, COMMANDS["reopen"], Actor("mgr-1", "manager"), NOW + timedelta(days=1))
    assert reopened.status == Status.IN_PROGRESS
    assert (reopened.resolved_at, reopened.resolution_code, reopened.root_cause) == (None, None, None)
    assert event.changes["resolution_code"] == {"old": "refunded", "new": None}
    assert event.visibility == Visibility.PUBLIC


def test_closed_is_terminal():
    closed = make_complaint(status=Status.CLOSED)
    assert allowed_actions(Status.CLOSED) == ["note"]
    for action, command in COMMANDS.items():
        if action == "note":
            noted, event = apply(closed, command, AGENT, NOW)
            assert noted.status == Status.CLOSED and "status" not in event.changes
        else:
            with pytest.raises(IllegalTransition, match="that is closed; allowed actions: note$"):
                apply(closed, command, AGENT, NOW)


def test_invalid_and_spam_take_notes_until_released_or_closed_after_review():
    for status in (Status.INVALID, Status.SPAM):
        assert allowed_actions(status) == ["note", "close", "release"]
        closed, event = apply(make_complaint(status=status), Command("close"), AGENT, NOW)
        assert closed.status == Status.CLOSED and event.changes["status"]["old"] == status.value
        assert allowed_actions(Status.CLOSED) == ["note"]  # final


@pytest.mark.parametrize("action, status", [("mark_spam", Status.SPAM), ("mark_invalid", Status.INVALID)])
def test_staff_mark_an_open_complaint_spam_or_invalid_with_the_reason_as_a_labelled_example(action, status):
    complaint = make_complaint(status=Status.IN_PROGRESS, assignee="agent-1", needs_triage=True)
    marked, event = apply(complaint, Command(action, message=" Sells watches. "), AGENT, NOW)

    assert marked.status == status and marked.next_due_at is None  # out of every open queue, no clock
    assert marked.screening_outcome == status.value
    assert marked.screening_reason == f"marked {status.value} by agent-1: Sells watches."
    assert event.changes["status"] == {"old": "in_progress", "new": status.value}
    assert event.visibility == Visibility.INTERNAL
    assert event.data["example_for"] == "screening_outcome"
    assert event.data["predicted"]["screening_outcome"] == "accepted"
    assert allowed_actions(status) == ["note", "close", "release"]
    released, _ = apply(marked, Command("release"), AGENT, NOW)  # the review can be undone
    assert (released.status, released.screening_outcome, released.screening_reason) == (Status.NEW, "accepted", None)


def test_only_open_complaints_are_marked_spam():
    for status in (Status.RESOLVED, Status.CLOSED, Status.SPAM, Status.DUPLICATE):
        with pytest.raises(IllegalTransition, match=f"cannot mark spam a complaint that is {status.value}"):
            apply(make_complaint(status=status), Command("mark_spam"), AGENT, NOW)


def test_staff_are_never_offered_the_customers_own_action():
    assert all("customer_message" not in allowed_actions(status) for status in Status)


def test_a_resolution_keeps_its_fishbone_sub_cause_and_five_whys():
    complaint = make_complaint(status=Status.IN_PROGRESS, version=4)
    command = Command("resolve", resolution_code="refunded", root_cause="process", sub_cause="handoff",
                      five_whys=("Parcel lost", "No scan at hand-over", "Scanner optional"))
    _, event = apply(complaint, command, AGENT, NOW)
    assert event.data == {"sub_cause": "handoff", "five_whys": ["Parcel lost", "No scan at hand-over", "Scanner optional"]}
    with pytest.raises(InvalidCommand) as refused:
        apply(complaint, Command("resolve", resolution_code="refunded", root_cause="process", sub_cause="weather"),
              AGENT, NOW)
    assert refused.value.field == "sub_cause"


def test_customer_messages_may_be_only_attachments_and_a_duplicate_link_needs_no_text():
    from chalicelib.domain.errors import InvalidCommand

    open_complaint = make_complaint(status=Status.IN_PROGRESS)
    changed, event = apply(open_complaint, Command("customer_message", message="", attachment_count=1), CUSTOMER, T0)
    assert event.type == "customer_message" and changed.version == open_complaint.version + 1
    with pytest.raises(InvalidCommand, match="text or an attachment"):
        apply(open_complaint, Command("customer_message", message=" "), CUSTOMER, T0)
    _, linked = apply(open_complaint, Command("duplicate_received", message=""), CUSTOMER, T0)
    assert linked.type == "duplicate_received"
