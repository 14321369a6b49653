"""Every write to accounts goes through these functions (cf. Zulip's actions)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from interpreta.accounts.addresses import skeleton
from interpreta.accounts.models import (
    MemberRole,
    Membership,
    Organisation,
    OrganisationStatus,
    StaffRole,
    User,
)
from interpreta.accounts.passwords import Passwords
from interpreta.datamap.activities import ACCOUNT
from interpreta.datamap.ties import normalise_email
from interpreta.errors import conflict, forbidden, invalid, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.privacy import holds as legal_holds
from interpreta.privacy.processing import runs_in


@runs_in(ACCOUNT)
def find_user_by_email(db: Session, email: str) -> User | None:
    """The account with this email address, if any."""
    return db.scalar(select(User).where(User.email == normalise_email(email)))


@runs_in(ACCOUNT)
def require_free_address(db: Session, email: str, *, user: User | None = None) -> str:
    """`email` normalised, when no other account has it or an address confusable with it
    (UTS #39: a reader could not tell the two apart); 409 otherwise."""
    address = normalise_email(email)
    exact = select(User.id).where(User.email == address)
    alike = select(User.id).where(User.email_skeleton == skeleton(address))
    if user is not None:
        exact, alike = exact.where(User.id != user.id), alike.where(User.id != user.id)
    if db.scalar(exact.limit(1)) is not None:
        raise conflict(gettext("An account with this email address already exists."), "email")
    if db.scalar(alike.limit(1)) is not None:
        raise conflict(
            gettext(
                "This address looks like the address of another account (characters that look "
                "alike); choose another."
            ),
            "email",
        )
    return address


@runs_in(ACCOUNT)
def create_user(
    db: Session,
    passwords: Passwords,
    *,
    email: str,
    name: str,
    password: str,
    now: datetime,
    locale: str = "en",
) -> User:
    """Create an account, unverified until its owner follows the mailed link; the address
    must be free and unlike any other account's."""
    address = require_free_address(db, email)
    user = User(
        email=address,
        email_skeleton=skeleton(address),
        name=name.strip(),
        password_hash=passwords.hash(password),
        locale=locale,
        created_at=now,
    )
    db.add(user)
    db.flush()
    return user


@runs_in(ACCOUNT)
def create_organisation(db: Session, *, owner: User, name: str, now: datetime) -> Organisation:
    """Create a customer organisation with `owner` as its first member."""
    organisation = Organisation(
        name=name.strip(), status=OrganisationStatus.ACTIVE, created_at=now, plan="standard"
    )
    db.add(organisation)
    db.flush()
    db.add(
        Membership(
            organisation_id=organisation.id, user_id=owner.id, role=MemberRole.OWNER, created_at=now
        )
    )
    db.flush()
    return organisation


@runs_in(ACCOUNT)
def authenticate(db: Session, passwords: Passwords, email: str, password: str) -> User | None:
    """The account these credentials open, or None."""
    user = find_user_by_email(db, email)
    if user is None or user.closed_at is not None:
        passwords.verify_nobody(password)
        return None
    return user if passwords.verify(user.password_hash, password) else None


@runs_in(ACCOUNT)
def membership(db: Session, organisation_id: int, user: User) -> Membership | None:
    """`user`'s membership of the organisation, if any."""
    return db.scalar(
        select(Membership).where(
            Membership.organisation_id == organisation_id, Membership.user_id == user.id
        )
    )


@runs_in(ACCOUNT)
def is_member(db: Session, organisation_id: int, user_id: int) -> bool:
    """Whether user `user_id` belongs to organisation `organisation_id`."""
    found = db.scalar(
        select(Membership.id).where(
            Membership.organisation_id == organisation_id, Membership.user_id == user_id
        )
    )
    return found is not None


@runs_in(ACCOUNT)
def organisation_name(db: Session, organisation_id: int) -> str:
    """The name of organisation `organisation_id` ('' when there is none)."""
    return db.scalar(select(Organisation.name).where(Organisation.id == organisation_id)) or ""


@runs_in(ACCOUNT)
def members(db: Session, organisation_id: int) -> list[tuple[int, str, str]]:
    """The user ID, name and email address of each member, by name."""
    rows = db.execute(
        select(User.id, User.name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id)
    ).all()
    return sorted(((uid, name, email) for uid, name, email in rows), key=lambda m: m[1].casefold())


@runs_in(ACCOUNT)
def require_member(db: Session, organisation_id: int, user: User, *roles: MemberRole) -> Membership:
    """`user`'s membership, else 404 (the organisation stays invisible to outsiders);
    403 when a role in `roles` is required and the member lacks it."""
    found = membership(db, organisation_id, user)
    if found is None:
        raise not_found(N_("organisation"))
    return require_role(found, *roles)


def require_role(member: Membership, *roles: MemberRole) -> Membership:
    """`member`, unless `roles` are given and the member has none of them (403)."""
    if roles and member.role not in roles:
        raise forbidden(gettext("Your role in this organisation does not allow this."))
    return member


@runs_in(ACCOUNT)
def add_member(
    db: Session, organisation: Organisation, *, user: User, role: MemberRole, now: datetime
) -> Membership:
    """Make `user` a member of `organisation`."""
    if membership(db, organisation.id, user) is not None:
        raise conflict(gettext("This person is already a member."), "email")
    member = Membership(organisation_id=organisation.id, user_id=user.id, role=role, created_at=now)
    db.add(member)
    db.flush()
    return member


@runs_in(ACCOUNT)
def change_role(db: Session, member: Membership, role: MemberRole) -> None:
    """Change a member's role, keeping at least one owner."""
    if member.role is MemberRole.OWNER and role is not MemberRole.OWNER:
        _require_another_owner(db, member)
    member.role = role


@runs_in(ACCOUNT)
def remove_member(db: Session, member: Membership) -> None:
    """Remove a member, keeping at least one owner; refused while a legal hold covers
    them or the organisation (their membership is a held record, P15)."""
    if member.role is MemberRole.OWNER:
        _require_another_owner(db, member)
    held = legal_holds.active(db)
    if held.covers(
        user=member.user_id, email=member.user.email, organisation=member.organisation_id
    ):
        raise conflict(
            gettext(
                "A legal hold covers this member or the organisation (P15): the membership "
                "stays until the hold is released."
            )
        )
    db.delete(member)


def _require_another_owner(db: Session, member: Membership) -> None:
    owners = db.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.organisation_id == member.organisation_id,
            Membership.role == MemberRole.OWNER,
        )
    )
    if (owners or 0) <= 1:
        raise invalid("role", gettext("An organisation needs at least one owner."))


def close_organisation(organisation: Organisation, now: datetime) -> None:
    """Close a customer account; its retention clocks start now."""
    organisation.status = OrganisationStatus.CLOSED
    organisation.closed_at = now


@runs_in(ACCOUNT)
def staff_role_of(db: Session, user_id: int) -> StaffRole | None:
    """The staff role user `user_id` holds in force (two-factor sign-in on), if any."""
    user = db.get(User, user_id)
    return None if user is None else user.staff_role_in_force


@runs_in(ACCOUNT)
def staff_members(db: Session, roles: Collection[StaffRole]) -> list[tuple[int, str]]:
    """The ID and name of each member of staff holding one of `roles` in force
    (two-factor sign-in on), by name: whom a desk's work can be given to."""
    rows = db.execute(
        select(User.id, User.name)
        .where(User.staff_role.in_(list(roles)), User.totp_enabled_at.is_not(None))
        .order_by(User.name, User.id)
    )
    return [(user_id, name) for user_id, name in rows]


@runs_in(ACCOUNT)
def verified_account(db: Session, email: str) -> tuple[int, str] | None:
    """The ID and name of the account whose address `email` is and has been proven:
    only its owner is anyone's account for mail that comes in from that address."""
    row = db.execute(
        select(User.id, User.name).where(
            User.email == normalise_email(email), User.email_verified_at.is_not(None)
        )
    ).first()
    return None if row is None else (row.id, row.name)
