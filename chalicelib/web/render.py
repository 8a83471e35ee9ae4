"""One way to make HTML: Jinja2 templates (autoescape on) in chalicelib/web/templates, text through gettext catalogs
(chalicelib/web/translations, compiled from the .po files by `make`). Loaded on first use, never at cold start."""
from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..i18n import LANGUAGES, translations

TEMPLATES = Path(__file__).with_name("templates")
HTML_LANG = {"en": "en", "zh": "zh-Hans"}


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
