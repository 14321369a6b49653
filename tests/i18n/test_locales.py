"""Choosing the visitor's language, and naming languages in their own language."""

from __future__ import annotations

import pytest

from interpreta.i18n import locales


@pytest.mark.parametrize(
    ("asked", "cookie", "header", "chosen"),
    [
        ("de", "fr", "it", "de"),  # asked now wins
        (None, "fr", "it", "fr"),  # then the choice kept in the cookie
        (None, None, "it-CH, de;q=0.9", "it"),  # then the browser's
        (None, None, "pt-BR, es;q=0.5, de;q=0.8", "de"),  # the best supported one
        (None, None, "ja, zh;q=0.8", "en"),  # nothing supported: English
        ("xx", "yy", "*", "en"),  # nonsense everywhere
        (None, None, "de;q=0, fr;q=abc, es;q=0.1", "es"),  # refused and broken weights
        ("DE-at", None, None, "de"),
    ],
)
def test_the_language_is_chosen_by_preference(
    asked: str | None, cookie: str | None, header: str | None, chosen: str
) -> None:
    assert locales.choose(asked, cookie, header) == chosen


def test_languages_are_named_in_their_own_language() -> None:
    assert [locales.own_name(code) for code in locales.SUPPORTED] == [
        "English",
        "Deutsch",
        "Français",
        "Español",
        "Italiano",
    ]
