"""Follow-ups: a message that continues a complaint is appended to it, never a new complaint."""
import dataclasses

from chalicelib.domain.lifecycle import Actor, Command, apply
from chalicelib.domain.model import Channel, Sender, Status
from tests.fakes import make_message

AGENT = Actor("agent-1", "agent")
PHONE = Sender(name=None, phone="+447700900123")


def first_complaint(pipeline, **message_fields):
    return pipeline.process(make_message(**message_fields)).reference


def move(repo, clock, reference, *commands):
    for command in commands:
        changed, event = apply(repo.get(reference), command, AGENT, clock.now())
        repo.save(changed, event)


def test_a_reply_naming_the_complaint_is_appended_as_a_public_customer_message(pipeline, repo, notifier):
    reference = first_complaint(pipeline)
    result = pipeline.process(make_message("Here is the tracking number: 1Z999.", thread_reference=reference))

    assert (result.reference, result.created, result.appended) == (reference, False, True)
    last = repo.history(reference)[-1]
    assert (last.type, last.actor_role, last.message, last.visibility.value) == (
        "customer_message", "customer", "Here is the tracking number: 1Z999.", "public")
    assert len(repo.complaints) == 1
    assert [s.kind for s in notifier.sent] == ["acknowledgement"]  # follow-ups are not acknowledged again


def test_the_complaint_says_the_customer_wrote_since_our_last_reply_until_a_reply_reaches_them(pipeline, repo, clock):
    reference = first_complaint(pipeline)
    assert repo.get(reference).customer_wrote_at is None  # the first message: "no reply yet" says it
    first_follow_up = clock.advance(hours=1)
    pipeline.process(make_message("Any news?", thread_reference=reference))
    clock.advance(hours=1)
    pipeline.process(make_message("Hello?", thread_reference=reference))
    assert repo.get(reference).customer_wrote_at == first_follow_up  # the oldest unanswered message
    move(repo, clock, reference, Command("note", message="Chasing the courier."),
         Command("wait_on_customer"))  # neither reaches the customer
    assert repo.get(reference).customer_wrote_at == first_follow_up
    move(repo, clock, reference, Command("respond", message="The courier found it."))
    assert repo.get(reference).customer_wrote_at is None
    assert all("customer_wrote_at" not in e.changes for e in repo.history(reference))  # derived, like next_due_at


def test_a_reply_reopens_a_resolved_complaint_and_ends_waiting(pipeline, repo, clock):
    waiting = first_complaint(pipeline)
    move(repo, clock, waiting, Command("wait_on_customer", message="Which address?"))
    pipeline.process(make_message("12 High Street.", thread_reference=waiting))
    assert repo.get(waiting).status == Status.IN_PROGRESS

    resolved = first_complaint(pipeline)
    move(repo, clock, resolved, Command("resolve", resolution_code="refunded", root_cause="process"))
    pipeline.process(make_message("The refund never arrived.", thread_reference=resolved))
    reopened = repo.get(resolved)
    assert reopened.status == Status.IN_PROGRESS and reopened.resolved_at is None


def test_a_reply_to_a_closed_complaint_starts_a_new_one(pipeline, repo, clock):
    closed = first_complaint(pipeline)
    move(repo, clock, closed, Command("resolve", resolution_code="fixed", root_cause="product"), Command("close"))
    result = pipeline.process(make_message("It broke again.", thread_reference=closed))
    assert result.created and result.reference != closed


def test_an_sms_from_a_number_with_an_open_complaint_is_appended(pipeline, repo):
    reference = first_complaint(pipeline, channel=Channel.SMS, sender=PHONE)
    result = pipeline.process(make_message("Any update?", channel=Channel.SMS, sender=PHONE))
    assert result.appended and result.reference == reference


def test_a_redelivered_follow_up_is_appended_once(pipeline, repo):
    reference = first_complaint(pipeline)
    follow_up = make_message("Photo attached.", thread_reference=reference, message_id="mail-42")
    first = pipeline.process(follow_up)
    again = pipeline.process(dataclasses.replace(follow_up))
    assert first.appended and not again.appended and again.reference == reference
    assert [e.type for e in repo.history(reference)].count("customer_message") == 1
