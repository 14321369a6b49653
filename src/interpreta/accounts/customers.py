"""What the operator's own machinery reads about its customers.

The privacy engines keep no list of tables, so what they need to know of the
customer organisations is handed to them from here by the platform: the
customers in the records of processing (Art. 30(2)), and the retention period
each chose for its meeting content (P16).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.models import Organisation, OrganisationStatus
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
