"""Imported contacts: which are kept, that an import replaces the last one, and that the
organiser's access export holds them and their erasure takes them, while a contact finds
their own row by their email address (and nothing of the organiser's)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select

from interpreta.calendar_integration import contacts
from interpreta.calendar_integration.models import (
    MAX_CONTACTS,
    CalendarConnection,
    ImportedContact,
)
from interpreta.calendars.vcards import Contact
from interpreta.platform import Platform
from tests.calendar_integration.servers import Dav
from tests.conftest import Account
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person

URL = "/api/account/calendar"
CONNECTIONS = cast(Table, CalendarConnection.__table__)
CONTACTS = cast(Table, ImportedContact.__table__)


def _contact(name: str, *emails: str) -> Contact:
    return Contact(uid=None, name=name, emails=emails, phones=(), organisation=None)


def test_one_row_per_address_none_without_one_and_at_most_the_cap() -> None:
    found = [
        _contact("Alan", "Alan@Example.AC.uk", "alan@home.example"),
        _contact("Phone only"),
        _contact("Alan again", "alan@example.ac.uk"),
        _contact("Grace", "grace@navy.example"),
    ]
    assert contacts.kept(found) == [
        contacts.ContactEntry("Alan", "alan@example.ac.uk", None),
        contacts.ContactEntry("Grace", "grace@navy.example", None),
    ]
    many = [_contact(f"n{i}", f"n{i}@example.org") for i in range(MAX_CONTACTS + 10)]
    assert len(contacts.kept(many)) == MAX_CONTACTS


def _connect(account: Account, dav: Dav) -> None:
    connected = account.client.put(URL, json=dav.body(None))
    assert connected.status_code == 200, connected.text


def test_the_import_holds_what_the_address_book_holds(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    _connect(ada, dav)
    listed = ada.client.get(f"{URL}/contacts").json()
    assert listed == [
        {"name": "Alan Turing", "email": "alan@example.ac.uk", "organisation": None},
        {
            "name": "Grace Hopper",
            "email": "grace@navy.example",
            "organisation": "US Navy, Computing",
        },
        {"name": "Katherine Johnson", "email": "katherine@nasa.example", "organisation": None},
    ]
    assert ada.client.post(f"{URL}/sync").json()["contacts"] == 3  # replaced, not added
    with platform.engine.connect() as connection:
        assert len(connection.execute(select(CONTACTS)).all()) == 3


def test_the_organisers_export_holds_the_connection_and_contacts_and_erasure_takes_them(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    bob: Account = sign_up("bob")
    _connect(ada, dav)
    _connect(bob, dav)
    values, _archive = exported(platform, Person(0, ada.user_id, ada.email))
    assert dav.addressbook_url in values and dav.server.user in values
    assert {"Alan Turing", "alan@example.ac.uk", "US Navy, Computing"} <= set(values)

    erased(platform, Person(0, ada.user_id, ada.email))
    with platform.engine.connect() as connection:
        left = connection.execute(select(CONNECTIONS.c.user_id)).scalars().all()
        contact_rows = connection.execute(select(CONTACTS)).all()
    assert left == [bob.user_id]
    assert len(contact_rows) == 3  # bob's


def test_a_contact_finds_their_own_row_by_email_and_can_have_it_erased(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    _connect(ada, dav)
    alan = Person(1, None, "Alan@Example.ac.uk")
    values, _archive = exported(platform, alan)
    assert "Alan Turing" in values and "alan@example.ac.uk" in values
    assert "grace@navy.example" not in values and ada.email not in values
    assert dav.addressbook_url not in values  # the organiser's connection is not theirs

    erased(platform, alan)
    listed = ada.client.get(f"{URL}/contacts").json()
    assert [c["email"] for c in listed] == ["grace@navy.example", "katherine@nasa.example"]
    assert ada.client.get(URL).status_code == 200  # the organiser's connection stays
