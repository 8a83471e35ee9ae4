"""Text that every store and provider accepts: no lone surrogates (a broken byte sequence decoded with
surrogateescape) and no control characters but line breaks and tabs."""
from __future__ import annotations

import re
import unicodedata

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """The text with each lone surrogate as U+FFFD and control characters removed (line breaks and tabs stay;
    CR LF and CR become LF)."""
    value = _SURROGATE.sub("\ufffd", value).replace("\r\n", "\n").replace("\r", "\n")
    if value.isprintable():
        return value
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")
