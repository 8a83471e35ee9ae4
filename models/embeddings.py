"""Sentence embeddings for training (chalicelib.triage.encoder), cached per text in one file per encoder version
(`EMBEDDINGS_CACHE`, default build/embeddings): the shared sets and a deployment's base data are encoded once, then
only new texts (corrections, a new sample) are. Never stored in git; retraining keeps its copy in the model bucket."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from chalicelib.triage.encoder import DIMENSIONS, load_encoder

DEFAULT_CACHE = Path(__file__).resolve().parents[1] / "build" / "embeddings"


def cache_file() -> Path:
    encoder = _encoder()
    return Path(os.environ.get("EMBEDDINGS_CACHE") or DEFAULT_CACHE) / f"usem3-{encoder.version}.npz"


def embed(texts: list[str]) -> np.ndarray:
    """(n, 512) float32 embeddings of `texts`, from the cache where it has them."""
    encoder, path = _encoder(), cache_file()
    keys = [hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest() for text in texts]
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as cached:
            known = dict(zip(cached["keys"].tolist(), cached["vectors"]))
    missing = sorted({key: text for key, text in zip(keys, texts) if key not in known}.items())
    for start in range(0, len(missing), 64):
        chunk = missing[start:start + 64]
        known.update(zip([key for key, _ in chunk], encoder.encode([text for _, text in chunk])))
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, keys=np.array(list(known)), vectors=np.vstack(list(known.values())).astype(np.float32))
    return np.vstack([known[key] for key in keys]) if keys else np.zeros((0, DIMENSIONS), np.float32)


def _encoder():
    encoder = load_encoder()
    if encoder is None:
        raise SystemExit("the sentence encoder is not installed: pip install -r requirements-train.txt")
    return encoder
