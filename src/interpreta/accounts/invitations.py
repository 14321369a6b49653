"""Invitations to join an organisation. Nobody becomes a member, or an interpreter
in a booth, without accepting: an owner invites an address, the invitation is
mailed, and the person who follows the link, signed in with that address, accepts
or declines. The answer to the owner is the same whether or not the address has an
account, so inviting tells nothing about who has one.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts import links
from interpreta.accounts.actions import find_user_by_email, membership
from interpreta.accounts.addresses import normalise_email
from interpreta.accounts.models import Invitation, MemberRole, Membership, Organisation, User
from interpreta.accounts.verification import link_url
from interpreta.config import Settings
from interpreta.datamap.activities import ACCOUNT
from interpreta.errors import forbidden, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.mail import Mail, Mailer
from interpreta.privacy.processing import runs_in

ROLE_WORDS = {
    MemberRole.OWNER: N_("an owner"),
    MemberRole.ORGANISER: N_("an organiser"),
    MemberRole.INTERPRETER: N_("an interpreter"),
}


@runs_in(ACCOUNT)
def invite(
    db: Session,
    mailer: Mailer,
    settings: Settings,
    organisation: Organisation,
    *,
    inviter: User,
    email: str,
    role: MemberRole,
    now: datetime,
) -> None:
    """Invite `email` into `organisation` as `role` and mail the link. A standing
    invitation to the address is replaced; a member is not invited again (and is not
    told apart from anyone else)."""
    address = normalise_email(email)
    invitee = find_user_by_email(db, address)
    if invitee is not None and membership(db, organisation.id, invitee) is not None:
        return
    for standing in _standing(db, organisation.id, address, now):
        standing.answered_at, standing.accepted = now, False
    token = secrets.token_urlsafe(32)
    db.add(
        Invitation(
            organisation_id=organisation.id,
            email=address,
            role=role,
            token_hash=links.digest(token),
            created_at=now,
            expires_at=now + timedelta(days=settings.invitation_days),
        )
    )
    db.flush()
    mailer.send(
        Mail(
            activity=ACCOUNT.key,
            to=address,
            subject=gettext(
                "Invitation to join %(organisation)s on Interpreta", organisation=organisation.name
            ),
            body=gettext(
                "%(inviter)s invites you to join %(organisation)s as %(role)s.",
                inviter=inviter.name,
                organisation=organisation.name,
                role=gettext(ROLE_WORDS[role]),
            )
            + "\n\n"
            + gettext(
                "To accept or decline, open this link within %(days)s days (you will be asked "
                "to sign in or to create an account with this address):",
                days=settings.invitation_days,
            )
            + f"\n\n{link_url(settings, '/invitations', token)}\n\n"
            + gettext("If you do not know them, ignore this message; nothing will happen."),
        )
    )


def _standing(db: Session, organisation_id: int, email: str, now: datetime) -> list[Invitation]:
    return list(
        db.scalars(
            select(Invitation).where(
                Invitation.organisation_id == organisation_id,
                Invitation.email == email,
                Invitation.answered_at.is_(None),
                Invitation.expires_at > now,
            )
        )
    )


@runs_in(ACCOUNT)
def pending(db: Session, organisation_id: int, now: datetime) -> list[Invitation]:
    """The organisation's invitations not yet answered nor expired, newest first."""
    return list(
        db.scalars(
            select(Invitation)
            .where(
                Invitation.organisation_id == organisation_id,
                Invitation.answered_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


@runs_in(ACCOUNT)
def withdraw(db: Session, organisation_id: int, invitation_id: int, now: datetime) -> None:
    """Withdraw a pending invitation (404 when there is none by that ID)."""
    found = next((i for i in pending(db, organisation_id, now) if i.id == invitation_id), None)
    if found is None:
        raise not_found(N_("invitation"))
    found.answered_at, found.accepted = now, False


@runs_in(ACCOUNT)
def standing(db: Session, token: str, now: datetime) -> Invitation:
    """The unanswered, unexpired invitation `token` opens (410 otherwise)."""
    found = db.scalar(select(Invitation).where(Invitation.token_hash == links.digest(token)))
    if found is None or found.answered_at is not None or found.expires_at <= now:
        raise links.gone()
    return found


@runs_in(ACCOUNT)
def accept(db: Session, token: str, user: User, now: datetime) -> Membership:
    """Accept an invitation as `user`, who must be signed in with the invited address
    (403 otherwise); following the mailed link proves the address."""
    invitation = standing(db, token, now)
    if normalise_email(user.email) != invitation.email:
        raise forbidden(
            gettext("This invitation was sent to another email address; sign in with that address.")
        )
    invitation.answered_at, invitation.accepted = now, True
    if user.email_verified_at is None:
        user.email_verified_at = now
    existing = membership(db, invitation.organisation_id, user)
    if existing is not None:
        return existing
    member = Membership(
        organisation_id=invitation.organisation_id,
        user_id=user.id,
        role=invitation.role,
        created_at=now,
    )
    db.add(member)
    db.flush()
    return member


@runs_in(ACCOUNT)
def decline(db: Session, token: str, now: datetime) -> None:
    """Decline an invitation (anyone holding the link may: it reached the address)."""
    invitation = standing(db, token, now)
    invitation.answered_at, invitation.accepted = now, False
