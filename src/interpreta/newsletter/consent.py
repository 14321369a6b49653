"""The consent a subscriber gives, in words and by version (P06).

Each version's text is kept here for good: the subscription records the version and
the text as the subscriber read it, in their language. Changing the wording means a new
version; the page sends the version it showed, and a request naming an older one is
refused, so nobody is recorded agreeing to words they did not see.
"""

from __future__ import annotations

from interpreta.i18n.catalogues import N_, gettext

TEXTS = {
    "2026-12": N_(
        "Yes, send me the Interpreta newsletter by email, about once a month: product "
        "news and tips for multilingual events. I can unsubscribe at any time with the "
        "link in every newsletter, which works at once."
    ),
}
"""Every consent text ever shown, by version."""

CURRENT = "2026-12"
"""The version the subscription page shows now."""


def text(version: str) -> str:
    """The consent text of `version`, in the current language."""
    return gettext(TEXTS[version])
