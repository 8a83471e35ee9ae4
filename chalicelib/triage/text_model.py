"""Lean serving runtime of the triage text classifier: no scikit-learn, no pickle; pure Python + stdlib for the
lexical model, and NumPy only for the head of a model on the sentence encoder (from the encoder's layer).

The artifact directory (written by `python -m models.train`) holds:
- `manifest.json`: labels, feature config, intercepts, weight scale, softmax temperature, file names and their
  SHA-256;
- `keys.u32`: the sorted ids of the hashed n-grams kept in training (`features.extract` ids: words in
  [0, buckets), characters in [buckets, 2 * buckets));
- `rows.u32`: per key, `len(labels)` little-endian uint32 fields, one per label: `q + 32768`, where the int16
  `q` = round(idf * weight / weight_scale) (idf folded in, offset so that no field is negative); then one
  little-endian uint64 field for the norm: round(idf**2 * 2**40).

- with a sentence encoder (manifest `encoder`): `encoder.f32`, the (labels, 512) little-endian float32 weights of
  the embedding's columns, and `lexical/`, a model of the same data without the encoder: the fallback where the
  encoder cannot load (`load_for_serving`).

A prediction repeats the training pipeline: hashed n-gram counts (`features.extract`), times idf, L2 norm per
block, then linear scores `intercept + sum(x * w)`, plus `head . embedding` with an encoder (NumPy, which the
encoder needs anyway). N-grams unseen in training count for nothing, as an out-of-vocabulary word in scikit-learn.

Speed: a row's bytes are read once, at load, as ONE big Python integer (field i holds label i). The sum of
`count * row` over a text's n-grams then adds every label and the squared norm at once, in C:
- label fields cannot carry into each other while the counts total at most 65,535 (65,535 * 65,535 < 2**32),
  so longer texts are summed in chunks; an unseen n-gram adds the neutral row (all fields 32768, norm 0);
- the norm field is the top of the integer (nothing above it to overflow into); a carry from the label fields
  below (each under 2**16) adds less than sum(count**2) / 2**16 to a value of at least 2**40 times the seen
  n-grams' sum(count**2): negligible.

The confidence is the softmax of the scores divided by a temperature that training fitted on cross-validated
scores: calibrated, and the ranking is unchanged.
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
from array import array
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from operator import mul
from pathlib import Path
from typing import Any

from chalicelib.triage.features import FeatureConfig, extract

FORMAT = "hashed-linear/3"
FIELD_BITS = 32  # one uint32 field per label
NORM_FIELD_BITS = 64  # then one uint64 field for idf squared
OFFSET = 1 << 15  # stored label field = int16 weight + OFFSET
IDF_SQUARED_SCALE = 1 << 40  # stored norm field = round(idf**2 * IDF_SQUARED_SCALE)
MAX_COUNT_PER_SUM = (1 << 16) - 1  # total count that can be added before a label field could overflow


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float  # calibrated probability of `label`
    top: tuple[tuple[str, float], ...]  # the top-k (label, probability), best first
    scores: tuple[float, ...]  # raw linear scores, in the order of `TextModel.labels`


def _read(path: Path, sha256: str | None) -> bytes:
    data = path.read_bytes()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{path.name} does not match the manifest's SHA-256")
    return data


def _uint32s(data: bytes) -> array:
    """Little-endian uint32 values."""
    values = array("I")
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


class TextModel:
    """A loaded artifact. Use `TextModel.load(directory)`: it is cached, so a Lambda loads it once."""

    def __init__(self, manifest: dict, keys: bytes, rows: bytes, head: bytes | None = None):
        if manifest.get("format") != FORMAT:
            raise ValueError(f"unsupported model format {manifest.get('format')!r}")
        self.manifest = manifest
        self.version: str = manifest["version"]
        self.labels: tuple[str, ...] = tuple(manifest["labels"])
        self.config = FeatureConfig.from_dict(manifest["features"])
        self._intercepts = [float(value) for value in manifest["intercepts"]]
        self._scale = float(manifest["weight_scale"])
        self._temperature = float(manifest["temperature"])

        n_labels = len(self.labels)
        self._label_bytes = n_labels * FIELD_BITS // 8
        self._norm_shift = n_labels * FIELD_BITS  # the norm field starts at this bit
        width = self._label_bytes + NORM_FIELD_BITS // 8
        key_array = _uint32s(keys)
        if len(rows) != len(key_array) * width:
            raise ValueError("artifact files do not match the manifest")
        packed = [int.from_bytes(rows[start : start + width], "little") for start in range(0, len(rows), width)]
        self._rows = dict(zip(key_array, packed))  # n-gram id -> its row as one integer
        self._neutral = int.from_bytes(OFFSET.to_bytes(4, "little") * n_labels, "little")  # weights 0, idf 0
        self.encoder: dict | None = manifest.get("encoder")
        self._head = None
        if self.encoder:
            import numpy as np

            self._head = np.frombuffer(head or b"", "<f4").reshape(n_labels, int(self.encoder["dimensions"]))

    @classmethod
    def load(cls, directory: str | Path) -> "TextModel":
        """The model in `directory`, loaded once per process."""
        return _load_cached(str(Path(directory).resolve()))

    @classmethod
    def load_uncached(cls, directory: str | Path) -> "TextModel":
        directory = Path(directory)
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        files, digests = manifest["files"], manifest.get("sha256", {})
        names = ("keys", "rows", "encoder") if "encoder" in manifest else ("keys", "rows")
        return cls(manifest, *(_read(directory / files[name], digests.get(name)) for name in names))

    def scores(self, text: str, embedding: Any = None) -> list[float]:
        """Linear scores of every label (the decision function of the trained linear model). A model on the encoder
        encodes `text`, unless training passes the `embedding` it already has."""
        totals = self._lexical_scores(text)
        if self._head is not None:
            if embedding is None:
                from chalicelib.triage.encoder import load_encoder

                encoder = load_encoder()
                if encoder is None:
                    raise RuntimeError("this model needs the sentence encoder: serve it with load_for_serving")
                embedding = encoder.encode([text])[0]
            totals = [float(value) for value in self._head @ embedding + totals]
        return totals

    def _lexical_scores(self, text: str) -> list[float]:
        totals = list(self._intercepts)
        for counts in extract(text, self.config):  # one block at a time: words, then characters
            if not counts:
                continue
            rows = list(map(self._rows.get, counts, repeat(self._neutral)))
            multiples = list(counts.values())
            norm_field = sum(map(mul, rows, map(mul, multiples, multiples))) >> self._norm_shift
            if not norm_field:  # nothing seen in training: a zero vector, as in scikit-learn
                continue
            factor = self._scale / math.sqrt(norm_field / IDF_SQUARED_SCALE)
            for fields, total_count in self._label_sums(rows, multiples):
                bias = OFFSET * total_count
                totals = [total + (field - bias) * factor for total, field in zip(totals, fields)]
        return totals

    def _label_sums(self, rows: list[int], multiples: list[int]):
        """(per-label sums of count * field, total count), in chunks small enough not to overflow a field."""
        low = (1 << self._norm_shift) - 1
        for chunk_rows, chunk_counts in _chunks(rows, multiples):
            summed = sum(map(mul, chunk_rows, chunk_counts)) & low
            yield _uint32s(summed.to_bytes(self._label_bytes, "little")), sum(chunk_counts)

    def predict(self, text: str, top_k: int = 3, embedding: Any = None) -> Prediction:
        """The best label, its calibrated probability and the top-k labels of `text`."""
        scores = self.scores(text, embedding)
        peak = max(scores)
        exps = [math.exp((score - peak) / self._temperature) for score in scores]
        total = sum(exps)
        ranked = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)[: max(1, top_k)]
        top = tuple((self.labels[index], exps[index] / total) for index in ranked)
        return Prediction(label=top[0][0], confidence=top[0][1], top=top, scores=tuple(scores))


def _chunks(rows: list[int], multiples: list[int]):
    """(rows, counts) in pieces whose counts total at most MAX_COUNT_PER_SUM (almost always one piece)."""
    if sum(multiples) <= MAX_COUNT_PER_SUM:
        yield rows, multiples
        return
    chunk_rows, chunk_counts, room = [], [], MAX_COUNT_PER_SUM
    for row, count in zip(rows, multiples):
        while count:  # a huge count is split across pieces too
            taken = min(count, room)
            chunk_rows.append(row)
            chunk_counts.append(taken)
            count, room = count - taken, room - taken
            if not room:
                yield chunk_rows, chunk_counts
                chunk_rows, chunk_counts, room = [], [], MAX_COUNT_PER_SUM
    if chunk_rows:
        yield chunk_rows, chunk_counts


@lru_cache(maxsize=8)
def _load_cached(directory: str) -> TextModel:
    return TextModel.load_uncached(directory)


LEXICAL_FALLBACK = "lexical"  # the sub-directory of an encoder model's artifact with its lexical twin


def load_for_serving(directory: str | Path) -> TextModel:
    """The model in `directory`; for a model on the sentence encoder where the encoder cannot load (its Lambda
    layer missing), the lexical model trained beside it, so intake never stops."""
    model = TextModel.load(directory)
    if model.encoder is None:
        return model
    from chalicelib.triage.encoder import load_encoder

    return model if load_encoder() is not None else TextModel.load(Path(directory) / LEXICAL_FALLBACK)


__all__ = ["FORMAT", "LEXICAL_FALLBACK", "Prediction", "TextModel", "load_for_serving"]
