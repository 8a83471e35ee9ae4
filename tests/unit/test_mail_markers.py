"""Threading markers: what goes out on our mail, and what is found again in a reply."""
import pytest

from chalicelib.domain.reference import is_reference
from chalicelib.mail.markers import (
    body_marker, new_message_id, reference_in_body, reference_in_message_id, reference_in_subject, subject_tag,
    tag_subject,
)

REF = "CMP-20261122-7QF3K"


def test_our_message_ids_encode_the_reference_and_are_unique():
    first, second = new_message_id(REF, "mail.shop.example"), new_message_id(REF, "mail.shop.example")
    assert first != second and first.startswith(f"<{REF}-") and first.endswith("@mail.shop.example>")
    assert reference_in_message_id(first) == REF and reference_in_message_id(first.strip("<>")) == REF


@pytest.mark.parametrize("message_id", [None, "", "<abc@gmail.com>", f"<{REF}@gmail.com>", f"<x-{REF}-{'a' * 32}@x>"])
def test_other_message_ids_carry_no_reference(message_id):
    assert reference_in_message_id(message_id) is None


@pytest.mark.parametrize("subject, expected", [
    (f"Re: Your complaint {subject_tag(REF)}", REF),
    (f"AW: [{REF.lower()}] Paket", REF),  # Crockford base32 is read case-insensitively
    (f"My complaint {REF} is still open", REF),  # typed bare by the customer
    ("CMP-20261122-7QF3I", None),  # I, L, O and U are not in the alphabet
    ("XCMP-20261122-7QF3K", None),
    (f"{REF}9", None),
    ("", None),
    (None, None),
])
def test_reference_in_subject(subject, expected):
    assert reference_in_subject(subject) == expected


def test_reference_in_body_finds_only_our_marker_even_when_quoted():
    assert body_marker(REF) == f"[ref:{REF}]"
    assert reference_in_body(f"Thanks.\n\n> Dear Ada,\n> {body_marker(REF)}\n") == REF
    assert reference_in_body(f"[ ref : {REF} ]") == REF
    assert reference_in_body(f"my complaint {REF}") is None


def test_tagging_a_subject_is_idempotent_and_references_are_checked():
    tagged = tag_subject("Your complaint", REF)
    assert tagged == f"Your complaint [{REF}]" and tag_subject(tagged, REF) == tagged
    assert is_reference(reference_in_subject(tagged))
    with pytest.raises(ValueError):
        new_message_id("CMP-1-2", "shop.example")
