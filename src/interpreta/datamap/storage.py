"""What the pages keep in the visitor's browser: every cookie and every local or session
storage key, declared once (P05).

Each item is strictly necessary (the service cannot work without it, or it keeps a
choice the visitor made: exempt from consent under Art. 5(3) ePrivacy) or a preference
(remembering settings on the device), which is kept only after the visitor agreed in
the banner. The pages' one storage module (``static/js/storage.js``) reads this
inventory and refuses any key not in it; the notice lists it; a browser test visits
every page as a fresh visitor and fails on anything undeclared, or on a preference
kept before consent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from interpreta.i18n.catalogues import N_

BANNER_VERSION = "2026-12"
"""The version of the banner's wording and choices; a new one asks everyone again."""


class StorageKind(StrEnum):
    """Where in the browser an item lives."""

    COOKIE = "cookie"
    LOCAL = "local"
    """``localStorage``: kept until removed."""
    SESSION = "session"
    """``sessionStorage``: gone when the tab closes."""


class StorageCategory(StrEnum):
    """Whether an item needs consent."""

    NECESSARY = "necessary"
    PREFERENCES = "preferences"


CATEGORY_WORDS = {
    StorageCategory.NECESSARY: N_("Strictly necessary (always on)"),
    StorageCategory.PREFERENCES: N_("Preferences (only with your consent)"),
}
KIND_WORDS = {
    StorageKind.COOKIE: N_("cookie"),
    StorageKind.LOCAL: N_("local storage"),
    StorageKind.SESSION: N_("session storage"),
}


@dataclass(frozen=True)
class StorageItem:
    """One cookie or storage key; ``{placeholders}`` in the name stand for any value
    without dots (an event code, a channel)."""

    name: str
    kind: StorageKind
    category: StorageCategory
    purpose: str
    lifetime: str
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{[a-z_]+\}", self.name)
        regex = r"[^.]+".join(re.escape(part) for part in parts)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def necessary(self) -> bool:
        """Whether it is kept without consent."""
        return self.category is StorageCategory.NECESSARY

    def matches(self, key: str) -> bool:
        """Whether `key` is this item."""
        return self.pattern.fullmatch(key) is not None


NECESSARY, PREFERENCES = StorageCategory.NECESSARY, StorageCategory.PREFERENCES
COOKIE, LOCAL, SESSION = StorageKind.COOKIE, StorageKind.LOCAL, StorageKind.SESSION

INVENTORY: tuple[StorageItem, ...] = (
    StorageItem(
        "interpreta_session",
        COOKIE,
        NECESSARY,
        N_("keeps you signed in (a random token; HttpOnly, Secure, SameSite=Lax)"),
        N_("until you sign out, or after 14 days (the operator may set another length)"),
    ),
    StorageItem(
        "interpreta_consent",
        COOKIE,
        NECESSARY,
        N_("keeps your answer to the cookie banner, so it is not asked again"),
        N_("6 months"),
    ),
    StorageItem(
        "interpreta_lang",
        COOKIE,
        NECESSARY,
        N_("keeps the language you picked with the language links (a choice you made)"),
        N_("1 year"),
    ),
    StorageItem(
        "interpreta.participant.{role}.{code}",
        SESSION,
        NECESSARY,
        N_("lets a live page that reloads rejoin the event as the same participant"),
        N_("until the tab closes"),
    ),
    StorageItem(
        "interpreta.listen.{code}",
        SESSION,
        NECESSARY,
        N_("keeps the language channel you chose while the page reloads"),
        N_("until the tab closes"),
    ),
    StorageItem(
        "interpreta.console.incoming.{code}.{booth}",
        SESSION,
        NECESSARY,
        N_("keeps the source an interpreter chose to hear while the console reloads"),
        N_("until the tab closes"),
    ),
    StorageItem(
        "interpreta.limiter",
        LOCAL,
        PREFERENCES,
        N_("remembers whether hearing protection (the limiter) is on"),
        N_("until you remove it or withdraw consent"),
    ),
    StorageItem(
        "interpreta.listen.mix",
        LOCAL,
        PREFERENCES,
        N_("remembers how loud the floor plays under the interpretation"),
        N_("until you remove it or withdraw consent"),
    ),
    StorageItem(
        "interpreta.video.layout",
        LOCAL,
        PREFERENCES,
        N_("remembers the video layout you chose"),
        N_("until you remove it or withdraw consent"),
    ),
    StorageItem(
        "interpreta.console.processing",
        LOCAL,
        PREFERENCES,
        N_("remembers the interpreter's microphone processing choice"),
        N_("until you remove it or withdraw consent"),
    ),
    StorageItem(
        "interpreta.speaker.processing",
        LOCAL,
        PREFERENCES,
        N_("remembers the speaker's microphone processing choice"),
        N_("until you remove it or withdraw consent"),
    ),
    StorageItem(
        "interpreta.console.tone.{code}.{source}",
        LOCAL,
        PREFERENCES,
        N_("remembers an interpreter's volume, bass and treble for each source"),
        N_("until you remove it or withdraw consent"),
    ),
)
"""Every cookie and storage key the platform's pages set."""


def declared(kind: StorageKind, key: str) -> StorageItem | None:
    """The inventory's item for `key` kept in `kind`, or None when it is undeclared."""
    return next((i for i in INVENTORY if i.kind is kind and i.matches(key)), None)


def rows(words: Callable[[str], str] = str) -> list[tuple[str, str, str, str, str]]:
    """The inventory as a table: name, where, kind, what for, how long; `words` puts the
    plain words in the reader's language."""
    return [
        (
            item.name,
            words(KIND_WORDS[item.kind]),
            words(CATEGORY_WORDS[item.category]),
            words(item.purpose),
            words(item.lifetime),
        )
        for item in INVENTORY
    ]


def for_pages() -> list[dict[str, object]]:
    """The inventory as the pages' storage module reads it."""
    return [
        {"kind": i.kind.value, "pattern": i.pattern.pattern, "necessary": i.necessary}
        for i in INVENTORY
    ]
