"""A customer with a CRM record: a contact, notes and a deal, as the CRM tests start from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from interpreta.accounts.actions import close_organisation
from interpreta.accounts.models import Organisation
from interpreta.crm import contacts, deals
from interpreta.platform import Platform

ANNA_EMAIL = "anna.berger@example.org"
ANNA_NOTE = "Anna prefers calls after 15:00; budget owner for 2027."
ACCOUNT_NOTE = "Renewal discussed with the whole board."


@dataclass
class Record:
    """The customer whose CRM record a test works on."""

    platform: Platform
    organisation_id: int
    contact_id: int
    deal_id: int

    def close_account(self) -> None:
        """Close the customer's account now: P10's five years start."""
        with self.platform.transaction() as db:
            organisation = db.get(Organisation, self.organisation_id)
            assert organisation is not None
            close_organisation(organisation, self.platform.clock.now())


@pytest.fixture
def record(platform: Platform) -> Record:
    """A customer with Anna as its contact, a note about her, one about the account, and
    a deal discussed with her."""
    now = platform.clock.now()
    with platform.transaction() as db:
        organisation = Organisation(
            name="Konferenzdolmetscher Köln GmbH",
            billing_contact_name="Lea Dvořák",
            billing_contact_email="lea.billing@example.org",
            created_at=now,
        )
        db.add(organisation)
        db.flush()
        anna = contacts.add_contact(
            db,
            organisation,
            name="Anna Berger",
            email=ANNA_EMAIL,
            phone="+49 221 555 01",
            job_title="Head of Events",
            now=now,
        )
        contacts.add_note(db, organisation, ANNA_NOTE, now, contact=anna)
        contacts.add_note(db, organisation, ACCOUNT_NOTE, now)
        deal = deals.open_deal(
            db,
            organisation,
            title="Annual plan 2027",
            value=Decimal("5880.00"),
            currency="EUR",
            now=now,
            contact=anna,
        )
        return Record(platform, organisation.id, anna.id, deal.id)
