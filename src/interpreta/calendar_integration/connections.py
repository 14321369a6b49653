"""Connecting a calendar and an address book, synchronising them, and disconnecting (P19).

Connecting is the organiser's consent: nothing is stored before the server accepted the
credentials and each URL proved to be what it claims (a calendar that takes events, an
address book). A refusal, of the server or of the outbound guard, is a `Problem` and
leaves nothing behind. A new connection replaces the organiser's earlier one (whose
contacts go with it), imports the address book's contacts and publishes the organiser's
upcoming events.

Synchronising publishes again and imports the contacts again, and records when it last
succeeded or why it failed. Disconnecting deletes the connection, its password and every
imported contact at once; nothing of it is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from interpreta.calendar_integration import contacts, publishing, servers
from interpreta.calendar_integration.models import (
    MAX_URL,
    MAX_USERNAME,
    CalendarConnection,
    ImportedContact,
)
from interpreta.calendars.dav import AddressBook, CalendarCollection
from interpreta.config import Settings
from interpreta.datamap.activities import CALENDAR
from interpreta.errors import FieldError, Problem
from interpreta.i18n.catalogues import gettext
from interpreta.outbound import OutboundGuard
from interpreta.privacy.processing import ProcessingStopped, processing, refuse_if_stopped, runs_in

log = logging.getLogger(__name__)

Collections = tuple[CalendarCollection | None, AddressBook | None]
"""A connection's calendar and address book, opened (None where not connected)."""

MAX_PASSWORD = 500
"""The longest password or app token accepted."""


@dataclass(frozen=True)
class Credentials:
    """What an organiser connects with: the URLs (either may be None) and the login."""

    calendar_url: str | None
    addressbook_url: str | None
    username: str
    password: str


@dataclass(frozen=True)
class ConnectionView:
    """A connection as its organiser sees it: never the password."""

    calendar_url: str | None
    addressbook_url: str | None
    username: str
    connected_at: datetime
    synced_at: datetime | None
    last_error: str | None
    contacts: int


@dataclass(frozen=True)
class Synced:
    """What one synchronisation left: the connection, and why it failed (None if not)."""

    view: ConnectionView
    problem: Problem | None


# --- the organiser's input ----------------------------------------------------------------


def checked(credentials: Credentials) -> Credentials:
    """`credentials` with the URLs as collection URLs (None where not given); a 422
    problem when a value is missing, too long or unusable."""
    errors = _field_errors(credentials)
    if errors:
        raise Problem(422, gettext("Invalid input"), errors[0].message, errors)
    return Credentials(
        calendar_url=_collection_url(credentials.calendar_url, "calendar_url"),
        addressbook_url=_collection_url(credentials.addressbook_url, "addressbook_url"),
        username=credentials.username,
        password=credentials.password,
    )


def _field_errors(credentials: Credentials) -> list[FieldError]:
    """What is missing or too long in `credentials`."""
    errors: list[FieldError] = []
    urls = {
        "calendar_url": (credentials.calendar_url or "").strip(),
        "addressbook_url": (credentials.addressbook_url or "").strip(),
    }
    if not any(urls.values()):
        message = gettext("Give a calendar address, an address book address, or both.")
        errors.append(FieldError("calendar_url", message))
    errors += [
        FieldError(field, gettext("Use at most %(count)s characters.", count=MAX_URL))
        for field, url in urls.items()
        if len(url) > MAX_URL
    ]
    if not 0 < len(credentials.username) <= MAX_USERNAME:
        message = gettext("Give your user name (at most %(count)s characters).", count=MAX_USERNAME)
        errors.append(FieldError("username", message))
    if not 0 < len(credentials.password) <= MAX_PASSWORD:
        message = gettext(
            "Give your password or app token (at most %(count)s characters).", count=MAX_PASSWORD
        )
        errors.append(FieldError("password", message))
    texts = {**urls, "username": credentials.username, "password": credentials.password}
    errors += [
        FieldError(field, gettext("Control characters (such as NUL) are not allowed."))
        for field, text in texts.items()
        if _has_control_character(text)
    ]
    return errors


def _has_control_character(text: str) -> bool:
    """Whether `text` holds a control character other than tab and line breaks (what the
    API refuses in any text)."""
    return any((ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) and c not in "\t\n\r" for c in text)


def _collection_url(url: str | None, field: str) -> str | None:
    """`url` as a collection URL, or None when none was given."""
    text = (url or "").strip()
    return servers.collection_url(text, field) if text else None


# --- the servers --------------------------------------------------------------------------


@contextmanager
def _opened(guard: OutboundGuard, credentials: Credentials) -> Iterator[Collections]:
    """The calendar and the address book of `credentials` (None where not given)."""
    login = (credentials.username, credentials.password)
    with ExitStack() as stack:
        calendar = book = None
        if credentials.calendar_url:
            calendar = stack.enter_context(
                servers.calendar(guard, credentials.calendar_url, *login)
            )
        if credentials.addressbook_url:
            book = stack.enter_context(
                servers.address_book(guard, credentials.addressbook_url, *login)
            )
        yield calendar, book


def _check(calendar: CalendarCollection | None, book: AddressBook | None) -> None:
    """Check that each URL is what it claims; a problem when a server refuses."""
    if calendar is not None:
        with servers.failures_as_problems(calendar.url):
            calendar.check()
    if book is not None:
        with servers.failures_as_problems(book.url):
            book.check()


@runs_in(CALENDAR)
def _exchange(
    db: Session, settings: Settings, user_id: int, opened: Collections, now: datetime
) -> list[contacts.ContactEntry] | None:
    """Everything that goes over the network, before anything is written (on SQLite a
    write would hold the database's one write lock through every request): read the
    address book's contacts, publish the events (read from the database). The contacts
    to keep, or None without an address book."""
    calendar, book = opened
    entries = None
    if book is not None:
        with servers.failures_as_problems(book.url):
            entries = contacts.kept(book.contacts())
    if calendar is not None:
        with servers.failures_as_problems(calendar.url):
            publishing.publish(db, calendar, settings, user_id, now)
    return entries


@runs_in(CALENDAR)
def _record(
    db: Session,
    connection: CalendarConnection,
    entries: list[contacts.ContactEntry] | None,
    now: datetime,
) -> None:
    """Keep the contacts read, and note the success."""
    if entries is not None:
        contacts.store(db, connection.id, entries, now=now)
    connection.synced_at = now
    connection.last_error = None


# --- connecting, synchronising, disconnecting ---------------------------------------------


@runs_in(CALENDAR)
def connect(
    db: Session,
    guard: OutboundGuard,
    settings: Settings,
    user_id: int,
    credentials: Credentials,
    *,
    now: datetime,
) -> ConnectionView:
    """Connect `user_id`'s calendar and/or address book, replacing an earlier connection,
    import the contacts and publish the events. A `Problem` when the input is wrong
    (422), the guard refuses the server (403) or the server refuses (422); nothing is
    stored then."""
    _refuse_if_stopped(db, user_id)
    given = checked(credentials)
    with _opened(guard, given) as opened:
        _check(*opened)
        entries = _exchange(db, settings, user_id, opened, now)
    disconnect(db, user_id)  # the first write: after every request went
    connection = CalendarConnection(
        user_id=user_id,
        calendar_url=given.calendar_url,
        addressbook_url=given.addressbook_url,
        username=given.username,
        secret=given.password,
        connected_at=now,
    )
    db.add(connection)
    db.flush()
    _record(db, connection, entries, now)
    return _view_of(db, connection)


def _refuse_if_stopped(db: Session, user_id: int) -> None:
    """A 403 problem when the organiser restricted this processing or withdrew consent."""
    try:
        refuse_if_stopped(db, CALENDAR, user_id=user_id, email=None)
    except ProcessingStopped as exc:
        raise Problem(
            403,
            gettext("Calendar integration stopped"),
            gettext(
                "You asked us to stop or restrict this processing, so no calendar can be connected."
            ),
        ) from exc


@runs_in(CALENDAR)
def sync(
    db: Session, guard: OutboundGuard, settings: Settings, user_id: int, *, now: datetime
) -> Synced | None:
    """Publish `user_id`'s events and import their contacts again; None when they have no
    connection. A failure is recorded (`last_error`) and returned, never raised, so the
    caller commits the record and decides whom to tell."""
    connection = _connection_of(db, user_id)
    if connection is None:
        return None
    try:
        with _opened(guard, _credentials_of(connection)) as opened:
            entries = _exchange(db, settings, user_id, opened, now)
        _record(db, connection, entries, now)
    except Problem as problem:
        connection.last_error = servers.message_of(problem)
        return Synced(_view_of(db, connection), problem)
    return Synced(_view_of(db, connection), None)


def sync_all(
    sessions: sessionmaker[Session], guard: OutboundGuard, settings: Settings, *, now: datetime
) -> int:
    """Synchronise every connection, each in its own transaction (a background job):
    failures are recorded and logged, never raised. How many succeeded."""
    with processing(CALENDAR), sessions() as db:
        connected = db.execute(
            select(CalendarConnection.id, CalendarConnection.user_id).order_by(
                CalendarConnection.id
            )
        ).all()
    succeeded = 0
    for connection_id, user_id in connected:
        try:
            with sessions.begin() as db:
                synced = sync(db, guard, settings, user_id, now=now)
        except Exception:
            log.exception("calendar connection %d: synchronisation crashed", connection_id)
            continue
        if synced is not None and synced.problem is not None:
            log.warning("calendar connection %d: %s", connection_id, synced.problem.detail)
        elif synced is not None:
            succeeded += 1
    return succeeded


@runs_in(CALENDAR)
def disconnect(db: Session, user_id: int) -> int:
    """Delete `user_id`'s connection, its password and every contact imported through it;
    how many contacts went. Nothing happens when there is none.

    The contacts are deleted explicitly, not only by the foreign key's cascade, so this
    holds whatever the database enforces."""
    theirs = select(CalendarConnection.id).where(CalendarConnection.user_id == user_id)
    removed = db.execute(
        delete(ImportedContact)
        .where(ImportedContact.connection_id.in_(theirs.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    db.execute(delete(CalendarConnection).where(CalendarConnection.user_id == user_id))
    return int(removed.rowcount)  # type: ignore[attr-defined]


# --- what the organiser sees --------------------------------------------------------------


@runs_in(CALENDAR)
def view(db: Session, user_id: int) -> ConnectionView | None:
    """`user_id`'s connection, or None when they have none."""
    connection = _connection_of(db, user_id)
    return None if connection is None else _view_of(db, connection)


def _connection_of(db: Session, user_id: int) -> CalendarConnection | None:
    """`user_id`'s connection row, if any."""
    return db.scalar(select(CalendarConnection).where(CalendarConnection.user_id == user_id))


def _credentials_of(connection: CalendarConnection) -> Credentials:
    """What `connection` connects with."""
    return Credentials(
        connection.calendar_url, connection.addressbook_url, connection.username, connection.secret
    )


def _view_of(db: Session, connection: CalendarConnection) -> ConnectionView:
    """`connection` as its organiser sees it."""
    return ConnectionView(
        calendar_url=connection.calendar_url,
        addressbook_url=connection.addressbook_url,
        username=connection.username,
        connected_at=connection.connected_at,
        synced_at=connection.synced_at,
        last_error=connection.last_error,
        contacts=contacts.count(db, connection.id),
    )
