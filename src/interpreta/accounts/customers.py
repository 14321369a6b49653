"""What the operator's own machinery reads about its customers.

The privacy engines keep no list of tables, so what they need to know of the
customer organisations is handed to them from here by the platform: the
customers in the records of processing (Art. 30(2)), the retention period
each chose for its meeting content (P16), and what happens to a customer whose
last member was erased.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from interpreta.accounts.models import (
    MemberRole,
    Membership,
    Organisation,
    OrganisationStatus,
    User,
)
from interpreta.datamap.activities import ACCOUNT
from interpreta.privacy.processing import runs_in


@runs_in(ACCOUNT)
def active_customers(db: Session) -> list[tuple[str, str | None]]:
    """The active customers' names and billing contact addresses, by name."""
    rows = db.execute(
        select(Organisation.name, Organisation.billing_contact_email)
        .where(Organisation.status == OrganisationStatus.ACTIVE)
        .order_by(Organisation.name)
    ).all()
    return [(name, email) for name, email in rows]


@runs_in(ACCOUNT)
def content_retention_choices(db: Session) -> dict[int, int]:
    """The retention period (days) each customer chose for its meeting content, by
    organisation ID; customers that chose none keep the default."""
    rows = db.execute(
        select(Organisation.id, Organisation.content_retention_days).where(
            Organisation.content_retention_days.is_not(None)
        )
    ).all()
    return {organisation_id: days for organisation_id, days in rows if days is not None}


@runs_in(ACCOUNT)
def close_memberless(db: Session, now: datetime) -> list[int]:
    """Close every active organisation left without members (its last member was
    erased): nobody could manage it or ask for its erasure, so it closes and its
    retention clocks start (P08, P10). Returns the IDs closed."""
    orphans = list(
        db.scalars(
            select(Organisation).where(
                Organisation.status == OrganisationStatus.ACTIVE,
                ~exists(select(Membership.id).where(Membership.organisation_id == Organisation.id)),
            )
        )
    )
    for organisation in orphans:
        organisation.status = OrganisationStatus.CLOSED
        organisation.closed_at = now
    db.flush()
    return [o.id for o in orphans]


@runs_in(ACCOUNT)
def owner_addresses(db: Session, organisation_id: int) -> list[tuple[str, str]]:
    """The proven addresses of an organisation's owners (who answer its share of
    privacy requests), each with the owner's language, by address."""
    rows = db.execute(
        select(User.email, User.locale)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == organisation_id,
            Membership.role == MemberRole.OWNER,
            User.email_verified_at.is_not(None),
            User.closed_at.is_(None),
        )
        .order_by(User.email)
    )
    return [(email, locale) for email, locale in rows]
