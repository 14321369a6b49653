"""The calendar server as the platform reaches it, for the calendar integration's tests.

The Radicale of ``tests/calendars`` listens on 127.0.0.1; the platform reaches it by the
name ``calendar.test``, which the test's processor register names for an internal
processor serving the calendar activity, and which the guard resolves to 127.0.0.1. Two
more names lead to the same server and are refused: ``dav.public.test``, a registered
public processor (a public host must not resolve to a private address), and
``dav.internal.test``, registered for an internal processor only through the wildcard
``*.internal.test`` (a user could pick any name under it).

Each test gets calendars of its own on the one server; the address book of three vCards
is shared (nothing writes to it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from interpreta.calendars.dav import CalendarCollection
from interpreta.datamap.processors import Processor
from interpreta.platform import Platform
from tests.radicale import Radicale, make_calendar

HOST = "calendar.test"
"""The registered internal calendar server (Radicale), by name."""
PUBLIC_HOST = "dav.public.test"
"""A registered public calendar server's name, resolving (wrongly) to loopback."""
WILDCARD_HOST = "dav.internal.test"
"""A name registered for internal infrastructure only through ``*.internal.test``."""
UNREGISTERED_HOST = "dav.elsewhere.test"
"""A name no processor is registered for."""

_LOOPBACK = {HOST, PUBLIC_HOST, WILDCARD_HOST, UNREGISTERED_HOST}
_CATEGORIES = ["identifiers", "security"]


def processors() -> list[Processor]:
    """The test's processor register: the calendar hosts described above."""

    def calendar_host(name: str, hosts: list[str], *, internal: bool) -> Processor:
        return Processor(
            name=name,
            function="calendar hosting",
            categories=_CATEGORIES,
            country="DE",
            hosts=hosts,
            internal=internal,
            activities=["calendar"],
        )

    return [
        calendar_host("Our Radicale", [HOST], internal=True),
        calendar_host("Public DAV", [PUBLIC_HOST], internal=False),
        calendar_host("Internal DAV", ["*.internal.test"], internal=True),
    ]


def resolve(host: str, port: int) -> Sequence[str]:
    """Every test name is the loopback address; any other name is unknown."""
    if host in _LOOPBACK:
        return ["127.0.0.1"]
    raise OSError(f"unknown host {host}")


@dataclass
class Dav:
    """The Radicale server, registered with the platform; URLs as the platform uses them."""

    server: Radicale

    def at(self, url: str, host: str = HOST) -> str:
        """`url` (on 127.0.0.1) as reached through the name `host`."""
        return url.replace("127.0.0.1", host, 1)

    def new_calendar(self, host: str = HOST) -> str:
        """A new, empty calendar; its URL through `host`."""
        url = f"{self.server.base_url}/{self.server.user}/events-{uuid.uuid4().hex[:12]}/"
        make_calendar(self.server, url)
        return self.at(url, host)

    @property
    def addressbook_url(self) -> str:
        """The address book of three contacts, through the registered name."""
        return self.at(self.server.address_book_url)

    def body(self, calendar_url: str | None, **changes: Any) -> dict[str, Any]:
        """What to PUT to connect `calendar_url` and the address book."""
        return {
            "calendar_url": calendar_url,
            "addressbook_url": self.addressbook_url,
            "username": self.server.user,
            "password": self.server.password,
            **changes,
        }

    def events(self, calendar_url: str) -> dict[str, str]:
        """The calendar objects `calendar_url` holds, read straight from the server: the
        text of each, unfolded, by file name (without ``.ics``)."""
        direct = _direct(calendar_url)
        with httpx.Client(auth=self.server.auth, timeout=10) as client:
            calendar = CalendarCollection(client, str(direct), self.server.auth)
            stored: dict[str, str] = {}
            for path in calendar.paths():
                name = path.rsplit("/", 1)[-1].removesuffix(".ics")
                stored[name] = client.get(direct.join(path)).text.replace("\r\n ", "")
        return stored

    def put_foreign(self, calendar_url: str, name: str, text: str) -> None:
        """Store a calendar object the platform did not write (the organiser's own)."""
        with httpx.Client(auth=self.server.auth, timeout=10) as client:
            calendar = CalendarCollection(client, str(_direct(calendar_url)), self.server.auth)
            calendar.put(name, text.encode())


def _direct(url: str) -> httpx.URL:
    """`url`, reached under any test name, as the server's own loopback URL."""
    return httpx.URL(url).copy_with(host="127.0.0.1")


def registered(platform: Platform, server: Radicale) -> Dav:
    """Register the test's calendar hosts with `platform` (a new register: a new guard,
    resolving the test names to loopback)."""
    platform.settings.processors = processors()
    platform.outbound_guard._resolver = resolve
    return Dav(server)
