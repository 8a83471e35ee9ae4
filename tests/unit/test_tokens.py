"""Complaint references and customer access tokens."""
import re
from datetime import datetime, timezone

import pytest

from chalicelib.domain.reference import ALPHABET, PATTERN, is_reference, new_reference
from chalicelib.domain.tokens import access_token, token_fingerprint, token_matches

SECRET = b"unit-test-secret"
REF = "CMP-20261122-7QF3K"


def test_new_references_match_the_format_and_carry_the_date():
    now = datetime(2026, 11, 22, 23, 59, tzinfo=timezone.utc)
    references = {new_reference(now) for _ in range(200)}
    assert len(references) > 190  # random suffix
    for reference in references:
        assert re.fullmatch(r"CMP-20261122-[0-9A-Z]{5}", reference)
        assert is_reference(reference) and PATTERN.match(reference)
        assert not set(reference[-5:]) & set("ILOU")


@pytest.mark.parametrize(
    "text",
    ["CMP-2026112-7QF3K", "CMP-20261122-7QF3", "CMP-20261122-7QF3KK", "cmp-20261122-7QF3K",
     "CMP-20261122-7QF3I", "CMP-20261122-OQF3K", "XCMP-20261122-7QF3K", "CMP-20261122-7QF3K\n", "CMP-٢٠٢٦١١٢٢-7QF3K", ""],
)
def test_malformed_references_are_rejected(text):
    assert not is_reference(text)


def test_the_alphabet_is_crockford_base32():
    assert len(ALPHABET) == 32 and len(set(ALPHABET)) == 32 and not set(ALPHABET) & set("ILOU")


def test_token_is_deterministic_per_secret_and_reference():
    token = access_token(SECRET, REF)
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert token == access_token(SECRET, REF)
    assert token != access_token(SECRET, "CMP-20261122-7QF3M")
    assert token != access_token(b"another-secret", REF)


def test_token_verifies_only_with_the_right_token_and_fingerprint():
    token = access_token(SECRET, REF)
    stored = token_fingerprint(token)
    assert token_matches(SECRET, REF, token, stored)
    assert not token_matches(SECRET, REF, token[:-1] + ("0" if token[-1] != "0" else "1"), stored)
    assert not token_matches(SECRET, "CMP-20261122-7QF3M", token, stored)
    assert not token_matches(b"another-secret", REF, token, stored)
    assert not token_matches(SECRET, REF, token, token_fingerprint("something else"))
    assert not token_matches(SECRET, REF, "", stored)
    assert not token_matches(SECRET, REF, None, stored)
    assert not token_matches(SECRET, REF, token, None)


def test_the_stored_fingerprint_is_not_the_token():
    token = access_token(SECRET, REF)
    fingerprint = token_fingerprint(token)
    assert fingerprint != token and token not in fingerprint
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    assert fingerprint == token_fingerprint(token)
