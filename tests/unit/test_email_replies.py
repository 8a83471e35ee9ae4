"""Replies through the channel: threading headers, the e-mail thread, acknowledgement caps, sending failures."""
import dataclasses
import email
from email import policy

import pytest


from chalicelib.adapters.notifiers import ChannelNotifier, OutgoingMessage, outgoing, raw_email
from chalicelib.domain.errors import NotDelivered
from chalicelib.domain.lifecycle import Actor, Command
from chalicelib.domain.model import Channel
from chalicelib.domain.ports import DeliveryFailed
from chalicelib.domain.service import ComplaintService, IntakePipeline
from chalicelib.domain.stages import (
    BasicScreener,
    CategoryTeamRouter,
    FixedTargetsSla,
    RequestedCategoryClassifier,
    SimpleTriage,
)
from chalicelib.mail import Kind, classify, parse_email
from tests.fakes import make_complaint, make_message, RecordingAlerts

AGENT = Actor("agent-1", "agent")


class ScriptedTransport:
    """Delivers, or raises the failures it was given, in order."""

    def __init__(self, *failures):
        self.failures = list(failures)
        self.sent: list[OutgoingMessage] = []

    def deliver(self, message):
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"0100-ses-{len(self.sent)}"


class CountingLimiter:
    def __init__(self, cap):
        self.cap, self.seen = cap, {}

    def allow(self, sender, day, reference):
        refs = self.seen.setdefault((sender, day), set())
        if reference in refs or len(refs) < self.cap:
            refs.add(reference)
            return True
        return False


def pipeline_with(repo, clock, transport, limiter=None, alerts=None):
    notifier = ChannelNotifier(transport, mail_domain="example.com")
    return IntakePipeline(repo, notifier, SimpleTriage(BasicScreener(), RequestedCategoryClassifier()),
                          FixedTargetsSla(), CategoryTeamRouter(), clock, b"secret", ack_limiter=limiter, alerts=alerts)


def email_message(**fields):
    return dataclasses.replace(make_message(channel=Channel.EMAIL, **fields))


def test_an_email_complaint_is_answered_in_its_thread_and_the_sent_mails_id_is_indexed(repo, clock):
    transport = ScriptedTransport()
    pipeline = pipeline_with(repo, clock, transport)
    message = dataclasses.replace(email_message(message_id="<c1@mail.example>"), references=("<root@mail.example>",))
    reference = pipeline.process(message).reference

    (ack,) = transport.sent
    assert ack.thread == ("<root@mail.example>", "<c1@mail.example>")
    mime = email.message_from_bytes(raw_email(ack, "complaints@example.com"), policy=policy.default)
    assert mime["In-Reply-To"] == "<c1@mail.example>"
    assert mime["References"] == "<root@mail.example> <c1@mail.example>"
    assert mime["Message-ID"] == ack.message_id and ack.message_id.startswith(f"<{reference}-")
    assert f"[{reference}]" in mime["Subject"] and f"[ref:{reference}]" in mime.get_content()
    assert mime["Auto-Submitted"] == "auto-replied" and mime["X-Complaints-Mailer"] == reference
    # our own mail, if it ever came back, is recognised as such
    assert classify(parse_email(raw_email(ack, "complaints@example.com"))).kind == Kind.AUTO_REPLY

    # SES replaces our Message-ID with its own: a reply carries SES's, never ours. The acknowledgement goes out after
    # the complaint is stored, so its id is in the message index only, not in the stored thread.
    assert repo.get(reference).email_thread == ("<root@mail.example>", "<c1@mail.example>")
    assert repo.reference_for_message("email#<0100-ses-1@email.amazonses.com>") == reference
    assert repo.reference_for_message(f"email#{ack.message_id}") is None


def test_a_staff_reply_continues_the_thread_with_a_stable_message_id(repo, clock):
    transport = ScriptedTransport()
    complaint = make_complaint(channel=Channel.EMAIL, email_thread=("<c1@x>", "<ack@example.com>"))
    repo.create(complaint, [], "email#<c1@x>")
    ComplaintService(repo, ChannelNotifier(transport, mail_domain="example.com"), clock).perform(
        complaint.reference, Command("respond", message="We are sending a new heater."), AGENT)

    (reply,) = transport.sent
    assert reply.subject == "Re: Parcel never arrived" and reply.thread == ("<c1@x>", "<ack@example.com>")
    again = outgoing(repo.get(complaint.reference).evolve(version=reply.complaint_version, email_thread=reply.thread),
                     "respond", "We are sending a new heater.", mail_domain="example.com")
    assert again.message_id == reply.message_id  # a retried send keeps its Message-ID (and its idempotency key)


def test_acknowledgements_are_capped_per_sender_per_day(repo, clock):
    transport = ScriptedTransport()
    pipeline = pipeline_with(repo, clock, transport, limiter=CountingLimiter(cap=2))
    references = [pipeline.process(email_message(text=f"Problem number {n} with my order.")).reference
                  for n in range(4)]
    assert len(transport.sent) == 2
    assert [repo.get(r).ack_sent_at is not None for r in references] == [True, True, False, False]
    assert len(repo.complaints) == 4  # capped acknowledgements, never lost complaints


def test_mail_that_asks_for_no_automatic_reply_gets_no_acknowledgement(repo, clock):
    transport = ScriptedTransport()
    pipeline = pipeline_with(repo, clock, transport)
    result = pipeline.process(dataclasses.replace(email_message(), details={"may_auto_reply": False}))
    assert result.created and transport.sent == []


def test_a_permanent_sending_failure_is_recorded_and_alerted(repo, clock):
    alerts = RecordingAlerts()
    transport = ScriptedTransport(DeliveryFailed("MessageRejected: address blacklisted", permanent=True))
    pipeline, message = pipeline_with(repo, clock, transport, alerts=alerts), email_message()
    reference = pipeline.process(message).reference
    assert pipeline.process(message).reference == reference  # re-delivered: the rejected address is not tried again

    failed = [e for e in repo.history(reference) if e.type == "delivery_failed"]
    assert len(failed) == 1 and "MessageRejected" in failed[0].message and transport.sent == []
    (alert,) = alerts.published
    assert (alert.type, alert.body["reference"], alert.attributes["team"]) == ("delivery_failed", reference, "logistics")


def test_a_transient_failure_propagates_so_the_queue_retries_and_the_retry_completes_the_ack(repo, clock):
    transport = ScriptedTransport(DeliveryFailed("Throttling", permanent=False))
    pipeline = pipeline_with(repo, clock, transport)
    message = email_message()
    with pytest.raises(DeliveryFailed):
        pipeline.process(message)
    result = pipeline.process(message)  # the queue delivers the message again
    assert not result.created and len(transport.sent) == 1
    assert repo.get(result.reference).ack_sent_at is not None


@pytest.mark.parametrize("permanent", [True, False])
def test_a_staff_reply_that_cannot_be_sent_is_not_a_response(repo, clock, permanent):
    alerts = RecordingAlerts()
    transport = ScriptedTransport(DeliveryFailed("MessageRejected: address blacklisted", permanent=permanent))
    complaint = make_complaint()
    repo.create(complaint, [], "web#x")
    service = ComplaintService(repo, ChannelNotifier(transport), clock, alerts)
    with pytest.raises(NotDelivered) as refused:
        service.perform(complaint.reference, Command("respond", message="On its way."), AGENT)

    assert refused.value.transient is not permanent
    assert repo.get(complaint.reference).first_response_at is None
    # refused for good: the history says so and the managers hear of it; for now: nothing is recorded, retry is safe
    assert [e.type for e in repo.history(complaint.reference)] == (["delivery_failed"] if permanent else [])
    assert len(alerts.published) == (1 if permanent else 0)
