"""Deals: offers to customers, moved through the stages of the sales pipeline.

A deal opens as a lead and moves forward or back until it is won or lost; a lost deal
says why. Once won or lost it is over: a new opportunity is a new deal. The pipeline is
the open deals with the value they carry per stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from interpreta.accounts.models import Organisation
from interpreta.billing.models import Plan
from interpreta.crm.contacts import require_open
from interpreta.crm.models import CrmContact, Deal, DealStage
from interpreta.datamap.activities import CUSTOMER_RELATIONSHIP
from interpreta.errors import conflict, filled, invalid
from interpreta.i18n.catalogues import gettext
from interpreta.privacy.processing import runs_in

__all__ = ["PipelineStage", "deals", "move", "open_deal", "pipeline"]


@runs_in(CUSTOMER_RELATIONSHIP)
def open_deal(
    db: Session,
    organisation: Organisation,
    *,
    title: str,
    value: Decimal,
    currency: str,
    now: datetime,
    plan: Plan | None = None,
    contact: CrmContact | None = None,
    expected_on: date | None = None,
) -> Deal:
    """Open a deal with `organisation`, as a lead.

    :raises Problem: 409 when the account is closed; 422 for a contact of another
        customer or a plan no longer offered.
    """
    require_open(organisation.closed_at)
    if contact is not None and contact.organisation_id != organisation.id:
        raise invalid("contact_id", gettext("That contact is not at this customer."))
    if plan is not None and not plan.active:
        raise invalid("plan", gettext("That plan is no longer offered."))
    deal = Deal(
        organisation_id=organisation.id,
        contact_id=None if contact is None else contact.id,
        title=filled("title", title),
        stage=DealStage.LEAD,
        value=value,
        currency=currency,
        plan_id=None if plan is None else plan.id,
        expected_on=expected_on,
        opened_at=now,
    )
    db.add(deal)
    db.flush()
    return deal


@runs_in(CUSTOMER_RELATIONSHIP)
def move(
    db: Session,
    deal: Deal,
    stage: DealStage,
    now: datetime,
    *,
    lost_reason: str | None = None,
) -> Deal:
    """Move `deal` to `stage`; ``won`` and ``lost`` close it.

    :raises Problem: 409 when the deal is over already or at `stage`; 422 when a lost
        deal does not say why.
    """
    if deal.stage.is_closed:
        raise conflict(gettext("The deal is closed; open a new one."))
    if stage is deal.stage:
        raise conflict(gettext("The deal is at that stage already."), "stage")
    if stage is DealStage.LOST and not (lost_reason and lost_reason.strip()):
        raise invalid("lost_reason", gettext("Say why the deal was lost."))
    deal.stage = stage
    if stage is DealStage.LOST:
        deal.lost_reason = str(lost_reason).strip()
    if stage.is_closed:
        deal.closed_at = now
    return deal


@runs_in(CUSTOMER_RELATIONSHIP)
def deals(db: Session, organisation_id: int) -> list[Deal]:
    """A customer's deals, open ones first, newest first."""
    query = select(Deal).where(Deal.organisation_id == organisation_id)
    return list(
        db.scalars(query.order_by(Deal.closed_at.is_not(None), Deal.opened_at.desc(), Deal.id))
    )


@dataclass(frozen=True)
class PipelineStage:
    """The open deals at one stage, in one currency."""

    stage: DealStage
    currency: str
    deals: int
    value: Decimal


@runs_in(CUSTOMER_RELATIONSHIP)
def pipeline(db: Session) -> list[PipelineStage]:
    """The open deals of every customer, counted and summed per stage and currency, in
    the pipeline's order."""
    rows = db.execute(
        select(Deal.stage, Deal.currency, func.count(Deal.id), func.sum(Deal.value))
        .where(Deal.closed_at.is_(None))
        .group_by(Deal.stage, Deal.currency)
    ).all()
    order = list(DealStage)
    found = [
        PipelineStage(
            DealStage(stage), currency, count, Decimal(total or 0).quantize(Decimal("0.01"))
        )
        for stage, currency, count, total in rows
    ]
    return sorted(found, key=lambda s: (order.index(s.stage), s.currency))
