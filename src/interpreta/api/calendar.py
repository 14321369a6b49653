"""The signed-in person's calendar integration (P19): ``/api/account/calendar``.

Connect a CalDAV calendar (events are published to it) and/or a CardDAV address book
(contacts are imported), see the connection (never its password), synchronise it now,
list the imported contacts, and disconnect, which deletes the password and every imported
contact at once. The calendar server must be one the operator registered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.inputs import Input
from interpreta.calendar_integration import connections, contacts
from interpreta.calendar_integration.connections import ConnectionView, Credentials
from interpreta.calendar_integration.models import MAX_URL, MAX_USERNAME
from interpreta.datamap.activities import CALENDAR
from interpreta.errors import not_found
from interpreta.i18n.catalogues import N_, gettext

router = APIRouter(
    prefix="/api/account/calendar", tags=["calendar"], dependencies=[within(CALENDAR)]
)

_COLLECTION_URL = r"^https?://[A-Za-z0-9._~-]+(:[0-9]{1,5})?(/[^\s\x00-\x1f\x7f-\x9f]*)?$"
"""An http(s) URL whose host is an ASCII name or IPv4 address (IDN: in its xn-- form)."""
_AT_LEAST_ONE_URL = {
    "anyOf": [
        {"required": ["calendar_url"], "properties": {"calendar_url": {"type": "string"}}},
        {"required": ["addressbook_url"], "properties": {"addressbook_url": {"type": "string"}}},
    ]
}


def _document(schema: dict[str, Any]) -> None:
    """The input's schema as :class:`Input` documents it, saying that one URL is needed."""
    document_text = Input.model_config.get("json_schema_extra")
    if callable(document_text):
        document_text(schema)  # type: ignore[call-arg]
    schema.update(_AT_LEAST_ONE_URL)


class CalendarIn(Input):
    """What to connect: a calendar, an address book or both, and the login for them."""

    model_config = ConfigDict(json_schema_extra=_document)

    calendar_url: str | None = Field(
        default=None,
        max_length=MAX_URL,
        pattern=_COLLECTION_URL,
        examples=["https://dav.example.net/calendars/ada/events/"],
    )
    addressbook_url: str | None = Field(
        default=None,
        max_length=MAX_URL,
        pattern=_COLLECTION_URL,
        examples=["https://dav.example.net/addressbooks/ada/contacts/"],
    )
    username: str = Field(min_length=1, max_length=MAX_USERNAME)
    password: str = Field(min_length=1, max_length=connections.MAX_PASSWORD)

    @model_validator(mode="after")
    def _one_url_at_least(self) -> CalendarIn:
        if not (self.calendar_url or self.addressbook_url):
            raise ValueError(gettext("Give a calendar URL, an address book URL, or both."))
        return self

    def credentials(self) -> Credentials:
        """The credentials to connect with."""
        return Credentials(self.calendar_url, self.addressbook_url, self.username, self.password)


class ConnectionOut(BaseModel):
    """The connection: where, as whom, when; never the password."""

    calendar_url: str | None
    addressbook_url: str | None
    username: str
    connected_at: datetime
    synced_at: datetime | None
    last_error: str | None
    contacts: int

    @classmethod
    def of(cls, view: ConnectionView) -> ConnectionOut:
        """The document of `view`."""
        return cls(
            calendar_url=view.calendar_url,
            addressbook_url=view.addressbook_url,
            username=view.username,
            connected_at=view.connected_at,
            synced_at=view.synced_at,
            last_error=view.last_error,
            contacts=view.contacts,
        )


class ContactOut(BaseModel):
    """An imported contact."""

    name: str
    email: str
    organisation: str | None


@router.get("", response_model=ConnectionOut)
def get_connection(user: UserDep, platform: PlatformDep) -> ConnectionOut:
    """The connected calendar and address book; 404 when none is connected."""
    with platform.sessions() as db:
        found = connections.view(db, user.id)
    if found is None:
        raise not_found(N_("calendar connection"))
    return ConnectionOut.of(found)


@router.put("", response_model=ConnectionOut)
def connect(body: CalendarIn, user: UserDep, platform: PlatformDep) -> ConnectionOut:
    """Connect (or replace) the calendar and address book: the server must accept the
    login and be one the operator registered (403 otherwise); events are published and
    contacts imported at once. Nothing is stored when anything is refused."""
    with platform.transaction() as db:
        connected = connections.connect(
            db,
            platform.outbound_guard,
            platform.settings,
            user.id,
            body.credentials(),
            now=platform.clock.now(),
        )
    return ConnectionOut.of(connected)


@router.post("/sync", response_model=ConnectionOut)
def sync(user: UserDep, platform: PlatformDep) -> ConnectionOut:
    """Publish the events and import the contacts again now; a failure is recorded in
    `last_error` and answered as a problem."""
    with platform.transaction() as db:
        synced = connections.sync(
            db, platform.outbound_guard, platform.settings, user.id, now=platform.clock.now()
        )
    if synced is None:
        raise not_found(N_("calendar connection"))
    if synced.problem is not None:
        raise synced.problem
    return ConnectionOut.of(synced.view)


@router.delete("", status_code=204)
def disconnect(user: UserDep, platform: PlatformDep) -> Response:
    """Disconnect: the connection, its password and every imported contact are deleted
    (204 also when nothing was connected)."""
    with platform.transaction() as db:
        connections.disconnect(db, user.id)
    return Response(status_code=204)


@router.get("/contacts", response_model=list[ContactOut])
def list_contacts(user: UserDep, platform: PlatformDep) -> list[ContactOut]:
    """The contacts imported from the address book, by name."""
    with platform.sessions() as db:
        found = contacts.listing(db, user.id)
    return [ContactOut(name=c.name, email=c.email, organisation=c.organisation) for c in found]
