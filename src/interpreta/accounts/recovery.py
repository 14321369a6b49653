"""Setting a new password: by the current one, or by a one-time link mailed to the
account's address when it is forgotten. Either way every other signed-in browser is
signed out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from interpreta.accounts import links
from interpreta.accounts.actions import find_user_by_email
from interpreta.accounts.models import LinkPurpose, User
from interpreta.accounts.passwords import Passwords
from interpreta.accounts.signin import end_sessions
from interpreta.accounts.verification import link_url
from interpreta.config import Settings
from interpreta.datamap.activities import SIGN_IN
from interpreta.errors import invalid
from interpreta.i18n.catalogues import gettext
from interpreta.mail import Mail, Mailer
from interpreta.privacy.processing import runs_in


@runs_in(SIGN_IN)
def send_reset(
    db: Session, mailer: Mailer, settings: Settings, email: str, *, now: datetime
) -> None:
    """Mail a password reset link to `email` when an open account has that address;
    otherwise nothing (the caller answers the same either way)."""
    user = find_user_by_email(db, email)
    if user is None or user.closed_at is not None:
        return
    minutes = settings.password_reset_minutes
    token = links.issue(
        db,
        user,
        LinkPurpose.RESET_PASSWORD,
        email=user.email,
        now=now,
        lifetime=timedelta(minutes=minutes),
    )
    mailer.send(
        Mail(
            activity=SIGN_IN.key,
            to=user.email,
            subject=gettext("Set a new password"),
            body=gettext("Hello %(name)s,", name=user.name)
            + "\n\n"
            + gettext(
                "someone (we hope you) asked to set a new password for your account. Open "
                "this link within %(minutes)s minutes:",
                minutes=minutes,
            )
            + f"\n\n{link_url(settings, '/account/reset', token)}\n\n"
            + gettext("If you did not ask, ignore this message; your password stays as it is."),
        )
    )


@runs_in(SIGN_IN)
def reset(db: Session, passwords: Passwords, token: str, password: str, *, now: datetime) -> User:
    """Follow a reset link: the new password replaces the old one, every session ends,
    and the address the link reached counts as proven. 410 for a bad link."""
    link = links.redeem(db, token, LinkPurpose.RESET_PASSWORD, now=now)
    user = db.get(User, link.user_id)
    if user is None or user.closed_at is not None:
        raise links.gone()
    user.password_hash = passwords.hash(password)
    if link.email == user.email and user.email_verified_at is None:
        user.email_verified_at = now
    end_sessions(db, user.id, now)
    return user


@runs_in(SIGN_IN)
def change(
    db: Session,
    passwords: Passwords,
    user: User,
    *,
    current: str,
    new: str,
    now: datetime,
    keep_token: str | None,
) -> int:
    """Change the password of a signed-in user who knows the current one (422 if not);
    signs out every other browser and returns how many."""
    if not passwords.verify(user.password_hash, current):
        raise invalid("current_password", gettext("The current password is wrong."))
    user.password_hash = passwords.hash(new)
    return end_sessions(db, user.id, now, keep=keep_token)
