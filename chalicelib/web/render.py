"""One way to make HTML: Jinja2 templates (autoescape on) in chalicelib/web/templates, text through gettext catalogs
(chalicelib/web/translations, compiled from the .po files by `make`). Loaded on first use, never at cold start."""
from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import gettext

TEMPLATES = Path(__file__).with_name("templates")
TRANSLATIONS = Path(__file__).with_name("translations")
LANGUAGES = ("en", "zh")
HTML_LANG = {"en": "en", "zh": "zh-Hans"}


def N_(text: str) -> str:
    """Marks a text for the catalogs; the page translates it in the reader's language."""
    return text


@functools.lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    import gettext  # on first use, like Jinja: the customer pages' module imports this one at cold start

    return gettext.translation("messages", TRANSLATIONS, languages=[language], fallback=True)


def gettext_for(language: str):
    return translations(language).gettext


@functools.lru_cache(maxsize=None)
def environment(language: str):
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = language
    env.globals["html_lang"] = HTML_LANG.get(language, language)
    env.filters["local_time"] = local_time
    return env


def render(template: str, language: str, **context: Any) -> str:
    return environment(language if language in LANGUAGES else "en").get_template(template).render(**context)


def local_time(value: datetime | None, timezone: str = "UTC") -> str:
    """A moment in the viewer's time zone: 2026-12-05 09:30 GMT."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def negotiate(accept_language: str | None, preferred: Iterable[str] = ()) -> str:
    """The profile's first language we have, else the browser's (Accept-Language, by q), else English."""
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
