"""A real CalDAV/CardDAV server for the calendar tests: Radicale, in a subprocess
(the ``radicale`` fixture of tests/conftest.py starts one per module).

One server per test module, on a free port of 127.0.0.1, with its storage in a temporary
folder and one user (ada, password lovelace, in a plain htpasswd file). It holds a
calendar, ``/ada/events/``, and an address book, ``/ada/contacts/``, with three vCards.
The calendar integration's tests start theirs with `started` and add calendars of their
own with `make_calendar`.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

USER = "ada"
PASSWORD = "lovelace"

ALAN = """BEGIN:VCARD\r
VERSION:4.0\r
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r
FN:Alan Turing\r
N:Turing;Alan;Mathison;;\r
EMAIL;TYPE=work:alan@example.ac.uk\r
TEL;VALUE=uri;TYPE="voice,work":tel:+44-20-7946-0000\r
END:VCARD\r
"""
GRACE = """BEGIN:VCARD\r
VERSION:3.0\r
PRODID:-//Apple Inc.//iPhone OS 17.0//EN\r
UID:apple-grace-1906\r
N:Hopper;Grace;Brewster;Rear Adm.;\r
FN:Grace Hopper\r
ORG:US Navy;Computing\r
item1.EMAIL;type=INTERNET;type=pref:grace@navy.example\r
item1.X-ABLabel:_$!<Work>!$_\r
EMAIL;type=INTERNET;type=HOME:grace@home.example\r
END:VCARD\r
"""
KATHERINE = """BEGIN:VCARD\r
VERSION:3.0\r
UID:katherine-1918\r
N:Johnson;Katherine;;;\r
FN:Katherine Johnson\r
EMAIL:katherine@nasa.example\r
END:VCARD\r
"""
CARDS = {"alan": ALAN, "grace": GRACE, "katherine": KATHERINE}
"""The vCards of the address book, by file name (without ``.vcf``)."""

_MKCOL_ADDRESS_BOOK = b"""<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
    <D:displayname>Contacts</D:displayname>
  </D:prop></D:set>
</D:mkcol>
"""
_MKCALENDAR = b"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>Events</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>
"""


@dataclass(frozen=True)
class Radicale:
    """A running Radicale server and the credentials of its one user."""

    base_url: str
    user: str
    password: str

    @property
    def auth(self) -> tuple[str, str]:
        """The user's credentials, as the DAV client takes them."""
        return (self.user, self.password)

    @property
    def calendar_url(self) -> str:
        """The URL of the user's calendar."""
        return f"{self.base_url}/{self.user}/events/"

    @property
    def address_book_url(self) -> str:
        """The URL of the user's address book."""
        return f"{self.base_url}/{self.user}/contacts/"


@contextmanager
def started(folder: Path) -> Iterator[Radicale]:
    """Radicale running with its storage and users file in `folder`, holding the calendar
    and the address book of three contacts; stopped on leaving (skips the test when
    Radicale is not installed)."""
    if importlib.util.find_spec("radicale") is None:
        pytest.skip("radicale is not installed")
    users = folder / "users"
    users.write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    port = _free_port()
    log = folder / "radicale.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            _command(port, users, folder / "collections"), stdout=output, stderr=output
        )
    server = Radicale(base_url=f"http://127.0.0.1:{port}", user=USER, password=PASSWORD)
    try:
        _wait_until_answering(server.base_url, process, log)
        _create_collections(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (just now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _command(port: int, users: Path, storage: Path) -> list[str]:
    """Radicale's command line: no configuration file, everything given as options."""
    return [
        sys.executable,
        "-m",
        "radicale",
        "--config",  # with no file after it: read no configuration file at all
        "--server-hosts",
        f"127.0.0.1:{port}",
        "--auth-type",
        "htpasswd",
        "--auth-htpasswd-filename",
        str(users),
        "--auth-htpasswd-encryption",
        "plain",
        "--auth-delay",
        "0",
        "--rights-type",
        "owner_only",
        "--storage-filesystem-folder",
        str(storage),
        "--logging-level",
        "warning",
    ]


def _wait_until_answering(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once the server answers HTTP; fail if it exits or takes over 15 seconds."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            pytest.fail(f"radicale exited with {process.returncode}: {errors}")
        try:
            httpx.get(f"{base_url}/.web/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    pytest.fail("radicale did not answer within 15 seconds")


def make_calendar(server: Radicale, url: str) -> None:
    """Create an empty calendar for events at `url` (MKCALENDAR)."""
    with httpx.Client(auth=server.auth, timeout=10) as client:
        created = client.request("MKCALENDAR", url, content=_MKCALENDAR)
        assert created.status_code == 201, created.text


def _create_collections(server: Radicale) -> None:
    """The calendar (MKCALENDAR), the address book (extended MKCOL, RFC 5689) and its
    three vCards (plain PUTs)."""
    make_calendar(server, server.calendar_url)
    with httpx.Client(auth=server.auth, timeout=10) as client:
        created = client.request("MKCOL", server.address_book_url, content=_MKCOL_ADDRESS_BOOK)
        assert created.status_code == 201, created.text
        for name, card in CARDS.items():
            put = client.put(
                f"{server.address_book_url}{name}.vcf",
                content=card.encode(),
                headers={"Content-Type": "text/vcard; charset=utf-8"},
            )
            assert put.status_code == 201, put.text
