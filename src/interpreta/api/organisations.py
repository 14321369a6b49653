"""Organisations and their members. Outsiders get 404: they cannot tell one exists."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts import actions, invitations
from interpreta.accounts.models import MemberRole, Membership, Organisation, User
from interpreta.api import live_rights
from interpreta.api.dependencies import PlatformDep, UserDep, client_address, within
from interpreta.api.inputs import Input, PathId
from interpreta.datamap.activities import ACCOUNT
from interpreta.errors import invalid, not_found
from interpreta.events.models import Event
from interpreta.i18n.catalogues import N_, gettext

router = APIRouter(
    prefix="/api/organisations", tags=["organisations"], dependencies=[within(ACCOUNT)]
)

MANAGERS = (MemberRole.OWNER, MemberRole.ORGANISER)


class OrganisationOut(BaseModel):
    """An organisation as its members see it."""

    id: int
    name: str
    plan: str
    status: str
    billing_contact_name: str | None
    billing_contact_email: str | None
    contract_start: date | None
    contract_end: date | None
    content_retention_days: int | None
    engagement_estimates: bool
    """Whether the organisers may have engagement estimates made after events (P37)."""
    my_role: str


class OrganisationPatch(Input):
    """Changes an owner may make to the organisation."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    billing_contact_name: str | None = Field(default=None, max_length=200)
    billing_contact_email: EmailStr | None = None
    content_retention_days: int | None = Field(default=None, ge=0)
    engagement_estimates: bool | None = None


class MemberOut(BaseModel):
    """A member of an organisation."""

    user_id: int
    email: str
    name: str
    role: str


class InvitationIn(Input):
    """Invite someone (by email address) to join the organisation."""

    email: EmailStr
    role: MemberRole


class InvitationOut(BaseModel):
    """An invitation not yet answered."""

    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime


class InvitationSent(BaseModel):
    """The same answer whether or not the address has an account."""

    detail: str


class RolePatch(Input):
    """A member's new role."""

    role: MemberRole


def _out(organisation: Organisation, role: MemberRole) -> OrganisationOut:
    return OrganisationOut(
        id=organisation.id,
        name=organisation.name,
        plan=organisation.plan,
        status=str(organisation.status),
        billing_contact_name=organisation.billing_contact_name,
        billing_contact_email=organisation.billing_contact_email,
        contract_start=organisation.contract_start,
        contract_end=organisation.contract_end,
        content_retention_days=organisation.content_retention_days,
        engagement_estimates=organisation.engagement_estimates,
        my_role=str(role),
    )


def _member_out(member: Membership) -> MemberOut:
    return MemberOut(
        user_id=member.user_id,
        email=member.user.email,
        name=member.user.name,
        role=str(member.role),
    )


@router.get("", response_model=list[OrganisationOut])
def list_organisations(user: UserDep, platform: PlatformDep) -> list[OrganisationOut]:
    """The organisations the signed-in user belongs to."""
    with platform.sessions() as db:
        rows = db.execute(
            select(Organisation, Membership.role)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == user.id)
            .order_by(Organisation.name)
        ).all()
        return [_out(org, role) for org, role in rows]


@router.get("/{organisation_id}", response_model=OrganisationOut)
def get_organisation(
    organisation_id: PathId, user: UserDep, platform: PlatformDep
) -> OrganisationOut:
    """One organisation of the signed-in user."""
    with platform.sessions() as db:
        member = actions.require_member(db, organisation_id, user)
        return _out(member.organisation, member.role)


@router.patch("/{organisation_id}", response_model=OrganisationOut)
def update_organisation(
    organisation_id: PathId, body: OrganisationPatch, user: UserDep, platform: PlatformDep
) -> OrganisationOut:
    """Change the organisation's name, billing contact, content retention, or whether
    engagement estimates are made (owners)."""
    settings = platform.settings
    with platform.transaction() as db:
        member = actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        organisation = member.organisation
        changes = body.model_dump(exclude_unset=True)
        days = changes.get("content_retention_days")
        if days is not None and not (
            settings.content_retention_min_days <= days <= settings.content_retention_max_days
        ):
            raise invalid(
                "content_retention_days",
                gettext(
                    "Choose between %(least)s and %(most)s days.",
                    least=settings.content_retention_min_days,
                    most=settings.content_retention_max_days,
                ),
            )
        if "name" in changes and changes["name"] is None:
            raise invalid("name", gettext("An organisation needs a name."))
        if "engagement_estimates" in changes and changes["engagement_estimates"] is None:
            raise invalid("engagement_estimates", gettext("Say true or false."))
        for key, value in changes.items():
            setattr(organisation, key, value)
        return _out(organisation, member.role)


@router.get("/{organisation_id}/members", response_model=list[MemberOut])
def list_members(organisation_id: PathId, user: UserDep, platform: PlatformDep) -> list[MemberOut]:
    """The organisation's members (owners and organisers)."""
    with platform.sessions() as db:
        member = actions.require_member(db, organisation_id, user, *MANAGERS)
        return [_member_out(m) for m in member.organisation.memberships]


@router.post("/{organisation_id}/invitations", status_code=202, response_model=InvitationSent)
def invite_member(
    organisation_id: PathId,
    body: InvitationIn,
    request: Request,
    user: UserDep,
    platform: PlatformDep,
) -> InvitationSent:
    """Invite someone to join (owners): they become a member only by accepting the mailed
    invitation. The answer does not say whether the address has an account."""
    with platform.sessions() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
    platform.ratelimits.mail(str(body.email), client_address(request))
    with platform.transaction() as db:
        member = actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        invitations.invite(
            db,
            platform.mailer,
            platform.settings,
            member.organisation,
            inviter=user,
            email=body.email,
            role=body.role,
            now=platform.clock.now(),
        )
    return InvitationSent(detail=f"An invitation is on its way to {body.email}.")


@router.get("/{organisation_id}/invitations", response_model=list[InvitationOut])
def list_invitations(
    organisation_id: PathId, user: UserDep, platform: PlatformDep
) -> list[InvitationOut]:
    """Invitations not yet answered (owners)."""
    with platform.sessions() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        return [
            InvitationOut(
                id=i.id,
                email=i.email,
                role=str(i.role),
                created_at=i.created_at,
                expires_at=i.expires_at,
            )
            for i in invitations.pending(db, organisation_id, platform.clock.now())
        ]


@router.delete("/{organisation_id}/invitations/{invitation_id}", status_code=204)
def withdraw_invitation(
    organisation_id: PathId, invitation_id: PathId, user: UserDep, platform: PlatformDep
) -> Response:
    """Withdraw an invitation not yet answered (owners); its link stops working."""
    with platform.transaction() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        invitations.withdraw(db, organisation_id, invitation_id, platform.clock.now())
    return Response(status_code=204)


def _target(db: Session, organisation_id: int, user_id: int) -> Membership:
    target_user = db.get(User, user_id)
    found = actions.membership(db, organisation_id, target_user) if target_user else None
    if found is None:
        raise not_found(N_("member"))
    return found


@router.patch("/{organisation_id}/members/{user_id}", response_model=MemberOut)
def change_member_role(
    organisation_id: PathId, user_id: PathId, body: RolePatch, user: UserDep, platform: PlatformDep
) -> MemberOut:
    """Change a member's role (owners)."""
    with platform.transaction() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        target = _target(db, organisation_id, user_id)
        actions.change_role(db, target, body.role)
        return _member_out(target)


@router.delete("/{organisation_id}/members/{user_id}", status_code=204)
def remove_member(
    organisation_id: PathId, user_id: PathId, request: Request, user: UserDep, platform: PlatformDep
) -> Response:
    """Remove a member (owners); their live sessions in the organisation's events end."""
    with platform.transaction() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        actions.remove_member(db, _target(db, organisation_id, user_id))
        events = list(db.scalars(select(Event.id).where(Event.organisation_id == organisation_id)))
    live_rights.revoke(
        request, events, "You are no longer a member of this organisation.", user_id=user_id
    )
    return Response(status_code=204)
