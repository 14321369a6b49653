"""Reaching an organiser's calendar server: only through the outbound guard (P07).

Every request to a CalDAV or CardDAV server goes through a client of
`OutboundGuard.http_client` for the calendar activity: the server must be a registered
processor's host that serves the calendar activity and may receive the data categories
the requests carry (the user name and password; events published are not personal). A
failure of the server (`DavError`), of the guard (`OutboundRefused`) or of the address
itself becomes one `Problem` whose message says what to do, and never names a password or
the addresses a host resolves to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import httpx
from sqlalchemy import Table

from interpreta.calendar_integration.models import MAX_ERROR, CalendarConnection
from interpreta.calendars.dav import AddressBook, CalendarCollection, DavError
from interpreta.datamap.activities import CALENDAR
from interpreta.datamap.declarations import Personal, declaration_of
from interpreta.errors import Problem, invalid
from interpreta.i18n.catalogues import gettext
from interpreta.outbound import OutboundGuard, OutboundRefused

TIMEOUT_SECONDS = 15.0
"""How long one request to a calendar server may take."""

_CONNECTIONS = cast(Table, CalendarConnection.__table__)


def _category(column: str) -> str:
    """The data category the map declares for a column of the connection."""
    declaration = declaration_of(_CONNECTIONS.columns[column])
    assert isinstance(declaration, Personal)
    return declaration.category.value


SENT_CATEGORIES = frozenset({_category("username"), _category("secret")})
"""What every request to a calendar server carries: the user name and the password (the
categories the data map declares for them); a processor must accept both."""


def collection_url(url: str, field: str) -> str:
    """`url` as the collection URL the DAV client takes (http or https, no credentials in
    it, ending in ``/``); a 422 problem naming `field` when it cannot be one."""
    text = url.strip()
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise invalid(field, gettext("This is not a valid address.")) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise invalid(field, gettext("The address must start with https:// (or http://)."))
    if parsed.userinfo:
        raise invalid(field, gettext("Give the user name and password in their own fields."))
    if not parsed.path.endswith("/"):
        text = str(parsed.copy_with(path=f"{parsed.path}/"))
    return text


def host_of(url: str) -> str:
    """The host of `url` as the guard compares hosts: lower case, no trailing dot."""
    return httpx.URL(url).raw_host.decode("ascii").lower().rstrip(".")


def user_supplied(guard: OutboundGuard, url: str) -> bool:
    """Whether the guard must treat `url` as typed by a user (it is, unless the operator
    registered its very host for internal infrastructure).

    A URL an organiser types is user-supplied: the guard lets it reach only public
    addresses of a registered processor serving the calendar activity, so nobody can
    point the platform at its own network. The one exception is a host the operator
    registered *by name* (not through a ``*.`` wildcard) for an ``internal`` processor,
    say the operator's own Radicale on the private network: the operator, not the user,
    chose that destination, so it may resolve to a private address. A host matched only
    by a wildcard stays user-supplied: a wildcard would let a user pick any name under
    it, and with the name whatever address its DNS gives.
    """
    host = host_of(url)
    recipient = guard.recipient_for(host)
    registered_by_name = recipient is not None and host in recipient.hosts
    return not (recipient is not None and recipient.internal and registered_by_name)


@contextmanager
def guarded_client(guard: OutboundGuard, url: str) -> Iterator[httpx.Client]:
    """An HTTP client for the server of `url`, every request checked by `guard` as a
    transfer of the calendar activity."""
    client = guard.http_client(
        CALENDAR.key,
        SENT_CATEGORIES,
        user_supplied=user_supplied(guard, url),
        timeout=TIMEOUT_SECONDS,
    )
    with client:
        yield client


@contextmanager
def calendar(
    guard: OutboundGuard, url: str, username: str, password: str
) -> Iterator[CalendarCollection]:
    """The CalDAV calendar at `url`, reached through `guard` (wrap what is done with it
    in `failures_as_problems`)."""
    with guarded_client(guard, url) as client:
        yield CalendarCollection(client, url, (username, password))


@contextmanager
def address_book(
    guard: OutboundGuard, url: str, username: str, password: str
) -> Iterator[AddressBook]:
    """The CardDAV address book at `url`, reached through `guard` (wrap what is done with
    it in `failures_as_problems`)."""
    with guarded_client(guard, url) as client:
        yield AddressBook(client, url, (username, password))


@contextmanager
def failures_as_problems(url: str) -> Iterator[None]:
    """Turn what can go wrong with the server of `url` into a `Problem` (see `problem`)."""
    try:
        yield
    except (DavError, OutboundRefused) as exc:
        raise problem(exc, url) from exc


def problem(exc: Exception, url: str) -> Problem:
    """What to tell the organiser about `exc`, met while talking to the server of `url`:
    403 for a server the operator did not register, 422 for one that refused or failed."""
    if isinstance(exc, OutboundRefused):
        return Problem(
            403,
            gettext("Calendar server not allowed"),
            gettext(
                "%(host)s is not a calendar server the operator registered, so nothing "
                "was sent to it. Ask the operator which calendar servers you can connect.",
                host=host_of(url),
            ),
        )
    return Problem(422, gettext("Calendar server error"), _sentence(str(exc)))


def _sentence(message: str) -> str:
    """`message` with a capital first letter and a full stop."""
    text = message.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}." if text else gettext("The calendar server failed.")


def message_of(problem: Problem) -> str:
    """A problem's detail, short enough to keep as the connection's last error."""
    return problem.detail[:MAX_ERROR]
