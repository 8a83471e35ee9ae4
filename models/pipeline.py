"""The scikit-learn pipeline that training fits, and its export to the lean runtime format (training only).

    texts -> HashedFeatures (counts, from chalicelib.triage.features: the code the runtime runs; with an encoder,
             then the sentence embedding, chalicelib.triage.encoder)
          -> per block: SeenColumns (buckets seen in training) -> TfidfTransformer (idf, l2 norm);
             the embedding passes as it is
          -> LinearSVC

The tf-idf and the classifier are scikit-learn's own objects, so the parity that `models.evaluate` measures
compares the runtime against an independent implementation.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from chalicelib.triage.encoder import DIMENSIONS, NAME as ENCODER_NAME, PACKAGE as ENCODER_PACKAGE
from chalicelib.triage.features import BLOCKS, FeatureConfig, extract
from chalicelib.triage.text_model import FORMAT, IDF_SQUARED_SCALE, OFFSET

WEIGHT_LIMIT = OFFSET - 1  # int16 quantisation: the largest |idf * weight| maps to this
ENCODER_BLOCK = "encoder"


def encoder_version() -> str:
    from importlib.metadata import version

    return version(ENCODER_PACKAGE)


class HashedFeatures(BaseEstimator, TransformerMixin):
    """Texts -> sparse counts over (block, bucket) columns, from the runtime's own featurizer; with `encoder`, then
    the texts' sentence embeddings (cached by models.embeddings). Stateless."""

    def __init__(self, config: FeatureConfig | None = None, encoder: bool = False):
        self.config = config
        self.encoder = encoder

    def fit(self, texts, labels=None):
        return self

    def transform(self, texts) -> csr_matrix:
        config = self.config or FeatureConfig()
        indptr, indices, values = [0], [], []
        for text in texts:
            for counts in extract(text, config):  # ids are already global: words, then characters
                indices.extend(counts)
                values.extend(counts.values())
            indptr.append(len(indices))
        shape = (len(indptr) - 1, len(BLOCKS) * config.buckets)
        matrix = csr_matrix((np.asarray(values, np.float64), np.asarray(indices, np.int64), indptr), shape=shape)
        matrix.sort_indices()
        if self.encoder:
            from models.embeddings import embed

            matrix = hstack([matrix, csr_matrix(embed(list(texts)).astype(np.float64))], format="csr")
        return matrix


class Columns(BaseEstimator, TransformerMixin):
    """The columns from `start` on, as they are (the sentence embedding: already normalised)."""

    def __init__(self, start: int = 0):
        self.start = start

    def fit(self, matrix, labels=None):
        return self

    def transform(self, matrix):
        return csr_matrix(matrix)[:, self.start:]


class SeenColumns(BaseEstimator, TransformerMixin):
    """Of the columns in [start, stop) (one block), keeps those that occur in at least `min_df` training rows:
    a hashed 'vocabulary'. The others are dropped."""

    def __init__(self, start: int = 0, stop: int | None = None, min_df: int = 1):
        self.start, self.stop, self.min_df = start, stop, min_df

    def fit(self, matrix, labels=None):
        in_block = csr_matrix(matrix)[:, self.start : self.stop]
        self.columns_ = self.start + np.flatnonzero(in_block.getnnz(axis=0) >= self.min_df)
        return self

    def transform(self, matrix):
        return csr_matrix(matrix)[:, self.columns_]


def build_pipeline(
    config: FeatureConfig, c: float = 1.0, class_weight: str | None = "balanced", min_df: int = 1,
    encoder: bool = False,
) -> Pipeline:
    """The full training pipeline, texts in, labels out; `encoder`: with the sentence embedding's block."""
    per_block = [
        (
            name,
            Pipeline(
                [
                    ("seen", SeenColumns(index * config.buckets, (index + 1) * config.buckets, min_df)),
                    ("tfidf", TfidfTransformer()),
                ]
            ),
        )
        for index, name in enumerate(BLOCKS)
    ]
    if encoder:
        per_block.append((ENCODER_BLOCK, Columns(len(BLOCKS) * config.buckets)))
    return Pipeline(
        [
            ("features", HashedFeatures(config, encoder)),
            ("blocks", FeatureUnion(per_block)),
            ("clf", LinearSVC(C=c, class_weight=class_weight, random_state=0)),
        ]
    )


def decision_matrix(pipeline: Pipeline, texts) -> np.ndarray:
    """(n, n_labels) scores of a fitted pipeline, also for two labels (where scikit-learn gives one column)."""
    scores = pipeline.decision_function(texts)
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores


def export_runtime(pipeline: Pipeline, directory: Path, temperature: float, version: str) -> dict:
    """Writes manifest.json, keys.u32 and rows.u32 for `chalicelib.triage.text_model`."""
    config: FeatureConfig = pipeline.named_steps["features"].config
    blocks: FeatureUnion = pipeline.named_steps["blocks"]
    clf: LinearSVC = pipeline.named_steps["clf"]
    labels = [str(label) for label in clf.classes_]
    coef, intercept = np.asarray(clf.coef_), np.asarray(clf.intercept_)
    if len(labels) == 2:  # scikit-learn keeps one score s for two labels: use (-s, s)
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])

    encoded = dict(blocks.transformer_list).get(ENCODER_BLOCK) is not None
    head = coef[:, -DIMENSIONS:] if encoded else None  # the union's last columns: the embedding's weights
    coef = coef[:, :-DIMENSIONS] if encoded else coef
    keys, idf = [], []
    for name, block in blocks.transformer_list:  # the union's columns: block after block
        if name != ENCODER_BLOCK:
            keys.append(block.named_steps["seen"].columns_)
            idf.append(block.named_steps["tfidf"].idf_)
    keys, idf = np.concatenate(keys), np.concatenate(idf)
    weights = coef.T * idf[:, None]  # (rows, labels) with idf folded in, rows in the classifier's column order
    order = np.argsort(keys, kind="stable")
    keys, idf, weights = keys[order], idf[order], weights[order]

    scale = float(np.abs(weights).max()) / WEIGHT_LIMIT or 1.0
    quantised = np.clip(np.rint(weights / scale), -WEIGHT_LIMIT, WEIGHT_LIMIT) + OFFSET
    norm_field = np.rint(idf.astype(np.float64) ** 2 * IDF_SQUARED_SCALE)
    if norm_field.max() >= 2**53:
        raise ValueError("an idf above 64 does not fit the norm field")
    norm_field = norm_field.astype(np.uint64)
    norm_words = np.column_stack([norm_field & 0xFFFFFFFF, norm_field >> np.uint64(32)])  # little-endian uint64
    rows = np.column_stack([quantised, norm_words]).astype("<u4")  # label fields, then the norm field
    blobs = {"keys": ("keys.u32", keys.astype("<u4").tobytes()), "rows": ("rows.u32", rows.tobytes())}
    if head is not None:  # (labels, 512) little-endian float32, label after label
        blobs["encoder"] = ("encoder.f32", np.ascontiguousarray(head, dtype="<f4").tobytes())
    directory.mkdir(parents=True, exist_ok=True)
    for filename, data in blobs.values():
        (directory / filename).write_bytes(data)
    manifest = {
        "format": FORMAT,
        "version": version,
        "labels": labels,
        "features": config.to_dict(),
        "blocks": list(BLOCKS),
        "rows": int(len(keys)),
        "intercepts": [float(value) for value in intercept],
        "weight_scale": scale,
        "temperature": float(temperature),
        **({"encoder": {"name": ENCODER_NAME, "package": ENCODER_PACKAGE, "version": encoder_version(),
                        "dimensions": DIMENSIONS}} if head is not None else {}),
        "files": {name: filename for name, (filename, _) in blobs.items()},
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, (_, data) in blobs.items()},
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest
