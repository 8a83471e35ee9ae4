"""The triage text classifier: shared featurizer, training, the lean runtime and its parity with scikit-learn."""
from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys

import joblib
import pytest

from chalicelib.triage.features import FeatureConfig, extract, sublinear_weight, tokenize
from chalicelib.triage.text_model import MAX_COUNT_PER_SUM, TextModel
from models.evaluate import evaluate
from models.train import SKLEARN_COPY, load_csv, train
from tests.conftest import ROOT

MIXED = ["My card never arrived", "我的银行卡还没有寄到", "退款 refund 还没到账 123", "Ünïcödé ＦＵＬＬＷＩＤＴＨ text", ""]

# A tiny synthetic data set: three labels, English, Chinese and mixed text.
ROWS = {
    "delivery": [
        "my parcel has not arrived", "the delivery is late again", "package still not delivered after a week",
        "where is my order, tracking has not moved", "courier never came", "包裹还没有送到", "快递延迟了三天",
        "order shipped but never arrived", "the delivery date keeps moving", "my card has not arrived yet",
    ],
    "billing": [
        "I was charged twice", "wrong amount on my invoice", "refund has not been paid back",
        "there is an extra fee on my bill", "you billed me for something I cancelled", "多扣了我的钱",
        "账单金额不对", "double charge on my credit card", "the invoice total is wrong", "charged a fee I never agreed to",
    ],
    "service_attitude": [
        "the agent was rude to me", "staff were impolite and unhelpful", "nobody answers my emails",
        "the support person hung up on me", "your employee shouted at me", "客服态度很差", "工作人员不礼貌",
        "the manager ignored my complaint", "the representative was condescending", "terrible attitude at the desk",
    ],
}


def _write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A model trained by the train command's Python function on a CSV written to a temporary folder."""
    folder = tmp_path_factory.mktemp("tiny")
    _write_csv(folder / "train.csv", [(text, label) for label, texts in ROWS.items() for text in texts])
    texts, labels = load_csv(folder / "train.csv")
    card = train(texts, labels, folder / "model", folds=3, n_jobs=1, version="tiny-test")
    return folder / "model", card


def test_features_are_deterministic_across_processes():
    config = FeatureConfig()
    here = [[sorted(block.items()) for block in extract(text, config)] for text in MIXED]
    code = (
        "import json, sys\nfrom chalicelib.triage.features import FeatureConfig, extract\n"
        "texts = json.loads(sys.argv[1])\n"
        "print(json.dumps([[sorted(b.items()) for b in extract(t, FeatureConfig())] for t in texts]))"
    )
    for seed in ("1", "2"):  # str hashes differ between these processes; crc32 does not
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-c", code, json.dumps(MIXED)]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        assert json.loads(out.stdout) == json.loads(json.dumps(here))


def test_chinese_and_mixed_text_get_character_ngrams():
    config = FeatureConfig()
    assert tokenize("退款 refund 还没到账 123", config) == ["退款", "refund", "还没到账", "000"]
    assert tokenize("ＦＵＬＬＷＩＤＴＨ", config) == ["fullwidth"]  # NFKC
    words, chars = extract("我的银行卡还没有寄到", config)
    assert len(words) == 1  # one run of CJK characters is one "word"
    assert len(chars) > 20  # ... and its character n-grams carry the signal
    assert all(key < config.buckets for key in words) and all(key >= config.buckets for key in chars)
    # shared characters give shared features, whatever the surrounding text
    assert set(extract("银行卡", config)[1]) & set(extract("我的银行卡丢了", config)[1])
    assert extract("", config) == ({}, {})


def test_sublinear_weights_damp_repetition_and_keep_the_same_keys():
    raw, sublinear = FeatureConfig(), FeatureConfig(tf="sublinear")
    text = "refund refund refund refund please"
    for raw_block, weighted in zip(extract(text, raw), extract(text, sublinear)):
        assert raw_block.keys() == weighted.keys()
        for key, count in raw_block.items():
            assert weighted[key] == round(16 * (1 + math.log(count)))
    assert sublinear_weight(1) == 16 and sublinear_weight(4) == 38 and sublinear_weight(5000) == 152
    assert FeatureConfig.from_dict(raw.to_dict()).tf == "raw"  # manifests written before the option stay raw


def test_feature_config_rejects_bad_values():
    with pytest.raises(ValueError):
        FeatureConfig(tf="log")
    with pytest.raises(ValueError):
        FeatureConfig(buckets=1000)
    with pytest.raises(ValueError):
        FeatureConfig(char_min=3, char_max=2)
    assert FeatureConfig.from_dict({**FeatureConfig().to_dict(), "unknown": 1}) == FeatureConfig()


def test_runtime_predicts_the_trained_labels(tiny_model):
    directory, card = tiny_model
    model = TextModel.load(directory)
    assert model.version == "tiny-test"
    assert set(model.labels) == set(ROWS)
    for text, expected in [
        ("my parcel is late and has not arrived", "delivery"),
        ("I was charged twice on my bill", "billing"),
        ("the staff were rude", "service_attitude"),
        ("包裹还没有送到", "delivery"),
    ]:
        prediction = model.predict(text)
        assert prediction.label == expected, (text, prediction)
        assert 0.0 < prediction.confidence <= 1.0
        assert [label for label, _ in prediction.top][0] == expected
        assert len(prediction.top) == 3 and len(prediction.scores) == 3
        assert [p for _, p in prediction.top] == sorted((p for _, p in prediction.top), reverse=True)
    assert len(model.predict("text", top_k=1).top) == 1
    assert card["metrics"]["cross_validation"]["folds"] == 3
    assert card["metrics"]["runtime_parity_on_training_rows"] == 1.0
    assert (directory / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# Model card: tiny-test")


def test_runtime_matches_the_sklearn_pipeline(tiny_model):
    directory, _ = tiny_model
    pipeline = joblib.load(directory / SKLEARN_COPY)
    model = TextModel.load(directory)
    texts = [
        *MIXED, "completely unseen words zyxw qwvu", "the the the the delivery delivery",
        "rude staff charged me twice and my parcel is late", "x" * 3000,
    ]
    expected_scores = pipeline.decision_function(texts)
    for text, expected, label in zip(texts, expected_scores, pipeline.predict(texts)):
        scores = model.scores(text)
        assert max(abs(a - b) for a, b in zip(scores, expected)) < 1e-3
        assert model.predict(text).label == label


def test_two_labels_and_very_long_text(tmp_path):
    """Two labels (scikit-learn's single score column) and a text whose counts need several chunks."""
    texts = [text for label in ("delivery", "billing") for text in ROWS[label]]
    labels = [label for label in ("delivery", "billing") for _ in ROWS[label]]
    config = FeatureConfig(max_chars=0, char_min=2, char_max=2)
    train(texts, labels, tmp_path / "binary", config=config, folds=0, version="binary")
    model, pipeline = TextModel.load_uncached(tmp_path / "binary"), joblib.load(tmp_path / "binary" / SKLEARN_COPY)
    long_text = "late parcel " * 40000  # 'late' alone counts 40,000 times; character n-grams far more
    assert sum(extract(long_text, config)[1].values()) > MAX_COUNT_PER_SUM
    for text in ["my parcel has not arrived", "wrong amount on my invoice", long_text]:
        (expected,) = pipeline.decision_function([text])
        low, high = model.scores(text)
        assert abs((high - low) / 2 - expected) < 1e-3  # scores are (-s, s)
        assert model.predict(text).label == pipeline.predict([text])[0]


def test_runtime_never_imports_heavy_libraries_nor_pickle(tiny_model, tmp_path):
    directory, _ = tiny_model
    served = tmp_path / "served"  # only the files the runtime needs: no scikit-learn copy beside them
    served.mkdir()
    manifest = json.loads((directory / "manifest.json").read_text())
    for name in ["manifest.json", *manifest["files"].values()]:
        shutil.copy(directory / name, served / name)
    code = (
        "import sys\n"
        "sys.modules['pickle'] = sys.modules['_pickle'] = None  # any unpickling would fail\n"
        "from chalicelib.triage.text_model import TextModel\n"
        f"print(TextModel.load({str(served)!r}).predict('my parcel is late').label)\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'pandas', 'numpy', 'joblib') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    label, heavy = out.stdout.strip().splitlines()
    assert label == "delivery"
    assert heavy == "[]"


def test_load_is_cached_and_checks_the_files(tiny_model, tmp_path):
    directory, _ = tiny_model
    assert TextModel.load(directory) is TextModel.load(str(directory))
    copy = tmp_path / "tampered"
    shutil.copytree(directory, copy)
    data = bytearray((copy / "rows.u32").read_bytes())
    data[0] ^= 1
    (copy / "rows.u32").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256"):
        TextModel.load_uncached(copy)


def test_evaluate_reports_quality_latency_and_parity(tiny_model, tmp_path):
    directory, _ = tiny_model
    texts = ["my parcel is very late", "charged twice on the invoice", "rude agent on the phone", "客服态度很差"]
    labels = ["delivery", "billing", "service_attitude", "service_attitude"]
    result = evaluate(directory, texts, labels)
    assert result["n"] == 4
    assert result["parity"] == 1.0
    assert set(result["per_class"]) == set(ROWS)
    assert {"accuracy", "macro_f1", "p50_ms", "p99_ms", "load_ms"} <= set(result)
    assert 0 < result["load_ms"] < 5000
