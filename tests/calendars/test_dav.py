"""The CalDAV/CardDAV client against a real Radicale server, and its XML parsing alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from interpreta.calendars import ics
from interpreta.calendars.dav import (
    MAX_CONTACTS,
    MAX_RESPONSE_BYTES,
    AddressBook,
    CalendarCollection,
    DavError,
    parse_multistatus,
    parse_xml,
)
from tests.radicale import Radicale

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A plain HTTP client (production passes the outbound guard's)."""
    with httpx.Client(timeout=10) as plain:
        yield plain


def invitation(
    uid: str, sequence: int = 0, summary: str = "Annual general meeting"
) -> ics.Invitation:
    """A published invitation for `uid`."""
    return ics.Invitation(
        uid=uid,
        sequence=sequence,
        summary=summary,
        description="Agenda: accounts, elections.",
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        timezone="Europe/Berlin",
        url="https://interpreta.example/join/8f2c",
        organizer_name="Ada Lovelace",
        organizer_email="ada@organiser.example",
        attendee_email=None,
        attendee_name=None,
        stamp=datetime(2026, 11, 1, tzinfo=UTC),
    )


def mocked(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    """A client whose every request is answered by `handler`."""
    return httpx.Client(transport=httpx.MockTransport(handler))


# Against Radicale -------------------------------------------------------------------------


def test_check_names_the_calendar_and_the_address_book(
    radicale: Radicale, client: httpx.Client
) -> None:
    assert CalendarCollection(client, radicale.calendar_url, radicale.auth).check() == "Events"
    assert AddressBook(client, radicale.address_book_url, radicale.auth).check() == "Contacts"


def test_check_refuses_the_wrong_kind_of_collection(
    radicale: Radicale, client: httpx.Client
) -> None:
    with pytest.raises(DavError, match="not a calendar"):
        CalendarCollection(client, radicale.address_book_url, radicale.auth).check()
    with pytest.raises(DavError, match="not an address book"):
        AddressBook(client, radicale.calendar_url, radicale.auth).check()
    with pytest.raises(DavError, match="not a calendar"):
        CalendarCollection(client, f"{radicale.base_url}/{radicale.user}/", radicale.auth).check()


def test_wrong_credentials_are_reported_without_the_password(
    radicale: Radicale, client: httpx.Client
) -> None:
    calendar = CalendarCollection(client, radicale.calendar_url, (radicale.user, "s3cret-guess"))
    with pytest.raises(DavError, match="refused the credentials") as refused:
        calendar.check()
    assert refused.value.status == 401
    assert "s3cret-guess" not in str(refused.value)
    assert "s3cret-guess" not in repr(calendar)
    with pytest.raises(DavError, match="refused the credentials"):
        CalendarCollection(client, radicale.calendar_url).check()


def test_a_missing_collection(radicale: Radicale, client: httpx.Client) -> None:
    with pytest.raises(DavError) as missing:
        CalendarCollection(client, f"{radicale.calendar_url}nothing/", radicale.auth).check()
    assert missing.value.status == 404


def test_put_update_and_delete_an_event(radicale: Radicale, client: httpx.Client) -> None:
    calendar = CalendarCollection(client, radicale.calendar_url, radicale.auth)
    uid = "event-12-participant-34@interpreta.example"
    url = calendar.event_url(uid)
    assert str(url) == f"{radicale.calendar_url}{uid}.ics"

    etag = calendar.put(uid, ics.published(invitation(uid)))
    assert etag
    stored = client.get(url, auth=radicale.auth)
    assert stored.status_code == 200
    assert "SUMMARY:Annual general meeting" in stored.text
    assert "SEQUENCE:0" in stored.text
    assert url.path in calendar.paths()

    new_etag = calendar.put(uid, ics.published(invitation(uid, sequence=1, summary="Moved: AGM")))
    assert new_etag and new_etag != etag
    stored = client.get(url, auth=radicale.auth)
    assert "SUMMARY:Moved: AGM" in stored.text
    assert "SEQUENCE:1" in stored.text
    assert calendar.paths().count(url.path) == 1

    calendar.delete(uid)
    assert client.get(url, auth=radicale.auth).status_code == 404
    assert url.path not in calendar.paths()
    calendar.delete(uid)  # already gone: fine


def test_a_uid_that_is_no_plain_name_is_stored_under_its_digest(
    radicale: Radicale, client: httpx.Client
) -> None:
    calendar = CalendarCollection(client, radicale.calendar_url, radicale.auth)
    uid = "event 7/participant 9 ü"
    calendar.put(uid, ics.published(invitation(uid)))
    url = calendar.event_url(uid)
    assert len(url.path.rsplit("/", 1)[1]) == 64 + len(".ics")
    assert "UID:event 7/participant 9 ü" in client.get(url, auth=radicale.auth).text
    calendar.delete(uid)


def test_contacts_of_the_address_book(radicale: Radicale, client: httpx.Client) -> None:
    found = AddressBook(client, radicale.address_book_url, radicale.auth).contacts()
    by_name = {contact.name: contact for contact in found}
    assert sorted(by_name) == ["Alan Turing", "Grace Hopper", "Katherine Johnson"]
    assert by_name["Alan Turing"].emails == ("alan@example.ac.uk",)
    assert by_name["Grace Hopper"].emails == ("grace@navy.example", "grace@home.example")
    assert by_name["Katherine Johnson"].emails == ("katherine@nasa.example",)


class RefusingReports(httpx.BaseTransport):
    """Sends requests to the server, but answers every REPORT itself with 405."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self._network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """405 for a REPORT; anything else goes to the server."""
        self.methods.append(request.method)
        if request.method == "REPORT":
            return httpx.Response(405)
        return self._network.handle_request(request)

    def close(self) -> None:
        """Close the connections to the server."""
        self._network.close()


def test_contacts_one_by_one_when_the_report_is_refused(radicale: Radicale) -> None:
    transport = RefusingReports()
    with httpx.Client(transport=transport, timeout=10) as refusing:
        found = AddressBook(refusing, radicale.address_book_url, radicale.auth).contacts()
    assert sorted(c.name for c in found) == ["Alan Turing", "Grace Hopper", "Katherine Johnson"]
    assert transport.methods == ["REPORT", "PROPFIND", "GET", "GET", "GET"]


# Against a mocked server ------------------------------------------------------------------


def test_a_redirect_is_reported_with_the_new_location() -> None:
    def moved(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://user:pw@new.example/cal/"})

    with mocked(moved) as client, pytest.raises(DavError) as redirected:
        CalendarCollection(client, "https://old.example/cal/", ("ada", "lovelace")).check()
    assert redirected.value.status == 301
    assert "moved to https://new.example/cal/" in str(redirected.value)
    assert "pw" not in str(redirected.value) and "lovelace" not in str(redirected.value)


def test_a_relative_redirect_is_resolved() -> None:
    def moved(request: httpx.Request) -> httpx.Response:
        return httpx.Response(308, headers={"Location": "/dav/cal/"})

    with (
        mocked(moved) as client,
        pytest.raises(DavError, match=r"moved to https://old\.example/dav/cal/"),
    ):
        CalendarCollection(client, "https://old.example/cal/", None).put("x", b"")


def test_a_server_that_cannot_be_reached() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with mocked(unreachable) as client, pytest.raises(DavError, match="could not be reached"):
        AddressBook(client, "https://gone.example/book/", None).check()


def test_a_response_beyond_the_limit_is_refused() -> None:
    def flood(request: httpx.Request) -> httpx.Response:
        chunks = (b"x" * 1024 * 1024 for _ in range(MAX_RESPONSE_BYTES // (1024 * 1024) + 1))
        return httpx.Response(207, content=chunks)

    with mocked(flood) as client, pytest.raises(DavError, match="more than 10,485,760 bytes"):
        AddressBook(client, "https://big.example/book/", None).contacts()


def test_an_address_book_beyond_the_contact_limit_is_refused() -> None:
    card = "BEGIN:VCARD\nVERSION:3.0\nFN:Someone\nEND:VCARD\n"
    response = (
        "<D:response><D:href>/b/{n}.vcf</D:href><D:propstat><D:prop>"
        f"<C:address-data>{card}</C:address-data></D:prop>"
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
    )
    body = (
        '<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
        + "".join(response.format(n=n) for n in range(MAX_CONTACTS + 1))
        + "</D:multistatus>"
    ).encode()

    def many(request: httpx.Request) -> httpx.Response:
        return httpx.Response(207, content=body)

    with mocked(many) as client, pytest.raises(DavError, match="more than 5,000 contacts"):
        AddressBook(client, "https://many.example/b/", None).contacts()


@pytest.mark.parametrize(
    "url",
    [
        "https://dav.example/cal",
        "ftp://dav.example/cal/",
        "https://ada:lovelace@dav.example/cal/",
        "/cal/",
    ],
)
def test_unusable_collection_urls(url: str, client: httpx.Client) -> None:
    with pytest.raises(ValueError) as refused:
        CalendarCollection(client, url, None)
    assert "lovelace" not in str(refused.value)


# XML --------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<D:multistatus xmlns:D="DAV:"><D:response><D:href>&lol3;</D:href></D:response></D:multistatus>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE m [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<D:multistatus xmlns:D="DAV:"><D:response><D:href>&secret;</D:href></D:response></D:multistatus>
"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        b'<!doctype m SYSTEM "http://evil.example/m.dtd"><m/>',
        BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16"),
    ],
)
def test_xml_with_a_doctype_or_entity_is_refused(body: bytes) -> None:
    with pytest.raises(DavError, match="DOCTYPE or ENTITY"):
        parse_xml(body)


def test_malformed_xml_is_a_dav_error() -> None:
    with pytest.raises(DavError, match="malformed XML"):
        parse_xml(b"<D:multistatus xmlns:D='DAV:'><D:response>")
    with pytest.raises(DavError, match="not a WebDAV multistatus"):
        parse_multistatus(b"<html><body>Sign in</body></html>")


def test_a_multistatus_keeps_only_the_properties_found() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <response>
    <href>/ada/events/</href>
    <propstat>
      <prop>
        <resourcetype><collection/><C:calendar/></resourcetype>
        <displayname>Events &amp; more</displayname>
      </prop>
      <status>HTTP/1.1 200 OK</status>
    </propstat>
    <propstat>
      <prop><C:supported-calendar-component-set/></prop>
      <status>HTTP/1.1 404 Not Found</status>
    </propstat>
  </response>
  <response><href>/ada/events/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response>
</multistatus>
"""
    calendar, gone = parse_multistatus(body)
    assert calendar.href == "/ada/events/"
    assert sorted(calendar.properties) == ["{DAV:}displayname", "{DAV:}resourcetype"]
    assert (
        calendar.properties["{DAV:}resourcetype"].find("{urn:ietf:params:xml:ns:caldav}calendar")
        is not None
    )
    assert calendar.text_of("{DAV:}displayname") == "Events & more"
    assert calendar.status is None
    assert (gone.href, gone.status, dict(gone.properties)) == ("/ada/events/gone.ics", 404, {})


def test_check_reads_the_supported_components() -> None:
    body = b"""<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response>
<href>/tasks/</href><propstat><prop><resourcetype><collection/><C:calendar/></resourcetype>
<C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"""

    def tasks(request: httpx.Request) -> httpx.Response:
        assert request.method == "PROPFIND" and request.headers["Depth"] == "0"
        return httpx.Response(207, content=body)

    with mocked(tasks) as client, pytest.raises(DavError, match="does not accept events"):
        CalendarCollection(client, "https://dav.example/tasks/", None).check()
