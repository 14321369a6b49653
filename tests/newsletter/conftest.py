"""Subscribing people to the newsletter, as the tests need them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from interpreta.mail import Mail, Mailer
from interpreta.newsletter import consent, subscriptions
from interpreta.newsletter.models import NewsletterSubscriber
from interpreta.newsletter.subscriptions import Origin
from interpreta.platform import Platform

ORIGIN = Origin("203.0.113.7", "Firefox 133", "desktop")
"""Where the tests' consents come from."""


@dataclass
class Passing:
    """Hands every mail on to `mailer`, keeping the tokens of the links they carry."""

    mailer: Mailer
    tokens: list[str] = field(default_factory=list)

    def send(self, mail: Mail) -> None:
        """Keep the token of `mail`'s link, and send it on."""
        self.tokens += re.findall(r"\?token=([\w-]+)", mail.body)
        self.mailer.send(mail)

    def forget(self, addresses: set[str]) -> int:
        """Forget `addresses` where the mail went."""
        return self.mailer.forget(addresses)


@dataclass
class Subscribing:
    """Subscribes addresses the way the pages do: asks, then follows the mailed link."""

    platform: Platform

    def ask(self, email: str) -> str:
        """Ask to subscribe `email`; the token of the link it was mailed."""
        passing = Passing(self.platform.mailer)
        with self.platform.transaction() as db:
            subscriptions.ask(
                db,
                passing,
                self.platform.settings,
                email=email,
                consent_version=consent.CURRENT,
                origin=ORIGIN,
                now=self.platform.clock.now(),
            )
        return passing.tokens[-1]

    def __call__(self, email: str) -> int:
        """Subscribe `email` (asked and confirmed); the subscriber's row."""
        token = self.ask(email)
        with self.platform.transaction() as db:
            subscriber: NewsletterSubscriber = subscriptions.confirm(
                db, token, origin=ORIGIN, now=self.platform.clock.now()
            )
            return subscriber.id


@pytest.fixture
def subscribe(platform: Platform) -> Subscribing:
    """Subscribes addresses to the newsletter."""
    return Subscribing(platform)
