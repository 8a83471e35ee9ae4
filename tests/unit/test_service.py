"""Use cases on in-memory fakes: the intake pipeline and staff actions under optimistic locking."""
from datetime import timedelta

import pytest

from chalicelib.domain.errors import ConcurrentModification, NotDelivered, NotFound
from chalicelib.domain.lifecycle import Actor, Command, apply
from chalicelib.domain.model import Sender, Status, Visibility
from chalicelib.domain.ports import Delivery, DeliveryFailed
from chalicelib.domain.reference import is_reference
from chalicelib.domain.service import ComplaintService
from chalicelib.domain.stages import DEFAULT_TEAMS, Classification
from chalicelib.domain.tokens import access_token, token_fingerprint
from tests.fakes import T0, InMemoryComplaintRepository, RecordingNotifier, make_message

from tests.unit.conftest import SECRET, make_pipeline

AGENT = Actor("agent-1", "agent")


# intake -----------------------------------------------------------------------------
def test_a_new_message_is_stored_routed_and_acknowledged(pipeline, repo, notifier, clock):
    message = make_message()
    result = pipeline.process(message)

    assert result.created and result.status == Status.NEW and is_reference(result.reference)
    stored = repo.get(result.reference)
    assert (stored.category, stored.team, stored.priority) == ("delivery", "logistics", "P3")
    assert stored.created_at == message.received_at and stored.description == message.text
    assert stored.ack_sent_at == clock.now() and stored.version == 1  # the acknowledgement is part of that version
    assert stored.token_hash == token_fingerprint(access_token(SECRET, result.reference))

    history = repo.history(result.reference)
    assert [(e.seq, e.type, e.actor) for e in history] == [(1, "received", "system")]
    (received,) = history
    assert received.data["screening"] == {"outcome": "accepted", "reason": None, "duplicate_of": None}
    assert received.data["team"] == "logistics" and received.data["acknowledgement"] is True
    assert received.visibility == Visibility.PUBLIC

    assert [(s.reference, s.kind) for s in notifier.sent] == [(result.reference, "acknowledgement")]
    assert result.reference in notifier.sent[0].text


def test_the_reference_chosen_by_the_channel_is_kept(pipeline, repo):
    result = pipeline.process(make_message(reference="CMP-20261122-ABCDE"))
    assert result.reference == "CMP-20261122-ABCDE"
    assert repo.find("CMP-20261122-ABCDE") is not None


def test_reprocessing_the_same_message_stores_once_and_acknowledges_once(pipeline, repo, notifier):
    message = make_message(message_id="web-42")
    first = pipeline.process(message)
    again = pipeline.process(message)
    also = pipeline.process(make_message(message_id="web-42", text="Different text, same channel message id."))

    assert first.created and not again.created and not also.created
    assert first.reference == again.reference == also.reference
    assert len(repo.complaints) == 1 and repo.claims == {"web#web-42": first.reference}
    assert len(notifier.sent) == 1
    assert [e.type for e in repo.history(first.reference)] == ["received"]


def test_the_same_message_id_on_another_channel_is_a_different_complaint(pipeline, repo):
    from chalicelib.domain.model import Channel

    a = pipeline.process(make_message(message_id="42"))
    b = pipeline.process(make_message(message_id="42", channel=Channel.EMAIL))
    assert a.reference != b.reference and len(repo.complaints) == 2


def test_a_redelivery_completes_an_acknowledgement_that_failed(repo, clock):
    class FailingOnce(RecordingNotifier):
        failures = 1

        def send(self, complaint, kind, text):
            if self.failures:
                self.failures -= 1
                raise TimeoutError("mail server down")
            return super().send(complaint, kind, text)

    notifier = FailingOnce()
    pipeline = make_pipeline(repo, notifier, clock)
    message = make_message()
    with pytest.raises(TimeoutError):
        pipeline.process(message)
    (reference,) = repo.complaints
    assert repo.get(reference).ack_sent_at is not None and notifier.delivered == []  # stored, planned, not sent

    result = pipeline.process(message)
    assert not result.created and result.reference == reference
    assert [e.type for e in repo.history(reference)] == ["received"]
    assert len(notifier.delivered) == 1 and notifier.delivered[0].kind == "acknowledgement"
    pipeline.process(message)  # once more: the notifier finds the message sent
    assert len(notifier.sent) == 1


def test_losing_the_dedup_race_uses_the_winners_complaint(repo, notifier, clock):
    """Two workers got the same message; the slower one saw no claim, built its own complaint, and lost create()."""
    message = make_message(message_id="dup")
    first = make_pipeline(repo, notifier, clock).process(message)
    real_lookup, lookups = repo.reference_for_message, []

    def stale_first_lookup(key):
        lookups.append(key)
        return None if len(lookups) == 1 else real_lookup(key)

    repo.reference_for_message = stale_first_lookup
    second = make_pipeline(repo, notifier, clock).process(message)

    assert not second.created and second.reference == first.reference
    assert len(lookups) == 2 and len(repo.complaints) == 1 and len(notifier.sent) == 1


def test_a_customer_with_no_contact_is_recorded_as_unreachable(pipeline, repo, notifier):
    result = pipeline.process(make_message(sender=Sender(name="Anonymous")))
    history = repo.history(result.reference)
    assert [e.type for e in history] == ["received", "customer_unreachable"]
    assert history[1].data == {"kind": "acknowledgement"}
    assert "not sent" in history[1].message
    assert notifier.delivered == []
    # The attempt counts as done: a redelivery does not try again.
    pipeline.process(make_message(sender=Sender(name="Anonymous"), message_id=repo.get(result.reference).channel_message_id))
    assert len(repo.history(result.reference)) == 2


def test_an_unreachable_notifier_is_recorded_too(repo, clock):
    pipeline = make_pipeline(repo, RecordingNotifier(unreachable=True), clock)
    result = pipeline.process(make_message())
    assert repo.history(result.reference)[-1].type == "customer_unreachable"


def test_a_message_that_is_only_a_link_is_stored_as_invalid_without_team_or_sla(pipeline, repo, notifier):
    result = pipeline.process(make_message("https://cheap-watches.example/buy", subject=""))

    assert result.created and result.status == Status.INVALID
    stored = repo.get(result.reference)
    assert (stored.screening_outcome, stored.screening_reason) == ("invalid", "only a link")
    assert stored.team is None and stored.assignee is None
    assert (stored.next_due_at, stored.first_response_due_at, stored.resolution_due_at) == (None, None, None)
    received = repo.history(result.reference)[0]
    assert received.data["screening"] == {"outcome": "invalid", "reason": "only a link", "duplicate_of": None}
    assert received.data["team"] is None and received.data["first_response_due_at"] is None
    # The customer is told why, with the reference.
    assert "could not register" in notifier.sent[0].text  # in plain words (test_customer_messages)


@pytest.mark.parametrize("category, team", [*DEFAULT_TEAMS.items(), ("weather", "customer-care"), (None, "customer-care")])
def test_complaints_are_routed_by_category_to_a_team(pipeline, repo, category, team):
    result = pipeline.process(make_message(requested_category=category))
    stored = repo.get(result.reference)
    assert stored.team == team
    assert stored.category == (category if category in DEFAULT_TEAMS else "general")


@pytest.mark.parametrize(
    "priority, first, resolution",
    [("P1", timedelta(hours=1), timedelta(hours=8)), ("P2", timedelta(hours=4), timedelta(days=1)),
     ("P3", timedelta(hours=8), timedelta(days=3)), ("P4", timedelta(days=1), timedelta(days=5))],
)
def test_sla_due_times_follow_the_priority(repo, notifier, clock, priority, first, resolution):
    class FixedPriority:
        def classify(self, message):
            return Classification(category="billing", priority=priority, confidence=0.9, model="stub")

    result = make_pipeline(repo, notifier, clock, classifier=FixedPriority()).process(make_message())
    stored = repo.get(result.reference)
    assert stored.priority == priority
    assert stored.first_response_due_at == clock.now() + first
    assert stored.resolution_due_at == clock.now() + resolution
    assert stored.next_due_at == stored.first_response_due_at
    assert stored.classification["model"] == "stub"


# staff actions ------------------------------------------------------------------------
@pytest.fixture
def stored(pipeline):
    return pipeline.process(make_message()).reference


@pytest.fixture
def service(repo, notifier, clock):
    return ComplaintService(repo, notifier, clock)


def test_an_action_is_saved_with_its_event(service, repo, clock, stored):
    clock.advance(minutes=30)
    complaint, event = service.perform(stored, Command("acknowledge"), AGENT)
    assert complaint.status == Status.ACKNOWLEDGED and complaint.version == 2
    assert repo.get(stored) == complaint
    assert repo.history(stored)[-1] == event and event.seq == 2 and event.at == clock.now()


def test_an_unknown_reference_is_not_found(service):
    with pytest.raises(NotFound):
        service.perform("CMP-20200101-ABCDE", Command("acknowledge"), AGENT)


def test_respond_sends_the_message_through_the_notifier(service, repo, notifier, stored):
    complaint, event = service.perform(stored, Command("respond", message="A courier will call you today."), AGENT)

    assert notifier.sent[-1].kind == "respond" and notifier.sent[-1].text == "A courier will call you today."
    history = repo.history(stored)  # the delivery is recorded in the respond version itself
    assert [(e.seq, e.type) for e in history[1:]] == [(2, "respond")]
    assert history[-1].data["delivery"] == {"message_id": notifier.sent[-1].delivery.message_id, "channel": "email"}
    assert event == history[-1] and complaint.version == 2 == repo.get(stored).version
    assert complaint.ack_sent_at == repo.get(stored).ack_sent_at  # a response does not touch the ack stamp


def test_a_reply_to_an_unreachable_customer_is_not_a_response(repo, clock):
    pipeline = make_pipeline(repo, RecordingNotifier(unreachable=True), clock)
    reference = pipeline.process(make_message()).reference
    service = ComplaintService(repo, RecordingNotifier(unreachable=True), clock)
    with pytest.raises(NotDelivered, match="no e-mail on file"):
        service.perform(reference, Command("respond", message="Hello?"), AGENT)
    last = repo.history(reference)[-1]
    assert last.type == "delivery_failed" and last.data["unsent_text"] == "Hello?"
    assert "respond" not in [e.type for e in repo.history(reference)]
    assert repo.get(reference).first_response_at is None  # the first-response clock keeps running


class RefusingNotifier(RecordingNotifier):
    """The provider refuses for good (a permanent failure), or fails for now (`transient`)."""

    def __init__(self, transient: bool = False) -> None:
        super().__init__()
        self.transient = transient

    def send(self, complaint, kind, text):
        if kind == "acknowledgement":
            return super().send(complaint, kind, text)
        self.sent.append(None)
        if self.transient:
            raise DeliveryFailed("Throttling: rate exceeded", permanent=False)
        return Delivery("sms", complaint.sender.phone or "+447700900123", "", failure="OptedOutException: STOP")


def test_a_refused_reply_leaves_no_respond_event_and_tells_the_agent(repo, clock):
    reference = make_pipeline(repo, RecordingNotifier(), clock).process(make_message()).reference
    with pytest.raises(NotDelivered, match="OptedOutException") as refused:
        ComplaintService(repo, RefusingNotifier(), clock).perform(reference, Command("respond", message="Hi"), AGENT)
    assert not refused.value.transient
    types = [e.type for e in repo.history(reference)]
    assert types[-1] == "delivery_failed" and "respond" not in types
    assert repo.get(reference).first_response_at is None


def test_a_transient_failure_records_nothing_so_the_request_can_be_retried(repo, clock):
    reference = make_pipeline(repo, RecordingNotifier(), clock).process(make_message()).reference
    before = repo.history(reference)
    service = ComplaintService(repo, RefusingNotifier(transient=True), clock)
    for _ in range(3):
        with pytest.raises(NotDelivered) as failed:
            service.perform(reference, Command("resolve", message="Refunded", resolution_code="refunded",
                                                root_cause="process"), AGENT)
        assert failed.value.transient
    assert repo.history(reference) == before and repo.get(reference).status == Status.NEW


def test_a_reply_is_sent_once_and_recorded_once_even_when_a_colleague_writes_first(notifier, clock):
    repo, reference = _contended(2, notifier, clock)
    before = len(notifier.sent)
    complaint, event = ComplaintService(repo, notifier, clock).perform(reference, Command("respond", message="Hi"),
                                                                       AGENT)
    assert len(notifier.sent) == before + 1  # the colleague's notes moved the version; nothing was sent twice
    types = [e.type for e in repo.history(reference)]
    assert types.count("respond") == 1 and types[-1] == "respond" and "customer_notified" not in types
    assert event.data["delivery"]["message_id"] == notifier.sent[-1].delivery.message_id
    assert complaint.first_response_at is not None


@pytest.mark.parametrize(
    "command, sent",
    [
        (Command("wait_on_customer", message="Could you send a photo of the label?"), True),
        (Command("wait_on_customer"), False),
        (Command("resolve", resolution_code="refunded", root_cause="process", message="We refunded you."), True),
        (Command("resolve", resolution_code="refunded", root_cause="process"), False),
        (Command("note", message="Courier says it was left with a neighbour."), False),
        (Command("acknowledge"), False),
    ],
)
def test_only_customer_facing_messages_are_sent(service, repo, notifier, stored, command, sent):
    before = len(notifier.sent)
    service.perform(stored, command, AGENT)
    assert [s.kind for s in notifier.sent[before:]] == ([command.action] if sent else [])
    last = repo.history(stored)[-1]
    assert last.type == command.action and ("delivery" in last.data) == sent


class ContendedRepository(InMemoryComplaintRepository):
    """Before each of the first `losses` saves, a colleague's note lands first, so that save loses the lock."""

    def __init__(self, losses: int):
        super().__init__()
        self.losses = losses
        self.attempts = 0
        self.contended = False

    def save(self, complaint, event):
        if not self.contended:
            return super().save(complaint, event)
        self.attempts += 1
        if self.attempts <= self.losses:
            current = self.get(complaint.reference)
            noted, note = apply(current, Command("note", message=f"note {self.attempts}"), Actor("agent-2", "agent"),
                                current.updated_at)
            super().save(noted, note)
        super().save(complaint, event)


def _contended(losses, notifier, clock):
    repo = ContendedRepository(losses)
    reference = make_pipeline(repo, notifier, clock).process(make_message()).reference
    repo.contended = True  # from now on (staff actions), each save races a colleague
    return repo, reference


def test_a_lost_optimistic_lock_is_retried_on_the_fresh_state(notifier, clock):
    repo, reference = _contended(1, notifier, clock)
    complaint, event = ComplaintService(repo, notifier, clock).perform(reference, Command("acknowledge"), AGENT)

    assert repo.attempts == 2
    assert complaint.status == Status.ACKNOWLEDGED and event.seq == 3
    assert [(e.seq, e.type, e.actor) for e in repo.history(reference)] == [
        (1, "received", "system"), (2, "note", "agent-2"), (3, "acknowledge", "agent-1"),
    ]


def test_retries_give_up_after_max_attempts(notifier, clock):
    repo, reference = _contended(ComplaintService.MAX_ATTEMPTS, notifier, clock)
    with pytest.raises(ConcurrentModification):
        ComplaintService(repo, notifier, clock).perform(reference, Command("acknowledge"), AGENT)
    assert repo.attempts == ComplaintService.MAX_ATTEMPTS
    assert repo.get(reference).status == Status.NEW
    assert [e.type for e in repo.history(reference)][-3:] == ["note", "note", "note"]


def test_a_stale_expected_version_is_refused_without_saving(service, repo, stored):
    with pytest.raises(ConcurrentModification, match="version 1, not 2"):
        service.perform(stored, Command("acknowledge"), AGENT, expected_version=2)
    assert repo.get(stored).status == Status.NEW and repo.saves == 0  # (the intake stored it with create)


def test_a_lost_lock_with_an_expected_version_is_not_retried(notifier, clock):
    repo, reference = _contended(1, notifier, clock)
    with pytest.raises(ConcurrentModification):
        ComplaintService(repo, notifier, clock).perform(reference, Command("acknowledge"), AGENT, expected_version=1)
    assert repo.attempts == 1 and repo.get(reference).status == Status.NEW


def test_a_matching_expected_version_succeeds(service, stored):
    complaint, _ = service.perform(stored, Command("acknowledge"), AGENT, expected_version=1)
    assert complaint.version == 2


# the fake itself ----------------------------------------------------------------------
def test_the_fake_repository_enforces_the_same_lock_as_dynamodb(repo, pipeline, stored):
    current = repo.get(stored)
    changed, event = apply(current, Command("note", message="x"), AGENT, T0)
    skipped = changed.evolve(version=current.version + 2)
    with pytest.raises(ConcurrentModification):
        repo.save(skipped, event)
    repo.save(changed, event)
    with pytest.raises(ConcurrentModification):
        repo.save(changed, event)  # same version again
    assert [e.seq for e in repo.history(stored)] == [1, 2]
