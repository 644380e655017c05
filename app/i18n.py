"""Words people read, from gettext message catalogs (app/locale/<lang>/LC_MESSAGES/callqa.po).

The language is CALLQA_LOCALE (ru by default, en complete), overridden for the duration of a
request by its Accept-Language (`using`). Catalogs are read from the committed .po files
with Babel and compiled in memory once per process, so no build step produces .mo files and
the wheel carries the same files as the checkout. Numbers and dates are formatted by Babel
in the same language: a decimal comma in ru, a point in en.

Message ids are the English texts; `N_` and `NP_` mark texts worded later (tables of codes),
so `pybabel extract` finds them (see tests/test_catalogs.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.core import negotiate_locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from app.settings import get_settings

LOCALES = ("ru", "en")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "callqa"
_current: ContextVar[str | None] = ContextVar("callqa_locale", default=None)


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """The catalog of a language, compiled in memory from its .po file."""
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def current() -> str:
    """The language of this request or command: Accept-Language, else CALLQA_LOCALE."""
    return _current.get() or get_settings().locale


@contextmanager
def using(locale: str | None) -> Iterator[None]:
    """Word everything in `locale` (None: the configured one) within the block."""
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


def from_accept_language(header: str | None) -> str | None:
    """The supported language a client prefers most, or None ("ru-RU,en;q=0.8" -> ru)."""
    if not header:
        return None
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag and weight > 0:
            ranked.append((-weight, i, tag.strip().replace("_", "-")))
    preferred = [tag for _, _, tag in sorted(ranked)]
    return negotiate_locale(preferred, LOCALES, sep="-")


def _(msgid: str, **params: Any) -> str:
    """A text in the current language, with %(name)s parameters filled."""
    text = translations(current()).gettext(msgid)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """A text whose form depends on the count `n` (three forms in Russian), %(n)s filled."""
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"n": number(n), **params}


def N_(msgid: str) -> str:
    """Mark a text for the catalogs without translating it yet."""
    return msgid


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a text with plural forms for the catalogs without translating it yet."""
    return singular, plural


def number(value: float | None, digits: int = 2) -> str:
    """A figure with up to `digits` decimals in the current language (0,5 in ru); a dash
    for no data."""
    if value is None:
        return "—"
    pattern = "#,##0." + "#" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=current())


_DAY_FORMAT = {"ru": "short", "en": "medium"}  # 14.03.2026; Mar 14, 2026


def day(moment: date | datetime) -> str:
    """A date as the current language writes it."""
    locale = current()
    return format_date(moment, format=_DAY_FORMAT[locale], locale=locale)
