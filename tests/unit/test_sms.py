"""The SMS channel on fakes: keywords, references quoted in a message, opt-outs and the notifier's check."""
import pytest

from chalicelib.adapters.notifiers import ChannelNotifier, outgoing
from chalicelib.domain.model import Channel, Sender
from chalicelib.domain.reference import find_reference
from chalicelib.domain.customer_messages import keyword_reply
from chalicelib.domain.sms import InboundSms, SmsIntake, keyword
from chalicelib.phones import normalize_phone, sender_phone
from tests.fakes import T0, InMemorySmsConsents, RecordingQueue, make_complaint

PHONE = "+14255550182"


def sms(text, message_id="m-1", phone=PHONE):
    return InboundSms(provider="aws", message_id=message_id, phone=phone, text=text, received_at=T0)


@pytest.fixture
def consents():
    return InMemorySmsConsents()


@pytest.fixture
def queue():
    return RecordingQueue()


@pytest.fixture
def intake(queue, consents):
    return SmsIntake(queue, consents)


@pytest.mark.parametrize("text, word", [
    ("STOP", "STOP"), (" stop ", "STOP"), ("Stop.", "STOP"), ("unsubscribe", "UNSUBSCRIBE"), ("StopAll", "STOPALL"),
    ("cancel", "CANCEL"), ("END", "END"), ("quit!", "QUIT"), ("start", "START"), ("Yes", "YES"),
    ("unstop", "UNSTOP"), ("help", "HELP"), ("INFO", "INFO"),
    ("stop sending me bills", None), ("please help", None), ("", None), ("STOPP", None),
])
def test_keywords_are_whole_messages_in_any_case(text, word):
    assert keyword(text) == word


def test_a_quoted_reference_is_found_in_any_case_but_not_inside_a_longer_token():
    assert find_reference("about cmp-20261122-7qf3k: still broken") == "CMP-20261122-7QF3K"
    assert find_reference("(CMP-20261122-7QF3K)") == "CMP-20261122-7QF3K"
    assert find_reference("CMP-20261122-7QF3KX or XCMP-20261122-7QF3K") is None
    assert find_reference("CMP-20261122-7QF3I") is None  # I is not in the alphabet
    assert find_reference("no reference") is None


def test_a_message_goes_onto_the_intake_queue_as_sms_with_the_quoted_reference(intake, queue, consents):
    outcome = intake.receive(sms("Re CMP-20261122-7QF3K: the refund has still not arrived"))
    assert (outcome.action, outcome.reply) == ("message", None)
    (message,) = queue.sent
    assert message.channel == Channel.SMS and message.channel_message_id == "m-1"
    assert message.sender == Sender(phone=PHONE)
    assert message.thread_reference == "CMP-20261122-7QF3K"
    assert message.text == "Re CMP-20261122-7QF3K: the refund has still not arrived"
    assert consents.log == []


def test_a_long_first_line_is_shortened_for_the_subject(intake, queue):
    intake.receive(sms("x" * 100 + "\nsecond line"))
    assert len(queue.sent[0].subject) == 60 and queue.sent[0].subject.endswith("…")


def test_keywords_are_recorded_never_queued_and_answered_once(intake, queue, consents):
    assert intake.receive(sms("STOP", "m-1")).reply is None
    assert consents.opted_out(PHONE)
    help_outcome = intake.receive(sms("help", "m-2"))
    assert (help_outcome.action, help_outcome.reply) == ("help", keyword_reply("help", "en"))
    assert consents.opted_out(PHONE)  # HELP changes nothing
    assert intake.receive(sms("help", "m-2")).reply is None  # a re-delivery is not answered again
    start = intake.receive(sms("Yes", "m-3"))
    assert (start.action, start.reply) == ("start", keyword_reply("start", "en"))
    assert not consents.opted_out(PHONE)
    assert queue.sent == []
    assert [(c.keyword, c.action, c.state) for c in consents.log] == [
        ("STOP", "stop", "opted_out"), ("HELP", "help", "opted_out"), ("YES", "start", "opted_in")]


class Transport:
    def __init__(self):
        self.sent = []

    def deliver(self, message):
        self.sent.append(message)
        return f"id-{len(self.sent)}"


def test_no_sms_goes_to_a_number_that_opted_out(consents):
    complaint = make_complaint(channel=Channel.SMS, sender=Sender(phone=PHONE))
    transport = Transport()
    notifier = ChannelNotifier(transport, sms_consents=consents)
    assert notifier.send(complaint, "acknowledgement", "hello").channel == "sms"
    consents.states[PHONE] = "opted_out"
    assert notifier.send(complaint, "acknowledgement", "hello") is None
    assert len(transport.sent) == 1
    both = make_complaint(channel=Channel.SMS, sender=Sender(email="ada@example.com", phone=PHONE))
    assert notifier.send(both, "acknowledgement", "hello").channel == "email"  # e-mail is still allowed


def test_the_opt_out_is_not_looked_up_when_no_sms_would_be_sent():
    looked_up = []
    complaint = make_complaint(sender=Sender(email="ada@example.com", phone=PHONE))
    message = outgoing(complaint, "acknowledgement", "hi", sms_blocked=lambda phone: looked_up.append(phone))
    assert message.channel == "email" and looked_up == []


def test_an_acknowledgement_after_stop_is_recorded_as_unreachable(repo, clock, consents):
    from chalicelib.domain.service import IntakePipeline
    from tests.unit.conftest import make_pipeline

    transport = Transport()
    pipeline: IntakePipeline = make_pipeline(repo, ChannelNotifier(transport, sms_consents=consents), clock)
    intake = SmsIntake(RecordingQueue(), consents)
    intake.receive(sms("STOP", "m-1"))
    queue = intake.queue
    intake.receive(sms("The meter reading on my bill is wrong again", "m-2"))
    result = pipeline.process(queue.sent[0])
    assert [e.type for e in repo.history(result.reference)] == ["received", "customer_unreachable"]
    assert transport.sent == []


@pytest.mark.parametrize("raw, region, e164", [
    ("(425) 555-0182", "US", "+14255550182"), ("425.555.0182", "US", "+14255550182"),
    ("020 7946 0958", "GB", "+442079460958"), ("+44 20 7946 0958", "US", "+442079460958"),
])
def test_national_numbers_become_e164(raw, region, e164):
    assert normalize_phone(raw, region) == e164


def test_a_sender_phonenumbers_cannot_validate_is_kept_as_sent():
    assert sender_phone("4255550182") == "+14255550182"
    assert sender_phone(" 12345 ") == "12345"  # a short code
