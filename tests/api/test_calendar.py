"""The calendar integration over HTTP (P19), against a real CalDAV/CardDAV server
(Radicale): connecting publishes the organiser's events and imports the address book,
disconnecting deletes the connection, its password and every imported contact; every
refusal is a problem document and stores nothing."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Table, select

from interpreta.calendar_integration.models import CalendarConnection, ImportedContact
from interpreta.calendar_integration.publishing import uid_of
from interpreta.platform import Platform
from tests.calendar_integration.servers import (
    PUBLIC_HOST,
    UNREGISTERED_HOST,
    WILDCARD_HOST,
    Dav,
)
from tests.conftest import Account

URL = "/api/account/calendar"
CONNECTIONS = cast(Table, CalendarConnection.__table__)
CONTACTS = cast(Table, ImportedContact.__table__)


def _stored(platform: Platform) -> tuple[list[Any], list[Any]]:
    """Every connection row and every contact row, as the database holds them."""
    with platform.engine.connect() as connection:
        return (
            list(connection.execute(select(CONNECTIONS)).all()),
            list(connection.execute(select(CONTACTS)).all()),
        )


def test_p19_disconnecting_deletes_the_password_and_every_imported_contact(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    event = ada.create_event("Annual general meeting", description="Accounts, elections.")
    calendar_url = dav.new_calendar()
    connected = ada.client.put(URL, json=dav.body(calendar_url))
    assert connected.status_code == 200, connected.text
    document = connected.json()
    assert document["contacts"] == 3 and document["username"] == dav.server.user
    assert dav.server.password not in connected.text and "secret" not in document

    published = dav.events(calendar_url)
    uid = uid_of(event["id"], platform.settings)
    assert list(published) == [uid]
    assert "SUMMARY:Annual general meeting" in published[uid]
    assert f"URL:{platform.settings.base_url}/join/{event['code']}" in published[uid]
    listed = ada.client.get(f"{URL}/contacts").json()
    assert [c["email"] for c in listed] == [
        "alan@example.ac.uk",
        "grace@navy.example",
        "katherine@nasa.example",
    ]

    bob: Account = sign_up("bob")
    assert bob.client.put(URL, json=dav.body(dav.new_calendar())).status_code == 200
    connections, contacts = _stored(platform)
    assert len(connections) == 2 and len(contacts) == 6

    gone = ada.client.delete(URL)
    assert gone.status_code == 204
    connections, contacts = _stored(platform)
    assert [row.user_id for row in connections] == [bob.user_id]  # ada's secret went too
    bobs = connections[0].id
    assert len(contacts) == 3 and {row.connection_id for row in contacts} == {bobs}
    assert ada.client.get(URL).status_code == 404
    assert ada.client.get(f"{URL}/contacts").json() == []
    assert ada.client.delete(URL).status_code == 204  # again: still fine
    assert bob.client.get(URL).json()["contacts"] == 3


def test_the_connection_is_shown_without_its_password(sign_up: Any, dav: Dav) -> None:
    ada: Account = sign_up("ada")
    assert ada.client.get(URL).status_code == 404
    ada.client.put(URL, json=dav.body(None))
    shown = ada.client.get(URL)
    assert shown.status_code == 200
    assert shown.json()["calendar_url"] is None
    assert shown.json()["addressbook_url"] == dav.addressbook_url
    assert dav.server.password not in shown.text


@pytest.mark.parametrize(
    ("host", "status"),
    [(UNREGISTERED_HOST, 403), (PUBLIC_HOST, 403), (WILDCARD_HOST, 403)],
)
def test_a_server_the_operator_did_not_register_for_this_is_refused(
    platform: Platform, sign_up: Any, dav: Dav, host: str, status: int
) -> None:
    ada: Account = sign_up("ada")
    ada.create_event("Board meeting")
    calendar_url = dav.new_calendar(host)
    refused = ada.client.put(URL, json=dav.body(calendar_url, addressbook_url=None))
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert f"{host} is not a calendar server the operator registered" in refused.json()["detail"]
    assert "127.0.0.1" not in refused.text  # where a name resolves is not told
    assert _stored(platform) == ([], [])
    assert dav.events(calendar_url) == {}  # nothing was sent


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"password": "not-lovelace"}, "the calendar server refused the credentials"),
        ({"calendar_url": "address book"}, "this URL is not a calendar"),
        ({"addressbook_url": "calendar"}, "this URL is not an address book"),
    ],
)
def test_what_the_server_refuses_is_a_clear_problem_and_stores_nothing(
    platform: Platform, sign_up: Any, dav: Dav, changes: dict[str, str], detail: str
) -> None:
    ada: Account = sign_up("ada")
    calendar_url = dav.new_calendar()
    named = {"address book": dav.addressbook_url, "calendar": calendar_url}
    body = {**dav.body(calendar_url), **{k: named.get(v, v) for k, v in changes.items()}}
    refused = ada.client.put(URL, json=body)
    assert refused.status_code == 422, refused.text
    assert detail in refused.json()["detail"]
    assert "not-lovelace" not in refused.text
    assert _stored(platform) == ([], [])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "ada", "password": "x"},  # no URL at all
        {"calendar_url": None, "addressbook_url": None, "username": "ada", "password": "x"},
        {"calendar_url": "ftp://calendar.test/ada/", "username": "ada", "password": "x"},
        {"calendar_url": "webcal://calendar.test/ada/", "username": "ada", "password": "x"},
        {"calendar_url": "https://calendar.test/", "username": "", "password": "x"},
        {"calendar_url": "https://calendar.test/", "username": "ada", "password": ""},
        {"calendar_url": "https://calendar.test/" + "a" * 500, "username": "a", "password": "x"},
        {"calendar_url": "https://calendar.test/", "username": "a" * 201, "password": "x"},
        {"calendar_url": "https://calendar.test/", "username": "ada", "password": "x" * 501},
        {"calendar_url": "https://calendar.test/", "username": "a\x00", "password": "x"},
    ],
)
def test_bad_input_is_422_and_stores_nothing(
    platform: Platform, sign_up: Any, dav: Dav, body: dict[str, Any]
) -> None:
    ada: Account = sign_up("ada")
    refused = ada.client.put(URL, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert _stored(platform) == ([], [])


def test_reconnecting_replaces_the_connection_and_its_contacts(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    assert ada.client.put(URL, json=dav.body(None)).status_code == 200
    assert len(_stored(platform)[1]) == 3
    calendar_url = dav.new_calendar()
    calendar_only = dav.body(calendar_url, addressbook_url=None)
    assert ada.client.put(URL, json=calendar_only).json()["contacts"] == 0
    connections, contacts = _stored(platform)
    assert [(row.calendar_url, row.addressbook_url) for row in connections] == [
        (calendar_url, None)
    ]
    assert contacts == []


def test_sync_now_reports_a_failure_and_records_it(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    assert ada.client.post(f"{URL}/sync").status_code == 404
    assert ada.client.put(URL, json=dav.body(dav.new_calendar())).status_code == 200
    synced = ada.client.post(f"{URL}/sync")
    assert synced.status_code == 200 and synced.json()["last_error"] is None

    platform.settings.processors = []  # the operator no longer registers the server
    failed = ada.client.post(f"{URL}/sync")
    assert failed.status_code == 403
    assert "not a calendar server the operator registered" in failed.json()["detail"]
    assert "not a calendar server" in ada.client.get(URL).json()["last_error"]


def test_signed_out_callers_get_401(app_client: Any) -> None:
    for method in ("GET", "PUT", "DELETE"):
        assert app_client.request(method, URL).status_code == 401
    assert app_client.post(f"{URL}/sync").status_code == 401
    assert app_client.get(f"{URL}/contacts").status_code == 401
