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
def open_session(
    db: Session, user: User, now: datetime, lifetime: timedelta, device: str | None = None
) -> str:
    """Start a sign-in session for `user` on `device` (browser and system, coarse);
    returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.add(
        SignInSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
            device=device[:120] if device else None,
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


@runs_in(SIGN_IN)
def session_for_token(db: Session, token: str) -> SignInSession | None:
    """The session row a token belongs to, if any."""
    return db.scalar(select(SignInSession).where(SignInSession.token_hash == _digest(token)))


@runs_in(SIGN_IN)
def open_sessions(db: Session, user_id: int, now: datetime) -> list[SignInSession]:
    """`user_id`'s sessions still open, newest first."""
    return list(
        db.scalars(
            select(SignInSession)
            .where(
                SignInSession.user_id == user_id,
                SignInSession.ended_at.is_(None),
                SignInSession.expires_at > now,
            )
            .order_by(SignInSession.created_at.desc(), SignInSession.id.desc())
        )
    )


@runs_in(SIGN_IN)
def end_sessions(
    db: Session, user_id: int, now: datetime, *, keep: str | None = None, only: int | None = None
) -> int:
    """End `user_id`'s open sessions (only session `only`, when given), except the one
    whose token is `keep`; returns how many ended."""
    kept = _digest(keep) if keep else None
    ended = 0
    for row in open_sessions(db, user_id, now):
        if row.token_hash == kept or (only is not None and row.id != only):
            continue
        row.ended_at = now
        ended += 1
    return ended
