"""Invalid complaints: empty, too short, gibberish, tests, and messages that are only a link, address or number."""
import pytest

from chalicelib.triage.validity import REASONS, ValidityRules, Verdict, check_validity


@pytest.mark.parametrize(
    "text, code",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("ok", "too_short"),
        ("Refund", "too_short"),
        ("退款", "too_short"),
        ("test", "test_message"),
        ("Testing 123", "test_message"),
        ("asdf", "test_message"),
        ("this is a test", "test_message"),
        ("Test message, please ignore.", "test_message"),
        ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.", "test_message"),
        ("测试", "test_message"),
        ("Hello, this is just a test message.", "test_message"),
        ("Hi team, sending a test", "test_message"),
        ("随便写写", "test_message"),
        ("hi there", "no_content"),
        ("Blah blah blah", "no_content"),
        ("Hello, how are you?", "no_content"),
        ("asdkjh aslkdj alskdj alskdj alskdj", "gibberish"),
        ("这是测试消息", "test_message"),
        ("asdfghjkl", "gibberish"),
        ("jkjkjkjkjk", "gibberish"),
        ("aaaaaaaaaaaaa", "gibberish"),
        ("fjdkslfjdksl sdjfhsdkf", "gibberish"),
        ("xkcdqp zrtvbn wqrtpl", "gibberish"),
        ("ewjfoiwejf oiwjefoiwje foiwjef", "gibberish"),
        ("help help help help help", "gibberish"),
        ("!!!!!!!!!!!!!!!!", "gibberish"),
        ("啊啊啊啊啊啊啊", "gibberish"),
        ("http://example.com/x", "only_link"),
        ("see https://bit.ly/3xYz", "only_link"),
        ("www.example.com http://example.org", "only_link"),
        ("john.smith@example.com", "only_email"),
        ("+1 (555) 123-4567", "only_phone"),
        ("Call me at 555-123-4567", "only_phone"),
        ("我的电话 13812345678", "only_phone"),
        ("john@example.com 555-123-4567", "only_contact_details"),
    ],
)
def test_invalid_messages_get_a_code_and_plain_words(text, code):
    verdict = check_validity(text)
    assert verdict == Verdict(False, code, REASONS[code])


@pytest.mark.parametrize(
    "text",
    [
        "快递三天没到，客服不回复",  # short but real Chinese
        "要退款",
        "Card declined twice, charged anyway",  # terse but real English
        "Lost password",
        "I can't log in",
        "SENT FTC VIOLATION",  # acronyms are words
        "Not my accounts",
        "Never lived at XXXX XXXX. X wife lives there",  # CFPB redaction marks
        "My email is john@example.com, I was charged twice",
        "Wrong charge, see https://bank.example/statement/1",
        "Mi tarjeta fue rechazada dos veces",
        "订单 12345 still not delivered, 客服不回复",  # mixed Chinese and English
        "I took a COVID test at your clinic and was billed twice",  # "test" inside a real complaint
        "The heater caught fire last night and nobody from your company has called me back since.",
        "Hello, my refund never came",  # a greeting, then content
        "Lengths and strengths of the cables are wrong",  # consonant clusters of English words
        "No, thank you: cancel my subscription",
    ],
)
def test_real_complaints_are_valid(text):
    assert check_validity(text) == Verdict(True, None, None)


def test_a_subject_can_supply_what_a_short_body_lacks():
    assert check_validity("", subject="Heater caught fire").valid
    assert check_validity("https://photos.example.com/123", subject="Heater caught fire").valid
    assert check_validity("see subject", subject="Parcel never arrived").valid


def test_a_subject_does_not_rescue_garbage_or_tests():
    assert check_validity("asdfghjkl", subject="Complaint").reason_code == "gibberish"
    assert check_validity("test", subject="test").reason_code == "test_message"


def test_thresholds_are_configurable():
    strict = ValidityRules(min_units=20)
    assert check_validity("Lost password", rules=strict).reason_code == "too_short"
    assert check_validity("Lost password").valid


def test_every_reason_code_has_plain_words():
    assert all(words.endswith(".") and len(words) > 15 for words in REASONS.values())
