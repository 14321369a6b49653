"""A minimal CalDAV (RFC 4791) and CardDAV (RFC 6352) client over a given `httpx.Client`.

A :class:`CalendarCollection` checks that a URL is a calendar, puts events into it
(overwriting the same resource on every update) and deletes them; an :class:`AddressBook`
checks that a URL is an address book and reads its contacts. The caller supplies the HTTP
client: in production `interpreta.outbound.OutboundGuard.http_client`, which checks every
request (the URL comes from a user) and does not follow redirects. A redirect is therefore
reported, with where the collection moved, rather than followed. The guard's
`OutboundRefused` passes through unchanged.

Everything a server sends is untrusted. Responses are read up to `MAX_RESPONSE_BYTES`; an
address book gives at most `MAX_CONTACTS` contacts. XML is parsed by the standard library's
expat, but a document with a DOCTYPE or an ENTITY declaration is refused outright (before
and while parsing), so no entity is ever expanded: no "billion laughs", no external
entities. (defusedxml does the same and is not a dependency.) Errors are `DavError`s whose
messages say which operation failed and why, and never carry credentials.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import ClassVar
from xml.etree import ElementTree
from xml.parsers import expat

import httpx

from interpreta.calendars import vcards
from interpreta.calendars.vcards import Contact

__all__ = [
    "MAX_CONTACTS",
    "MAX_RESPONSE_BYTES",
    "AddressBook",
    "CalendarCollection",
    "DavError",
    "Resource",
    "parse_multistatus",
    "parse_xml",
]

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""The most bytes read of one response (of all the vCards, when fetched one by one)."""

MAX_CONTACTS = 5_000
"""The most contacts an address book may give."""

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"

_XML = "application/xml; charset=utf-8"
_PROPFIND_CALENDAR = b"""<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:resourcetype/><D:displayname/><C:supported-calendar-component-set/></D:prop>
</D:propfind>
"""
_PROPFIND_ADDRESS_BOOK = b"""<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:displayname/></D:prop></D:propfind>
"""
_PROPFIND_MEMBERS = b"""<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:">
  <D:prop><D:resourcetype/><D:getcontenttype/><D:getetag/></D:prop>
</D:propfind>
"""
# RFC 6352 §8.6 requires a filter; an empty "allof" one matches every card (an empty
# "anyof" one matches none, as Radicale reads it).
_ADDRESSBOOK_QUERY = b"""<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
  <C:filter test="allof"/>
</C:addressbook-query>
"""
_REPORT_REFUSED = frozenset({405, 501})
_PLAIN_NAME = re.compile(r"[A-Za-z0-9@._~+=-]{1,200}")
_MAX_LOCATION_LENGTH = 300


class DavError(Exception):
    """A CalDAV or CardDAV operation that failed; the message is one readable line.

    `operation` says what was being done ("checking the calendar"), `status` is the HTTP
    status when the server answered one. No message contains a password.
    """

    def __init__(self, operation: str, reason: str, status: int | None = None) -> None:
        self.operation = operation
        self.reason = reason
        self.status = status
        super().__init__(f"{operation} failed: {reason}")


@dataclass(frozen=True)
class Resource:
    """One ``<response>`` of a multistatus: the href, the status of the response when it
    has one instead of properties, and the properties reported with a 2xx status, by
    their Clark name (``{DAV:}displayname``)."""

    href: str
    status: int | None
    properties: Mapping[str, ElementTree.Element]

    def text_of(self, name: str) -> str:
        """The text of the property `name`, stripped; "" when it was not reported."""
        element = self.properties.get(name)
        return (element.text or "").strip() if element is not None else ""


def parse_xml(body: bytes, operation: str = "reading the server's answer") -> ElementTree.Element:
    """The root element of the XML document `body`, with names in Clark notation.

    Raises `DavError` when the document is malformed or declares a DOCTYPE or an ENTITY:
    such documents are refused, never expanded.
    """
    lowered = body.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise _declarations_refused(operation)
    builder = ElementTree.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: object) -> None:
        raise _declarations_refused(operation)

    def start(name: str, attributes: dict[str, str]) -> None:
        builder.start(_clark(name), {_clark(key): value for key, value in attributes.items()})

    def end(name: str) -> None:
        builder.end(_clark(name))

    # Encodings the byte check cannot see through (UTF-16) meet the same refusal here.
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
        return builder.close()
    except expat.ExpatError as exc:
        raise DavError(operation, f"the server sent malformed XML ({exc})") from exc


def parse_multistatus(
    body: bytes, operation: str = "reading the server's answer"
) -> list[Resource]:
    """The responses of a WebDAV multistatus (207) document (RFC 4918 §13)."""
    root = parse_xml(body, operation)
    if root.tag != f"{{{DAV}}}multistatus":
        raise DavError(operation, "the server's answer is not a WebDAV multistatus")
    return [_resource(response) for response in root.iter(f"{{{DAV}}}response")]


def _declarations_refused(operation: str) -> DavError:
    """The error for an XML document with a DOCTYPE or ENTITY declaration."""
    return DavError(operation, "the server sent XML with a DOCTYPE or ENTITY declaration")


def _clark(name: str) -> str:
    """Expat's ``"uri local"`` (namespace_separator=" ") as Clark's ``"{uri}local"``."""
    uri, separator, local = name.rpartition(" ")
    return f"{{{uri}}}{local}" if separator else name


def _resource(response: ElementTree.Element) -> Resource:
    """One ``<response>`` element as a `Resource`."""
    href = (response.findtext(f"{{{DAV}}}href") or "").strip()
    properties: dict[str, ElementTree.Element] = {}
    for propstat in response.iter(f"{{{DAV}}}propstat"):
        status = _status_code(propstat.findtext(f"{{{DAV}}}status"))
        prop = propstat.find(f"{{{DAV}}}prop")
        if prop is not None and status is not None and 200 <= status < 300:
            properties.update((child.tag, child) for child in prop)
    status = _status_code(response.findtext(f"{{{DAV}}}status"))
    return Resource(href=href, status=status, properties=properties)


def _status_code(status_line: str | None) -> int | None:
    """The code of a status line (``HTTP/1.1 200 OK``), or None."""
    parts = (status_line or "").split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


@dataclass(frozen=True)
class _Reply:
    """A response whose body was read (within `MAX_RESPONSE_BYTES`)."""

    status: int
    headers: httpx.Headers
    body: bytes


class _Collection:
    """What a calendar and an address book share: the URL, credentials and requests."""

    _resource_type: ClassVar[str]
    _noun: ClassVar[str]
    _a_noun: ClassVar[str]

    def __init__(self, client: httpx.Client, url: str, auth: tuple[str, str] | None = None) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"{self._a_noun} URL must be an http(s) URL")
        if parsed.userinfo:
            raise ValueError("credentials belong in auth, not in the URL")
        if not parsed.path.endswith("/"):
            raise ValueError(f"{self._a_noun} URL is a collection and ends with '/'")
        self.client = client
        self.url = url
        self._url = parsed
        self._auth = httpx.BasicAuth(*auth) if auth is not None else None

    def __repr__(self) -> str:
        """The class and URL; never the credentials."""
        return f"{type(self).__name__}({self.url!r})"

    def _check_collection(self, operation: str, body: bytes) -> Resource:
        """The collection's own properties, after checking it is of `_resource_type`."""
        resources = self._propfind(operation, body, depth="0")
        own = next((r for r in resources if self._is_collection_itself(r.href)), None)
        if own is None and len(resources) == 1:
            own = resources[0]
        if own is None:
            raise DavError(operation, "the server did not describe the collection")
        resource_type = own.properties.get(f"{{{DAV}}}resourcetype")
        if resource_type is None or resource_type.find(self._resource_type) is None:
            raise DavError(operation, f"this URL is not {self._a_noun}")
        return own

    def _propfind(self, operation: str, body: bytes, *, depth: str) -> list[Resource]:
        """A PROPFIND of the collection, its multistatus parsed."""
        reply = self._request(
            operation,
            "PROPFIND",
            self._url,
            headers={"Depth": depth, "Content-Type": _XML},
            content=body,
            accepted={207},
        )
        return parse_multistatus(reply.body, operation)

    def _members(self, resources: Iterable[Resource]) -> Iterator[Resource]:
        """The resources that are members (not the collection, not sub-collections)."""
        for resource in resources:
            resource_type = resource.properties.get(f"{{{DAV}}}resourcetype")
            is_collection = (
                resource_type is not None and resource_type.find(f"{{{DAV}}}collection") is not None
            )
            if (
                resource.href
                and not is_collection
                and not self._is_collection_itself(resource.href)
            ):
                yield resource

    def _is_collection_itself(self, href: str) -> bool:
        """Whether `href` names this collection."""
        return self._url.join(href).copy_with(query=None, fragment=None) == self._url

    def _request(
        self,
        operation: str,
        method: str,
        url: httpx.URL,
        *,
        accepted: AbstractSet[int],
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        budget: int = MAX_RESPONSE_BYTES,
    ) -> _Reply:
        """Send one request; the reply when its status is `accepted`, else `DavError`.

        The body of an accepted reply is read, up to `budget` bytes.
        """
        auth = self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT
        try:
            with self.client.stream(
                method, url, headers=headers, content=content, auth=auth
            ) as response:
                if response.status_code not in accepted:
                    raise self._refusal(operation, response)
                body = _read_within(operation, response, budget)
                return _Reply(response.status_code, response.headers, body)
        except httpx.HTTPError as exc:
            raise DavError(operation, _failure(exc)) from exc

    def _refusal(self, operation: str, response: httpx.Response) -> DavError:
        """The error for a response whose status was not expected."""
        status = response.status_code
        if 300 <= status < 400:
            return DavError(operation, self._moved(response), status)
        if status == 401:
            return DavError(operation, f"the {self._noun} server refused the credentials", status)
        if status == 403:
            return DavError(operation, f"the {self._noun} server denied access", status)
        if status == 404:
            return DavError(operation, f"there is no {self._noun} at this URL", status)
        return DavError(operation, f"the {self._noun} server answered HTTP {status}", status)

    def _moved(self, response: httpx.Response) -> str:
        """What to tell the user about a redirect: where the collection moved."""
        location = " ".join(response.headers.get("Location", "").split())
        if not location:
            return f"the {self._noun} moved (HTTP {response.status_code}, no new address given)"
        try:
            target = self._url.join(location).copy_with(username=None, password=None)
        except httpx.InvalidURL:
            return f"the {self._noun} moved (HTTP {response.status_code}) to an invalid address"
        shown = str(target)[:_MAX_LOCATION_LENGTH]
        return f"the {self._noun} moved to {shown}; use that URL instead"


def _failure(exc: httpx.HTTPError) -> str:
    """What went wrong in an exchange that got no usable answer (no URL, no headers)."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"the server did not answer in time ({name})"
    if isinstance(exc, httpx.ConnectError):
        return f"the server could not be reached ({name})"
    return f"the exchange with the server failed ({name})"


def _read_within(operation: str, response: httpx.Response, budget: int) -> bytes:
    """The body of `response`, or `DavError` once it is longer than `budget` bytes (what
    is left of `MAX_RESPONSE_BYTES` for this operation)."""
    too_large = DavError(operation, f"the server sent more than {MAX_RESPONSE_BYTES:,} bytes")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > budget:
        raise too_large
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > budget:
            raise too_large
    return bytes(body)


class CalendarCollection(_Collection):
    """A CalDAV calendar collection (RFC 4791) the platform puts events into.

    `url` is the collection's URL, ending in ``/``; `auth` is a user name and password
    sent with HTTP Basic authentication on every request.
    """

    _resource_type = f"{{{CALDAV}}}calendar"
    _noun = "calendar"
    _a_noun = "a calendar"

    def check(self) -> str:
        """Check that the URL is a calendar that accepts events; its display name ("" when
        it has none)."""
        operation = "checking the calendar"
        own = self._check_collection(operation, _PROPFIND_CALENDAR)
        components = own.properties.get(f"{{{CALDAV}}}supported-calendar-component-set")
        if components is not None:
            names = {comp.get("name", "").upper() for comp in components}
            if "VEVENT" not in names:
                raise DavError(operation, "this calendar does not accept events")
        return own.text_of(f"{{{DAV}}}displayname")

    def put(self, uid: str, ics: bytes) -> str:
        """Store the calendar object `ics` as ``{url}{uid}.ics`` (created or overwritten);
        the ETag the server gave it ("" when it gave none)."""
        reply = self._request(
            "saving the event",
            "PUT",
            self.event_url(uid),
            headers={"Content-Type": "text/calendar; charset=utf-8"},
            content=ics,
            accepted={200, 201, 204},
        )
        return str(reply.headers.get("ETag", ""))

    def delete(self, uid: str) -> None:
        """Delete the event stored under `uid`; one already gone (404) is fine."""
        self._request("deleting the event", "DELETE", self.event_url(uid), accepted={200, 204, 404})

    def paths(self) -> list[str]:
        """The paths of the ``.ics`` members, percent-decoded (servers differ in what they
        quote: Radicale writes ``@`` as ``%40``), comparable with `event_url` ``.path``."""
        resources = self._propfind("listing the calendar", _PROPFIND_MEMBERS, depth="1")
        paths = (self._url.join(r.href).path for r in self._members(resources))
        return [path for path in paths if path.lower().endswith(".ics")]

    def event_url(self, uid: str) -> httpx.URL:
        """Where the event `uid` is stored: the collection's URL, a name, ``.ics``.

        The name is the UID itself when it is short and made of letters, digits and
        ``@._~+=-``; otherwise the UID's SHA-256 (hex). Servers decode a quoted ``/``
        back into a path separator (Radicale then refuses the PUT), and file-system
        storage has name length limits, so other UIDs are not merely quoted.
        """
        if not uid:
            raise ValueError("an event needs a UID")
        name = uid if _PLAIN_NAME.fullmatch(uid) else hashlib.sha256(uid.encode()).hexdigest()
        return self._url.join(f"{name}.ics")


class AddressBook(_Collection):
    """A CardDAV address book (RFC 6352) the platform reads contacts from.

    `url` is the collection's URL, ending in ``/``; `auth` is a user name and password
    sent with HTTP Basic authentication on every request.
    """

    _resource_type = f"{{{CARDDAV}}}addressbook"
    _noun = "address book"
    _a_noun = "an address book"

    def check(self) -> str:
        """Check that the URL is an address book; its display name ("" when none)."""
        own = self._check_collection("checking the address book", _PROPFIND_ADDRESS_BOOK)
        return own.text_of(f"{{{DAV}}}displayname")

    def contacts(self) -> list[Contact]:
        """Every contact of the address book, read with one ``addressbook-query`` REPORT,
        or, where the server refuses that REPORT, vCard by vCard.

        Raises `DavError` beyond `MAX_CONTACTS` contacts or `MAX_RESPONSE_BYTES`.
        """
        operation = "reading the contacts"
        reply = self._request(
            operation,
            "REPORT",
            self._url,
            headers={"Depth": "1", "Content-Type": _XML},
            content=_ADDRESSBOOK_QUERY,
            accepted={207} | _REPORT_REFUSED,
        )
        if reply.status in _REPORT_REFUSED:
            cards = self._cards_one_by_one(operation)
        else:
            cards = self._cards_reported(operation, reply.body)
        found: list[Contact] = []
        for card in cards:
            found.extend(vcards.contacts(card))
            if len(found) > MAX_CONTACTS:
                raise _too_many(operation)
        return found

    def _cards_reported(self, operation: str, body: bytes) -> list[str]:
        """The vCards (address-data) of an addressbook-query's multistatus."""
        resources = parse_multistatus(body, operation)
        if len(resources) > MAX_CONTACTS:
            raise _too_many(operation)
        data = (r.properties.get(f"{{{CARDDAV}}}address-data") for r in resources)
        return [element.text for element in data if element is not None and element.text]

    def _cards_one_by_one(self, operation: str) -> list[str]:
        """The vCards of the members, each fetched with GET; within one overall budget."""
        resources = self._propfind(operation, _PROPFIND_MEMBERS, depth="1")
        urls = [url for r in self._members(resources) if (url := self._card_url(r)) is not None]
        if len(urls) > MAX_CONTACTS:
            raise _too_many(operation)
        cards: list[str] = []
        budget = MAX_RESPONSE_BYTES
        for url in urls:
            reply = self._request(operation, "GET", url, accepted={200, 404}, budget=budget)
            if reply.status == 200:
                budget -= len(reply.body)
                cards.append(reply.body.decode("utf-8", errors="replace"))
        return cards

    def _card_url(self, resource: Resource) -> httpx.URL | None:
        """The URL of a member that is a vCard on this server, else None."""
        content_type = resource.text_of(f"{{{DAV}}}getcontenttype")
        is_card = resource.href.lower().endswith(".vcf") or content_type.lower().startswith(
            ("text/vcard", "text/x-vcard")
        )
        url = self._url.join(resource.href)
        same_origin = (url.scheme, url.host, url.port) == (
            self._url.scheme,
            self._url.host,
            self._url.port,
        )
        return url if is_card and same_origin else None


def _too_many(operation: str) -> DavError:
    """The error for an address book beyond `MAX_CONTACTS`."""
    return DavError(operation, f"the address book has more than {MAX_CONTACTS:,} contacts")
