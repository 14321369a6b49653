"""Objections and the CRM: an objection naming no purpose stops the CRM for the person
who objects (P32); an account the engine then hides never passes for an open one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from interpreta.accounts.models import Organisation
from interpreta.crm import contacts
from interpreta.crm.models import CrmContact
from interpreta.datamap.activities import CUSTOMER_RELATIONSHIP
from interpreta.datamap.ties import email_digest
from interpreta.errors import Problem
from interpreta.platform import Platform
from interpreta.privacy.marks import MarkKind, ProcessingMark
from interpreta.privacy.processing import processing
from tests.crm.conftest import ANNA_EMAIL, Record


def _object(platform: Platform, email: str) -> None:
    with platform.transaction() as db:
        db.add(
            ProcessingMark(
                kind=MarkKind.OBJECTION,
                email_digest=email_digest(email),
                purposes="",
                created_at=platform.clock.now(),
            )
        )


def test_p32_a_contact_s_general_objection_takes_her_out_of_the_crm(
    platform: Platform, record: Record
) -> None:
    _object(platform, ANNA_EMAIL)
    with processing(CUSTOMER_RELATIONSHIP), platform.sessions() as db:
        assert db.scalars(select(CrmContact.id)).all() == []
        assert db.get(Organisation, record.organisation_id) is not None


def test_a_contact_at_an_account_the_crm_may_not_see_is_not_changed(
    platform: Platform, record: Record
) -> None:
    record.close_account()
    _object(platform, "lea.billing@example.org")  # the billing contact objects
    with processing(CUSTOMER_RELATIONSHIP), platform.transaction() as db:
        contact = db.get(CrmContact, record.contact_id)
        assert contact is not None  # Anna did not object: her card stays in view
        assert db.get(Organisation, record.organisation_id) is None  # Lea's row is hidden
        with pytest.raises(Problem) as refused:
            contacts.change_contact(db, contact, {"name": "Anna B."}, platform.clock.now())
        assert refused.value.status == 409
