"""Near-duplicate detection: fingerprints, MinHash signatures, their Jaccard estimate and LSH band keys."""
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.triage.similarity import (
    BANDS,
    DEFAULT_THRESHOLD,
    NUM_BINS,
    MinHashSignature,
    band_keys,
    fingerprint,
    is_near_duplicate,
    jaccard,
    shingles,
    signature,
    similar,
    sketch,
    tokens,
)

ROOT = Path(__file__).resolve().parents[2]
COMPLAINT = (
    "I ordered a washing machine on 3 March and paid 499 pounds. The delivery was booked for 10 March but nobody "
    "came. I called customer service four times, waited on hold for over an hour each time, and was promised a "
    "call back that never happened. I have now taken two days off work for nothing. I want a firm delivery date "
    "this week or a full refund, and compensation for the wasted days."
)
OTHER_COMPLAINT = (
    "My credit card was charged twice for the same hotel booking in May. The bank says the merchant must refund "
    "it, the merchant says the bank must reverse it. I have sent both of them the receipts and statements and "
    "nobody takes responsibility. Please make them return the duplicate charge of 230 dollars."
)
CHINESE = "我在三月三日买的洗衣机，付了三千元，约好十号送货，但是一直没人送。客服电话打了四次都说会回电，结果没有任何回复。我要求本周内送货或者全额退款。"


def test_fingerprint_ignores_case_punctuation_spacing_and_line_breaks():
    resent = COMPLAINT.upper().replace(". ", ".\n\n").replace(",", " ,")
    assert fingerprint(resent) == fingerprint(COMPLAINT)
    assert fingerprint(COMPLAINT + " Thanks") != fingerprint(COMPLAINT)
    assert len(fingerprint(COMPLAINT)) == 32


@pytest.mark.parametrize(
    "variant",
    [
        "Hello,\n\nI am writing again about this.\n\n" + COMPLAINT + "\n\nRegards,\nJane",  # greeting and sign-off
        COMPLAINT.replace(". ", ".\n"),  # different line breaks
        COMPLAINT.replace("four times", "five times").replace("two days", "three days"),  # small edits
        COMPLAINT.replace("customer service", "customer servise").replace("promised", "promissed"),  # typos
    ],
)
def test_resent_complaints_with_small_changes_match(variant):
    a, b = signature(COMPLAINT), signature(variant)
    assert similar(a, b) >= DEFAULT_THRESHOLD
    assert is_near_duplicate(a, b)
    assert set(band_keys(a)) & set(band_keys(b))


def test_different_complaints_do_not_match():
    assert similar(signature(COMPLAINT), signature(OTHER_COMPLAINT)) < 0.2
    assert not is_near_duplicate(signature(COMPLAINT), signature(CHINESE))


def test_chinese_uses_character_pairs_and_matches_a_resend():
    assert shingles("快递没到")[:2] == ["快 递", "递 没"]
    resent = "您好！" + CHINESE.replace("四次", "五次") + "谢谢。"
    assert similar(signature(CHINESE), signature(resent)) >= DEFAULT_THRESHOLD
    different = "手机屏幕用了两天就碎了，售后说是人为损坏不给保修，我要求换一台新的或者退款。"
    assert similar(signature(CHINESE), signature(different)) < 0.3


def test_estimate_follows_exact_jaccard():
    variant = COMPLAINT.replace("washing machine", "dryer").replace("nobody came", "no one arrived")
    estimate = similar(signature(COMPLAINT), signature(variant))
    assert abs(estimate - jaccard(COMPLAINT, variant)) <= 0.15


def test_signature_shape_encoding_and_band_keys():
    sig = signature(COMPLAINT)
    assert len(sig.values) == NUM_BINS and all(0 <= v < 2**32 for v in sig.values)
    assert MinHashSignature.decode(sig.encode()) == sig
    keys = band_keys(sig)
    assert len(keys) == BANDS == len(set(keys))
    assert all(len(key) == 19 and key[2] == ":" for key in keys)
    assert keys == band_keys(signature(COMPLAINT))


def test_empty_text_has_no_signature_to_compare():
    empty = signature("  ...  ")
    assert empty.is_empty and band_keys(empty) == ()
    assert similar(empty, empty) == 0.0


def test_tokens_drop_redaction_marks():
    assert tokens("Paid XXXX on XX/XX/2019, x") == ["paid", "on", "2019", "x"]


def test_signatures_are_the_same_in_another_process():
    code = (
        "from chalicelib.triage.similarity import signature, band_keys;"
        f"print(band_keys(signature({COMPLAINT!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PYTHONPATH": str(ROOT)}).stdout.strip()
    assert out == str(band_keys(signature(COMPLAINT)))


def test_sketch_holds_fingerprint_signature_and_keys_from_one_pass():
    result = sketch(COMPLAINT)
    assert result.fingerprint == fingerprint(COMPLAINT)
    assert result.signature == signature(COMPLAINT)
    assert result.band_keys == band_keys(signature(COMPLAINT))
