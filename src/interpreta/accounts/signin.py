"""Sign-in sessions: a random token in a cookie, its SHA-256 in the database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.models import SignInSession, User
from interpreta.datamap.activities import SIGN_IN
from interpreta.privacy.processing import runs_in

COOKIE_NAME = "interpreta_session"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@runs_in(SIGN_IN)
def open_session(db: Session, user: User, now: datetime, lifetime: timedelta) -> str:
    """Start a sign-in session for `user`; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.add(
        SignInSession(
            token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=now + lifetime
        )
    )
    return token


@runs_in(SIGN_IN)
def user_for_token(db: Session, token: str, now: datetime) -> User | None:
    """The user a still-valid token belongs to, or None."""
    row = db.scalar(select(SignInSession).where(SignInSession.token_hash == _digest(token)))
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    user = row.user
    return None if user.closed_at is not None else user


@runs_in(SIGN_IN)
def close_session(db: Session, token: str, now: datetime) -> None:
    """End the session a token belongs to (sign out)."""
    row = db.scalar(select(SignInSession).where(SignInSession.token_hash == _digest(token)))
    if row is not None and row.ended_at is None:
        row.ended_at = now
