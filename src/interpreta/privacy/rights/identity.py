"""One-time links mailed to a requester without an account (identity check).

The link carries a random token; the table keeps only its SHA-256, so a copy of
the database cannot be used to confirm anything. A token works once, before it
expires.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.privacy.rights.models import DataSubjectRequest, EmailToken


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(db: Session, request: DataSubjectRequest, *, now: datetime, hours: int) -> str:
    """A new one-time token for `request`, valid `hours`; returns the token itself."""
    token = secrets.token_urlsafe(32)
    db.add(
        EmailToken(
            token_hash=_digest(token),
            request_id=request.id,
            expires_at=now + timedelta(hours=hours),
        )
    )
    db.flush()
    return token


def redeem(db: Session, token: str, *, now: datetime) -> DataSubjectRequest:
    """The request `token` was issued for, using the token up; 410 when it is
    unknown, used or expired (one answer for all three)."""
    found = db.scalar(
        select(EmailToken).where(EmailToken.token_hash == _digest(token)).with_for_update()
    )
    if found is None or found.used_at is not None or found.expires_at <= now:
        raise Problem(
            410, gettext("Link no longer valid"), gettext("This link was used or has expired.")
        )
    found.used_at = now
    request = db.get(DataSubjectRequest, found.request_id)
    assert request is not None
    return request
