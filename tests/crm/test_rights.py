"""CRM records and the people they are about: a contact's card and the notes about them
are in their access export and go with their erasure (P27, P30); everything the CRM keeps
on a customer goes five years after its account closes (P10)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from interpreta.accounts.models import Organisation
from interpreta.clock import FrozenClock
from interpreta.crm import contacts, deals
from interpreta.crm.models import CrmContact, CrmNote, Deal
from interpreta.datamap import retention_rules as rules
from interpreta.platform import Platform
from tests.crm.conftest import ACCOUNT_NOTE, ANNA_EMAIL, ANNA_NOTE, Record
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person

ANNA = Person(0, None, ANNA_EMAIL)


def _counts(platform: Platform) -> tuple[int, int, int]:
    with platform.sessions() as db:
        return tuple(  # type: ignore[return-value]
            db.scalar(select(func.count()).select_from(model)) or 0
            for model in (CrmContact, CrmNote, Deal)
        )


def test_a_contact_is_exported_with_the_notes_about_them(record: Record) -> None:
    values, _archive = exported(record.platform, ANNA)
    assert "Anna Berger" in values and "+49 221 555 01" in values
    assert ANNA_NOTE in values
    assert ACCOUNT_NOTE not in values  # about the account, not about her


def test_erasing_a_contact_takes_her_card_and_notes_and_leaves_the_rest(record: Record) -> None:
    erased(record.platform, ANNA)
    with record.platform.sessions() as db:
        assert [n.body for n in contacts.notes(db, record.organisation_id)] == [ACCOUNT_NOTE]
        # the deal discussed with her still points to her card: it is anonymised
        card = db.execute(
            select(CrmContact.name, CrmContact.email, CrmContact.phone, CrmContact.job_title)
        ).one()
        deal = db.get(Deal, record.deal_id)
        assert deal is not None and deal.title == "Annual plan 2027"
    assert not {"Anna Berger", ANNA_EMAIL, "+49 221 555 01", "Head of Events"} & set(card)
    values, _archive = exported(record.platform, ANNA)
    assert ANNA_NOTE not in values and "Anna Berger" not in values


def test_notes_are_stored_encrypted(record: Record) -> None:
    with record.platform.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT body FROM crm_notes").scalars().all()
    assert stored and not any("Anna" in str(s) or "board" in str(s) for s in stored)


def test_p10_the_crm_record_goes_five_years_after_the_account_closes(
    record: Record, clock: FrozenClock
) -> None:
    engine = record.platform.retention_engine()
    clock.advance(timedelta(days=3 * 365))
    engine.run(clock.now())
    assert _counts(record.platform) == (1, 2, 1)  # an open account keeps its record

    record.close_account()
    closed_at = clock.now()
    clock.advance(rules.COMMERCIAL.due(closed_at) - closed_at - timedelta(days=1))
    engine.run(clock.now())
    assert _counts(record.platform) == (1, 2, 1)
    clock.advance(timedelta(days=2))
    engine.run(clock.now())
    assert _counts(record.platform) == (0, 0, 0)


def test_erasing_two_contacts_of_one_customer_with_deals(record: Record) -> None:
    """Both cards stay, blank, while deals point to them: no two blank cards clash."""
    with record.platform.transaction() as db:
        organisation = db.get(Organisation, record.organisation_id)
        assert organisation is not None
        ben = contacts.add_contact(
            db,
            organisation,
            name="Ben Roth",
            email="ben.roth@example.org",
            phone=None,
            job_title=None,
            now=record.platform.clock.now(),
        )
        deals.open_deal(
            db,
            organisation,
            title="Extra booth",
            value=Decimal(900),
            currency="EUR",
            now=record.platform.clock.now(),
            contact=ben,
        )
    erased(record.platform, ANNA)
    erased(record.platform, Person(1, None, "ben.roth@example.org"))
    with record.platform.sessions() as db:
        emails = db.scalars(select(CrmContact.email)).all()
        assert emails == [None, None]
        assert db.scalar(select(func.count()).select_from(Deal)) == 2


def test_a_deal_is_in_no_one_s_answer(record: Record) -> None:
    """A billing contact's request neither sees nor erases the customer's pipeline."""
    billing_contact = Person(2, None, "lea.billing@example.org")
    values, _archive = exported(record.platform, billing_contact)
    assert "Annual plan 2027" not in values
    erased(record.platform, billing_contact)
    with record.platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Deal)) == 1
