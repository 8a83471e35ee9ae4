"""Near-duplicate complaints: normalised text, shingles, a MinHash signature, its Jaccard estimate and LSH keys.

- `fingerprint(text)`: a hash of the normalised text, equal for exact re-sends whatever the case, punctuation,
  spacing or line breaks.
- `signature(text)`: a 64-value MinHash signature of the text's shingles (two words in a row; two characters
  in a row for Chinese, Japanese and Korean, which have no spaces). It is built with one-permutation hashing:
  each shingle is hashed once (zlib.crc32, deterministic across processes) and the hash picks one of the 64
  bins and competes for that bin's minimum; empty bins borrow from the next filled bin (rotation
  densification). That costs one hash per shingle instead of 64.
- `similar(a, b)`: the estimated Jaccard similarity of two signatures (the share of equal bins).
- `band_keys(sig)`: 16 short strings (16 bands of 4 values). Two texts that share a key are candidates; the
  storage layer looks up each key (16 bounded queries, no scans), then keeps candidates with
  `similar(...) >= DEFAULT_THRESHOLD`.
- `sketch(text)`: all three from one pass (what the intake stores).
"""
from __future__ import annotations

import base64
import hashlib
import re
import string
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache

NUM_BINS = 64
BANDS = 16  # 16 bands x 4 rows: a pair with Jaccard 0.8 shares a key with probability 0.9998, at 0.3 about 0.12
DEFAULT_THRESHOLD = 0.7  # validated on re-sent and edited complaints against random CFPB pairs
WORD_SHINGLE = 2  # word pairs: a changed word breaks two shingles, not three (better recall on edited re-sends)
CJK_SHINGLE = 2
_EMPTY = 0xFFFFFFFF  # the value of a bin no shingle reached
_GOLDEN = 0x9E3779B1  # multiplicative hashing constant (2^32 / golden ratio)

_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_ASCII_TO_SPACE = str.maketrans({ch: " " for ch in string.punctuation})


@dataclass(frozen=True)
class MinHashSignature:
    values: tuple[int, ...]  # one 32-bit minimum per bin

    @property
    def is_empty(self) -> bool:
        return all(value == _EMPTY for value in self.values)

    def encode(self) -> str:
        """A compact string for storage (base64 of 4 bytes per bin)."""
        return base64.b64encode(struct.pack(f">{len(self.values)}I", *self.values)).decode("ascii")

    @classmethod
    def decode(cls, encoded: str) -> "MinHashSignature":
        raw = base64.b64decode(encoded)
        return cls(struct.unpack(f">{len(raw) // 4}I", raw))


@dataclass(frozen=True)
class Sketch:
    """Everything the storage layer keeps to find duplicates of one text."""

    fingerprint: str
    signature: MinHashSignature
    band_keys: tuple[str, ...]


def sketch(text: str, num_bins: int = NUM_BINS, bands: int = BANDS) -> Sketch:
    """Fingerprint, signature and band keys from one pass over the text."""
    words = tokens(text)
    sig = _signature_of(words, num_bins)
    return Sketch(_fingerprint_of(words), sig, band_keys(sig, bands))


def tokens(text: str) -> list[str]:
    """Lower-case words, each CJK character on its own; punctuation, spacing and redaction marks (XXXX) dropped."""
    if text.isascii():
        words = text.lower().translate(_ASCII_TO_SPACE).split()
    else:
        words = _cjk_patterns()[1].findall(unicodedata.normalize("NFKC", text).casefold())
    return [word for word in words if word[0] != "x" or word.strip("x") or len(word) == 1]


def normalize(text: str) -> str:
    return " ".join(tokens(text))


def fingerprint(text: str) -> str:
    """Exact-duplicate key: equal for texts that differ only in case, punctuation and spacing."""
    return _fingerprint_of(tokens(text))


def shingles(text: str) -> list[str]:
    """Word pairs; character pairs when most of the text is CJK. A shorter text is one shingle."""
    return _shingles_of(tokens(text))


def signature(text: str, num_bins: int = NUM_BINS) -> MinHashSignature:
    """One-permutation MinHash with rotation densification (see the module docstring)."""
    return _signature_of(tokens(text), num_bins)


def _fingerprint_of(words: list[str]) -> str:
    return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=16).hexdigest()


def _shingles_of(words: list[str]) -> list[str]:
    size = CJK_SHINGLE if _mostly_cjk(words) else WORD_SHINGLE
    if len(words) <= size:
        return [" ".join(words)] if words else []
    return list(map(" ".join, zip(*(words[i:] for i in range(size)))))


def _signature_of(words: list[str], num_bins: int) -> MinHashSignature:
    bins = [_EMPTY] * num_bins
    crcs = set(map(zlib.crc32, map(str.encode, _shingles_of(words))))
    # The multiplication mixes the crc's bits; the top bits pick the bin. Largest first, so the minimum stays.
    for value in sorted({(crc * _GOLDEN) & 0xFFFFFFFF for crc in crcs}, reverse=True):
        bins[(value * num_bins) >> 32] = value
    return MinHashSignature(tuple(_densify(bins)))


def _densify(bins: list[int]) -> list[int]:
    """Each empty bin takes the value of the next filled bin to its right, shifted by the distance."""
    if all(value == _EMPTY for value in bins) or _EMPTY not in bins:
        return bins
    size = len(bins)
    out = list(bins)
    for i, value in enumerate(bins):
        if value == _EMPTY:
            distance = 1
            while bins[(i + distance) % size] == _EMPTY:
                distance += 1
            out[i] = (bins[(i + distance) % size] + distance * _GOLDEN) & 0xFFFFFFFF
    return out


def similar(a: MinHashSignature, b: MinHashSignature) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets, 0.0 to 1.0 (0.0 when one is empty)."""
    if len(a.values) != len(b.values) or a.is_empty or b.is_empty:
        return 0.0
    return sum(x == y for x, y in zip(a.values, b.values)) / len(a.values)


def is_near_duplicate(a: MinHashSignature, b: MinHashSignature, threshold: float = DEFAULT_THRESHOLD) -> bool:
    return similar(a, b) >= threshold


def band_keys(sig: MinHashSignature, bands: int = BANDS) -> tuple[str, ...]:
    """One short key per band ("07:1f2e3d4c5b6a7988"); an empty signature has none."""
    if sig.is_empty:
        return ()
    rows = len(sig.values) // bands
    keys = []
    for band in range(bands):
        chunk = struct.pack(f">{rows}I", *sig.values[band * rows:(band + 1) * rows])
        keys.append(f"{band:02d}:{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
    return tuple(keys)


def jaccard(a: str, b: str) -> float:
    """Exact Jaccard similarity of two texts' shingle sets (for tests and calibration)."""
    left, right = set(shingles(a)), set(shingles(b))
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _mostly_cjk(words: list[str]) -> bool:
    non_ascii = [word for word in words if not word.isascii()]
    if not non_ascii:
        return False
    cjk_char = _cjk_patterns()[0]
    return sum(1 for word in non_ascii if cjk_char.match(word)) * 2 > len(words)


@cache
def _cjk_patterns() -> tuple[re.Pattern, re.Pattern]:
    """(a CJK character, a token: one CJK character or a run of other letters and digits), compiled on the
    first non-ASCII text, as the CJK ranges take milliseconds to compile."""
    return re.compile(f"[{_CJK_RANGES}]"), re.compile(rf"[{_CJK_RANGES}]|[^\W_{_CJK_RANGES}]+")
