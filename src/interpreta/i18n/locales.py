"""Which languages the platform speaks, their names in their own language (CLDR, through
Babel), and choosing one for a visitor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.lists import format_list

DEFAULT = "en"
"""The source language of every message."""

SUPPORTED = ("en", "de", "fr", "es", "it")
"""The languages of the pages, mails and scripts, in the order the picker offers them."""

COOKIE = "interpreta_lang"
"""The cookie keeping a visitor's choice (a preference they set; strictly necessary for
showing the site in the language they asked for)."""

_CURRENT: ContextVar[str] = ContextVar("interpreta_locale", default=DEFAULT)


def own_name(code: str) -> str:
    """The language's name in that language, as CLDR writes it ("Deutsch", "français")."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def cldr_locale(code: str) -> str:
    """The CLDR locale that formats dates and lists in `code`: British English for
    English ('24 November 2026', 'a, b and c'), the language itself otherwise."""
    return "en_GB" if code == DEFAULT else code


def long_date(moment: date) -> str:
    """A day in the current language, as a sentence writes it: '24 November 2026',
    '24. November 2026' (a datetime's own day, in its zone)."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return format_date(day, "long", locale=cldr_locale(current()))


def long_month(day: date) -> str:
    """`day`'s month in the current language: 'December 2026', 'Dezember 2026'."""
    return format_skeleton("yMMMM", day, locale=cldr_locale(current()))


def join_and(items: list[str]) -> str:
    """'a, b and c' in the current language (CLDR's list pattern)."""
    if len(items) < 2:
        return "".join(items)
    return format_list(items, locale=cldr_locale(current()))


def join_or(items: list[str]) -> str:
    """'a, b or c' in the current language (CLDR's list pattern)."""
    if len(items) < 2:
        return "".join(items)
    return format_list(items, style="or", locale=cldr_locale(current()))


def supported(code: str | None) -> str | None:
    """`code` (``de``, ``de-AT``, ``DE``) as one of :data:`SUPPORTED`, or None."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED else None


def from_accept_language(header: str | None) -> str | None:
    """The best supported language of an ``Accept-Language`` header, or None."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        found = supported(tag)
        if found is not None and quality > 0:
            weighted.append((-quality, position, found))
    return min(weighted)[2] if weighted else None


def choose(asked: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The visitor's language: asked for now (``?lang=``), else chosen before (the
    cookie), else the browser's preference, else English."""
    return supported(asked) or supported(cookie) or from_accept_language(accept_language) or DEFAULT


def current() -> str:
    """The language of what is being rendered now."""
    return _CURRENT.get()


def use(code: str) -> None:
    """Render in `code` from here on (this request, task or thread)."""
    _CURRENT.set(supported(code) or DEFAULT)


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Render in `code` inside the block (a mail to someone in their language), then in
    the language of before."""
    token = _CURRENT.set(supported(code) or DEFAULT)
    try:
        yield
    finally:
        _CURRENT.reset(token)


class LocaleMiddleware:
    """Sets the request's language before anything runs (pages, API, WebSockets), so
    every ``gettext`` in the request speaks it: ``?lang=``, else the cookie, else the
    browser's ``Accept-Language``, else English."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            cookies: dict[str, str] = {}
            for part in headers.get("cookie", "").split(";"):
                name, _, value = part.strip().partition("=")
                cookies[name] = value
            use(
                choose(
                    (query.get("lang") or [None])[0],
                    cookies.get(COOKIE),
                    headers.get("accept-language"),
                )
            )
        await self.app(scope, receive, send)
