"""Rate limits and sign-in lockout, with the ``limits`` library.

Counters live in memory by default (one process) or in Redis
(``INTERPRETA_RATE_LIMIT_STORAGE=redis://...``, for several nodes). People are
never named in a key: an email address is replaced by a keyed hash (HMAC with
the deployment's session key), so the counters hold no personal data even in a
shared store. A refusal is a 429 problem with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from interpreta.clock import Clock
from interpreta.config import Settings
from interpreta.datamap.ties import normalise_email
from interpreta.errors import Problem
from interpreta.i18n.catalogues import N_, gettext


@dataclass(frozen=True)
class Rules:
    """The limits in force (``limits`` notation: '5/15 minutes')."""

    sign_in_failures_per_account: RateLimitItem
    sign_in_attempts_per_client: RateLimitItem
    sign_ups_per_client: RateLimitItem
    requests_per_address: RateLimitItem
    requests_per_client: RateLimitItem
    mails_per_address: RateLimitItem
    """Account mails (address proofs, password resets, invitations) to one address."""
    mails_per_client: RateLimitItem
    """Account mails one client address may cause."""

    @classmethod
    def of(cls, settings: Settings) -> Rules:
        """The rules the settings give."""
        return cls(
            sign_in_failures_per_account=parse(settings.rate_sign_in_failures_per_account),
            sign_in_attempts_per_client=parse(settings.rate_sign_in_attempts_per_client),
            sign_ups_per_client=parse(settings.rate_sign_ups_per_client),
            requests_per_address=parse(settings.rate_requests_per_address),
            requests_per_client=parse(settings.rate_requests_per_client),
            mails_per_address=parse(settings.rate_mails_per_address),
            mails_per_client=parse(settings.rate_mails_per_client),
        )


def too_many(retry_after: int, what: str) -> Problem:
    """The 429 problem, saying when to try again (`what`: a phrase marked with ``N_``)."""
    return Problem(
        429,
        gettext("Too many requests"),
        gettext(
            "Too many %(what)s; try again in %(seconds)s seconds.",
            what=gettext(what),
            seconds=retry_after,
        ),
        headers={"Retry-After": str(retry_after)},
    )


class RateLimits:
    """The platform's counters: one limiter over one storage."""

    def __init__(self, settings: Settings, key: bytes, clock: Clock) -> None:
        self.rules = Rules.of(settings)
        self._clock = clock
        storage = storage_from_string(settings.rate_limit_storage)
        if not isinstance(storage, Storage):
            raise ValueError("rate_limit_storage must name a synchronous storage (memory://...)")
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._key = key

    def person(self, email: str) -> str:
        """A key for a person known by `email`, naming no one (keyed SHA-256)."""
        normalised = normalise_email(email).encode("utf-8")
        return hmac.new(self._key, b"rate:" + normalised, hashlib.sha256).hexdigest()

    def hit(self, item: RateLimitItem, scope: str, key: str, what: str) -> None:
        """Count one more against `item` for `key`; 429 when it is used up."""
        if not self.limiter.hit(item, scope, key):
            raise too_many(self._retry_after(item, scope, key), what)

    def mail(self, to: str, client: str) -> None:
        """Count one account mail to address `to` asked for by `client` (a client
        address); 429 when either has had its share. The count is the same whether or
        not an account has the address, so the answer tells nothing about that."""
        self.hit(self.rules.mails_per_client, "mail-client", client, N_("mails asked for"))
        self.hit(
            self.rules.mails_per_address, "mail-to", self.person(to), N_("mails to this address")
        )

    def check(self, item: RateLimitItem, scope: str, key: str, what: str) -> None:
        """429 when `item` is used up for `key`, without counting."""
        if not self.limiter.test(item, scope, key):
            raise too_many(self._retry_after(item, scope, key), what)

    def count(self, item: RateLimitItem, scope: str, key: str) -> None:
        """Count one more against `item` for `key` (a failure), never refusing."""
        self.limiter.hit(item, scope, key)

    def clear(self, item: RateLimitItem, scope: str, key: str) -> None:
        """Forget `key`'s count (a successful sign-in ends the failures)."""
        self.limiter.clear(item, scope, key)

    def _retry_after(self, item: RateLimitItem, scope: str, key: str) -> int:
        """Seconds until the window frees a slot (at least 1, at most the window)."""
        reset, _remaining = self.limiter.get_window_stats(item, scope, key)
        waiting = math.ceil(reset - self._clock.now().timestamp())
        return min(max(1, waiting), item.get_expiry())
