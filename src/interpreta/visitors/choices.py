"""Answering the cookie banner: the answer kept in a strictly necessary cookie, and
recorded (P05).

The cookie holds a random key of the browser, the banner's version and what was
allowed (``key.version.1``); the pages read it on the server and tell their storage
module, so nothing but necessary items is kept before a yes. Every answer, first or
changed, is a row in ``cookie_consents``; turning preferences off after allowing them is
recorded as a withdrawal.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from interpreta.datamap.activities import COOKIE_CHOICES
from interpreta.datamap.storage import BANNER_VERSION
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.privacy.processing import runs_in
from interpreta.visitors.models import CookieConsent

COOKIE = "interpreta_consent"
"""The cookie keeping the answer (declared in the storage inventory)."""
LIFETIME = timedelta(days=182)
"""How long an answer is kept in the browser before the banner asks again."""

_VALUE = re.compile(r"([A-Za-z0-9_-]{16})\.([0-9A-Za-z-]{1,16})\.([01])")


@dataclass(frozen=True)
class Choice:
    """One browser's answer to the banner."""

    visitor_key: str
    version: str
    preferences: bool

    @property
    def current(self) -> bool:
        """Whether it answers the banner shown now (else the banner asks again)."""
        return self.version == BANNER_VERSION

    def cookie_value(self) -> str:
        """What the consent cookie holds."""
        return f"{self.visitor_key}.{self.version}.{int(self.preferences)}"


def read(value: str | None) -> Choice | None:
    """The answer a consent cookie holds, or None (no cookie, or not one of ours)."""
    found = _VALUE.fullmatch(value or "")
    if found is None:
        return None
    return Choice(found.group(1), found.group(2), found.group(3) == "1")


def allowed(value: str | None) -> bool:
    """Whether the cookie allows preference storage for the banner shown now."""
    choice = read(value)
    return choice is not None and choice.current and choice.preferences


@runs_in(COOKIE_CHOICES)
def answer(
    db: Session,
    previous: Choice | None,
    *,
    version: str,
    preferences: bool,
    user_id: int | None,
    now: datetime,
) -> Choice:
    """Record an answer to banner `version` (409 unless it is the one shown now); the
    browser keeps its key across answers, so its history reads as one."""
    if version != BANNER_VERSION:
        raise Problem(
            409,
            gettext("Banner changed"),
            gettext(
                "The cookie banner has changed since this page was loaded. Reload and answer again."
            ),
        )
    key = previous.visitor_key if previous is not None else secrets.token_urlsafe(12)
    withdrawal = previous is not None and previous.current and previous.preferences
    db.add(
        CookieConsent(
            visitor_key=key,
            user_id=user_id,
            banner_version=version,
            preferences=preferences,
            withdrawal=withdrawal and not preferences,
            decided_at=now,
        )
    )
    db.flush()
    return Choice(key, version, preferences)
