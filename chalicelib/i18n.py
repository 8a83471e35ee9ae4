"""The languages we speak (English and Chinese): the gettext catalogs (chalicelib/web/translations, compiled from
the .po files by `make`), choosing a reader's language, and telling which one a customer wrote in."""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import gettext

TRANSLATIONS = Path(__file__).parent / "web" / "translations"
LANGUAGES = ("en", "zh")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_NOT_WORDS = re.compile(r"[!-~]*(://|@|\d)[!-~]*")  # links, addresses, references and order numbers


def N_(text: str) -> str:
    """Marks a text for the catalogs; it is translated where it is shown or sent, in the reader's language."""
    return text


@functools.lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    import gettext  # on first use: the customer pages' modules import this one at cold start

    return gettext.translation("messages", TRANSLATIONS, languages=[language], fallback=True)


def gettext_for(language: str | None):
    return translations(language if language in LANGUAGES else "en").gettext


def negotiate(accept_language: str | None, preferred: Iterable[str | None] = ()) -> str:
    """The first preferred language we have, else the browser's (Accept-Language, by q), else English."""
    for language in preferred:
        if language in LANGUAGES:
            return language
    ranked = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.strip().lower()))
    for _, tag in sorted(ranked, key=lambda item: -item[0]):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return "en"


def detect_language(text: str | None) -> str | None:
    """"zh" when Chinese characters make up at least a fifth of the letters (a brand in Latin letters does not make
    a Chinese text English; links, addresses and words with digits are not counted), "en" for other text with
    letters, None without letters."""
    words = _NOT_WORDS.sub(" ", text or "")
    han, latin = len(_HAN.findall(words)), len(_LATIN.findall(words))
    if han and han * 5 >= han + latin:  # a Chinese character carries about as much as a word of five letters
        return "zh"
    return "en" if latin or han else None
