"""One-time links mailed to an account holder: the mail carries a random token, the
database its SHA-256. A link works once, before it expires, for one purpose."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from interpreta.accounts.models import AccountLink, LinkPurpose, User
from interpreta.datamap.activities import SIGN_IN
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.privacy.processing import runs_in


def digest(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def gone() -> Problem:
    """The answer for a link that is unknown, used or expired (one answer for all three)."""
    return Problem(
        410, gettext("Link no longer valid"), gettext("This link was used or has expired.")
    )


@runs_in(SIGN_IN)
def issue(
    db: Session,
    user: User,
    purpose: LinkPurpose,
    *,
    email: str,
    now: datetime,
    lifetime: timedelta,
) -> str:
    """A new link for `user` mailed to `email`; earlier unused links of the same
    purpose expire now (only the latest mail counts). Returns the token."""
    db.execute(
        update(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
            AccountLink.expires_at > now,
        )
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.add(
        AccountLink(
            user_id=user.id,
            purpose=purpose,
            email=email,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.flush()
    return token


@runs_in(SIGN_IN)
def redeem(db: Session, token: str, purpose: LinkPurpose, *, now: datetime) -> AccountLink:
    """The link `token` belongs to, used up; 410 when it is unknown, used, expired or
    for another purpose."""
    found = db.scalar(
        select(AccountLink).where(AccountLink.token_hash == digest(token)).with_for_update()
    )
    if (
        found is None
        or found.purpose is not purpose
        or found.used_at is not None
        or found.expires_at <= now
    ):
        raise gone()
    found.used_at = now
    return found
