"""The complaint page's view model: SMS parts, the conversation's kinds, who wrote last, time left."""
from datetime import datetime, timedelta, timezone

from chalicelib.domain.model import Event, Visibility
from chalicelib.web.complaint_view import changed_since, conversation, customer_wrote_last, sms_segments, time_left
from tests.fakes import make_complaint

AT = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)
REF = "CMP-20261122-7QF3K"


def event(seq: int, type_: str, message: str | None = None, **data) -> Event:
    return Event(REF, seq, AT + timedelta(minutes=seq), type_, "agent", "agent", Visibility.PUBLIC, {}, message, data)


def test_sms_parts_in_gsm_7_and_ucs_2():
    assert sms_segments("").count == 0
    assert (sms_segments("a" * 160).count, sms_segments("a" * 161).count) == (1, 2)
    assert sms_segments("€" * 80).characters == 160 and sms_segments("€" * 80).count == 1  # two places each
    chinese = sms_segments("您好" * 35)
    assert (chinese.encoding, chinese.count, sms_segments("您好" * 36).count) == ("UCS-2", 1, 2)
    assert sms_segments("🙂").characters == 2  # a surrogate pair


def test_the_conversation_tells_customer_messages_replies_notes_and_changes_apart():
    complaint = make_complaint(description="My parcel never came.")
    history = [event(1, "received", "Complaint received via web"), event(2, "assign"),
               event(3, "respond", "We are on it.", delivery={"channel": "email"}), event(4, "note", "Called."),
               event(5, "customer_message", "Any news?", channel="sms")]
    entries = conversation(complaint, history)
    assert [e.kind for e in entries] == ["customer", "change", "reply", "note", "customer"]
    assert entries[0].text == "My parcel never came." and entries[2].channel == "email" and entries[4].channel == "sms"
    assert customer_wrote_last(entries) and not customer_wrote_last(entries[:4])
    assert [e.seq for e in changed_since(history, 3)] == [4, 5]


def test_time_left_and_late():
    assert time_left(AT + timedelta(hours=3, minutes=20), AT) == ("3 h 20 min", False)
    assert time_left(AT - timedelta(minutes=45), AT) == ("45 min", True)
    assert time_left(AT + timedelta(days=2, hours=1), AT) == ("2 d 1 h", False)
    assert time_left(None, AT) == ("", False)
