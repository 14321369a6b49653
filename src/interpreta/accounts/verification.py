"""Proving that an email address belongs to its account (P01: the privacy centre
serves only the owner of an address).

A new account, and an account whose owner asks to change its address, gets a
one-time link mailed to the address. Until it is followed the account is
unverified: it works, but nothing that others tied to the address is shown or
actionable through it (the data map's ``proven_by`` on ``users.email``). A change
of address takes effect only when the new address is proven.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from interpreta.accounts import links
from interpreta.accounts.actions import require_free_address
from interpreta.accounts.addresses import skeleton
from interpreta.accounts.models import LinkPurpose, User
from interpreta.config import Settings
from interpreta.datamap.activities import SIGN_IN
from interpreta.datamap.ties import normalise_email
from interpreta.i18n.catalogues import gettext
from interpreta.mail import Mail, Mailer
from interpreta.privacy.processing import runs_in


def link_url(settings: Settings, page: str, token: str) -> str:
    """The address of a page of this deployment that receives `token`."""
    return f"{settings.base_url.rstrip('/')}{page}?token={token}"


@runs_in(SIGN_IN)
def send_verification(
    db: Session,
    mailer: Mailer,
    settings: Settings,
    user: User,
    *,
    now: datetime,
    email: str | None = None,
) -> None:
    """Mail a one-time link that proves `email` (default: the account's address)."""
    address = normalise_email(email or user.email)
    hours = settings.account_link_hours
    token = links.issue(
        db,
        user,
        LinkPurpose.VERIFY_EMAIL,
        email=address,
        now=now,
        lifetime=timedelta(hours=hours),
    )
    change = address != user.email
    mailer.send(
        Mail(
            activity=SIGN_IN.key,
            to=address,
            subject=gettext("Confirm your email address"),
            body=(
                gettext("Hello %(name)s,", name=user.name)
                + "\n\n"
                + (
                    gettext("you asked to use this address for your account.")
                    if change
                    else gettext("welcome. Please confirm that this address is yours.")
                )
                + " "
                + gettext("Open this link within %(hours)s hours:", hours=hours)
                + f"\n\n{link_url(settings, '/account/verify', token)}\n\n"
                + gettext("If you did not ask for this, ignore this message; nothing will change.")
            ),
        )
    )


@runs_in(SIGN_IN)
def request_change(
    db: Session, mailer: Mailer, settings: Settings, user: User, new_email: str, *, now: datetime
) -> str:
    """Ask to move the account to `new_email`: the address must be free and unlike any
    other; it takes effect once proven. The current address is told. Returns the
    normalised new address."""
    address = require_free_address(db, new_email, user=user)
    send_verification(db, mailer, settings, user, now=now, email=address)
    if address != user.email:
        mailer.send(
            Mail(
                activity=SIGN_IN.key,
                to=user.email,
                subject=gettext("Your email address is about to change"),
                body=gettext("Hello %(name)s,", name=user.name)
                + "\n\n"
                + gettext(
                    "someone signed in to your account asked to use %(address)s instead of "
                    "this address. Nothing changes until that address is confirmed. If this "
                    "was not you, change your password now.",
                    address=address,
                ),
            )
        )
    return address


@runs_in(SIGN_IN)
def verify(db: Session, token: str, *, now: datetime) -> User:
    """Follow a verification link: its address is proven and becomes the account's
    (410 when the link is unknown, used or expired; 409 when another account took the
    address meanwhile)."""
    link = links.redeem(db, token, LinkPurpose.VERIFY_EMAIL, now=now)
    user = db.get(User, link.user_id)
    if user is None or user.closed_at is not None:
        raise links.gone()
    if link.email != user.email:
        user.email = require_free_address(db, link.email, user=user)
        user.email_skeleton = skeleton(user.email)
    user.email_verified_at = now
    return user
