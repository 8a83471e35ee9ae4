"""CSAT survey tokens (signed, expiring, single-use id) and answer validation."""
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import InvalidCommand
from chalicelib.quality.survey import (
    MAX_COMMENT, SurveyAnswer, SurveyTokenError, SurveyTokenExpired, SurveyTokenInvalid, SurveyTokenMalformed,
    issue, verify,
)

SECRET = b"survey-test-secret"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def test_issued_token_verifies_and_carries_reference_expiry_and_id():
    issued = issue(SECRET, "CMP-20261123-ABC12", NOW, timedelta(days=7), token_id="nonce-1")
    assert issued.token.startswith("v1.") and issued.token.count(".") == 2
    claim = verify(SECRET, issued.token, NOW + timedelta(days=6, hours=23))
    assert claim == issued.claim
    assert (claim.reference, claim.token_id, claim.used_key) == ("CMP-20261123-ABC12", "nonce-1", "survey#nonce-1")
    assert (claim.issued_at, claim.expires_at) == (NOW, NOW + timedelta(days=7))
    # each link gets its own random id, so marking one used does not block another
    assert issue(SECRET, "CMP-1", NOW).claim.token_id != issue(SECRET, "CMP-1", NOW).claim.token_id


def test_expired_token():
    token = issue(SECRET, "CMP-1", NOW, timedelta(hours=1)).token
    with pytest.raises(SurveyTokenExpired) as error:
        verify(SECRET, token, NOW + timedelta(hours=1))
    assert (error.value.reason, error.value.field) == ("expired", "token")
    assert isinstance(error.value, InvalidCommand)  # the web layer already maps it to a 400


def test_wrong_secret_or_changed_payload_is_invalid():
    token = issue(SECRET, "CMP-1", NOW).token
    with pytest.raises(SurveyTokenInvalid):
        verify(b"another-secret", token, NOW)
    version, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**body, "ref": "CMP-2"}).encode()).rstrip(b"=").decode()
    with pytest.raises(SurveyTokenInvalid) as error:
        verify(SECRET, f"{version}.{forged}.{signature}", NOW)
    assert error.value.reason == "invalid"
    # an expired forgery is reported as invalid, not as expired: nothing in it is trusted
    with pytest.raises(SurveyTokenInvalid):
        verify(b"another-secret", token, NOW + timedelta(days=365))


@pytest.mark.parametrize("token", ["", "garbage", "v1.onlytwo", "v2.a.b", "v1..sig", "v1.payload.", "v1.a.b.c",
                                   "v1.abc.!!!*", "v1.abc.abcde", None])
def test_malformed_tokens(token):
    with pytest.raises(SurveyTokenMalformed) as error:
        verify(SECRET, token, NOW)
    assert isinstance(error.value, SurveyTokenError) and error.value.reason == "malformed"


def test_issue_needs_a_reference_a_secret_and_a_positive_ttl():
    with pytest.raises(ValueError):
        issue(SECRET, " ", NOW)
    with pytest.raises(ValueError):
        issue(SECRET, "CMP-1", NOW, timedelta(0))
    with pytest.raises(ValueError):
        issue(b"", "CMP-1", NOW)


def test_answers():
    assert SurveyAnswer(5).as_event_data() == {"score": 5, "reason": None, "comment": None, "not_solved": False}
    low = SurveyAnswer(1, reason="rude", comment="Nobody listened.", not_solved=True)
    assert low.not_solved and low.as_event_data()["reason"] == "rude"
    parsed = SurveyAnswer.parse({"score": "2", "reason": " slow ", "comment": "   ", "not_solved": "on"})
    assert parsed == SurveyAnswer(2, reason="slow", comment=None, not_solved=True)
    assert SurveyAnswer.parse({"score": 4, "reason": ""}) == SurveyAnswer(4)
    assert len(SurveyAnswer(3, comment="x" * MAX_COMMENT).comment) == MAX_COMMENT


@pytest.mark.parametrize("fields, field", [
    (dict(score=0), "score"), (dict(score=6), "score"), (dict(score=4.5), "score"), (dict(score=True), "score"),
    (dict(score="4"), "score"),
    (dict(score=2), "reason"),  # a low score needs a reason
    (dict(score=1, reason="weather"), "reason"),
    (dict(score=4, comment="x" * (MAX_COMMENT + 1)), "comment"),
    (dict(score=4, not_solved="yes"), "not_solved"),
])
def test_invalid_answers(fields, field):
    with pytest.raises(InvalidCommand) as error:
        SurveyAnswer(**fields)
    assert error.value.field == field


def test_parse_reports_bad_input_on_its_field():
    with pytest.raises(InvalidCommand) as error:
        SurveyAnswer.parse({"score": "five"})
    assert error.value.field == "score"
    with pytest.raises(InvalidCommand) as error:
        SurveyAnswer.parse({"score": "1"})
    assert error.value.field == "reason"
