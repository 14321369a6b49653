"""The outbound guard: the one way personal data leaves the process (privacy promise P07).

Every transfer out of the process (the SMTP relay, TURN, webhooks, calendars, any HTTP
call) is checked here first. A transfer is allowed only when

* its destination is a host of a registered processor (a `Recipient`);
* every data category it carries is one the recipient may receive;
* every address the destination resolves to is public, unless the recipient is
  operator-configured infrastructure (``internal``) *and* the URL did not come from a user.

Anything else raises `OutboundRefused` and is logged at WARNING on the
``interpreta.outbound`` logger. HTTP goes through `OutboundGuard.http_client`, whose
transport checks every request (each redirect hop included) and connects to the address
it vetted, so a DNS answer that changes between the check and the connection (DNS
rebinding) cannot reach another machine.

This module imports nothing from the rest of `interpreta`.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from interpreta.config import Settings

__all__ = [
    "Approved",
    "GuardedTransport",
    "OutboundGuard",
    "OutboundRefused",
    "Recipient",
    "Resolver",
    "Transfer",
    "is_public_address",
    "resolve_with_getaddrinfo",
]

Resolver = Callable[[str, int], Sequence[str]]
"""Turns a host name and port into IP address strings (the signature of the default,
`resolve_with_getaddrinfo`); inject a fake one in tests."""

LOGGER_NAME = "interpreta.outbound"
"""The name of the logger refusals (WARNING) and approvals (DEBUG) are written to."""

_HTTP_SCHEMES = frozenset({"http", "https"})
# Keyword arguments of `httpx.Client` that would bypass or silently disable the guard.
_FORBIDDEN_CLIENT_KWARGS = frozenset({"transport", "mounts", "proxy", "app", "cert"})
# NAT64 prefixes (RFC 6052, RFC 8215): the last 32 bits name an IPv4 address.
_NAT64_NETWORKS = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)


def _one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines included) collapsed to one space."""
    return " ".join(str(text).split())


def _normalize_host(host: str) -> str:
    """A host name or IP literal in the form hosts are compared in.

    Lower case, without a trailing dot or IPv6 brackets; IP literals in their compressed
    form, so that ``0:0::1`` and ``::1`` compare equal.
    """
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def _is_ip_literal(host: str) -> bool:
    """Whether `host` is an IP address rather than a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_public_address(address: str) -> bool:
    """Whether `address` (an IPv4 or IPv6 literal) is a public, globally routable address.

    False for private, loopback, link-local, multicast, reserved, unspecified, shared
    (carrier-grade NAT) and documentation addresses, for anything that is not an IP
    address at all, and for IPv6 forms that embed such an IPv4 address (IPv4-mapped,
    6to4, NAT64).
    """
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if ip.sixtofour is not None and not is_public_address(str(ip.sixtofour)):
            return False
        for network in _NAT64_NETWORKS:
            if ip in network:
                embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
                return network.prefixlen == 96 and is_public_address(str(embedded))
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve_with_getaddrinfo(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to for a TCP connection to `port`, in resolver order.

    The default `Resolver`; raises `OSError` (``socket.gaierror``) when the name does not
    resolve.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class Recipient:
    """A registered processor, and where and what it may receive.

    `hosts` are host names or IP literals, matched exactly and case-insensitively; a
    pattern ``*.example.com`` matches any subdomain of ``example.com`` (not ``example.com``
    itself). `categories` are the data categories its processing activity declares.
    `internal` marks operator-configured infrastructure (a local SMTP relay, a TURN server
    on the private network): only an internal recipient may resolve to a private,
    loopback or link-local address, and never through a user-supplied URL.
    `activities` are the processing activities it serves (empty: every activity).
    """

    name: str
    hosts: tuple[str, ...]
    categories: frozenset[str]
    internal: bool = False
    activities: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        """Normalize the host patterns and check that they are usable."""
        if isinstance(self.hosts, str):
            raise TypeError(f"recipient {self.name!r}: hosts must be a tuple, not a string")
        hosts = tuple(_normalize_host(host) for host in self.hosts)
        if not hosts:
            raise ValueError(f"recipient {self.name!r} has no hosts")
        for host in hosts:
            if _is_ip_literal(host):
                continue
            bare = host[2:] if host.startswith("*.") else host
            if not bare or "*" in bare or any(char.isspace() or char in "/:@[]" for char in bare):
                raise ValueError(f"recipient {self.name!r}: invalid host pattern {host!r}")
        object.__setattr__(self, "hosts", hosts)
        object.__setattr__(self, "categories", frozenset(self.categories))
        object.__setattr__(self, "activities", frozenset(self.activities))

    def match_length(self, host: str) -> int:
        """How specifically this recipient's hosts match `host` (normalized); 0 if not at all.

        An exact match beats any wildcard; among wildcards the longest suffix wins.
        """
        best = 0
        is_name = not _is_ip_literal(host)
        for pattern in self.hosts:
            if pattern == host:
                return len(pattern) + 1_000
            if is_name and pattern.startswith("*.") and host.endswith(pattern[1:]):
                best = max(best, len(pattern))
        return best


@dataclass(frozen=True)
class Transfer:
    """What one call wants to send: for which processing activity, which data categories,
    to which host and port, and whether the destination came from a user (a webhook or
    CalDAV URL typed by a customer)."""

    activity: str
    categories: frozenset[str]
    destination: str
    port: int
    user_supplied: bool

    def __post_init__(self) -> None:
        """Store the categories as a frozenset, whatever iterable was given."""
        object.__setattr__(self, "categories", frozenset(self.categories))


@dataclass(frozen=True)
class Approved:
    """A transfer the guard allowed: the recipient it goes to and the vetted addresses.

    Connect to `address` (or one of `addresses`), never to a fresh resolution of the
    name; for TLS, keep the name (``transfer.destination``) as the server name.
    """

    transfer: Transfer
    recipient: Recipient
    addresses: tuple[str, ...]

    @property
    def address(self) -> str:
        """The vetted address to connect to (the first one the resolver gave)."""
        return self.addresses[0]


class OutboundRefused(Exception):
    """A transfer the guard refused; the message is one line and names no personal data."""

    def __init__(self, destination: str, port: int | None, activity: str, reason: str) -> None:
        self.destination = _one_line(destination)
        self.port = port
        self.activity = _one_line(activity)
        self.reason = _one_line(reason)
        where = self.destination if port is None else f"{self.destination}:{port}"
        super().__init__(
            f"outbound transfer to {where} for activity {self.activity!r} refused: {self.reason}"
        )


class OutboundGuard:
    """Checks transfers of personal data against the registered processors.

    `recipients` are the registered processors; a host pattern may belong to only one of
    them. `resolver` turns a name into addresses (default: `resolve_with_getaddrinfo`);
    `logger` receives refusals at WARNING and approvals at DEBUG (default: the
    ``interpreta.outbound`` logger).
    """

    def __init__(
        self,
        recipients: Sequence[Recipient],
        *,
        resolver: Resolver | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        owners: dict[str, str] = {}
        for recipient in recipients:
            for host in recipient.hosts:
                if host in owners and owners[host] != recipient.name:
                    raise ValueError(
                        f"host {host!r} is registered for both {owners[host]!r} "
                        f"and {recipient.name!r}"
                    )
                owners[host] = recipient.name
        self._recipients = tuple(recipients)
        self._resolver: Resolver = resolver or resolve_with_getaddrinfo
        self._logger = logger or logging.getLogger(LOGGER_NAME)

    def with_recipients(self, recipients: Sequence[Recipient]) -> OutboundGuard:
        """A guard that allows `recipients` only (not this guard's), resolving and
        logging as this guard does: a transfer whose destination the customer chose
        (a webhook endpoint) may reach that destination and nothing else."""
        return OutboundGuard(recipients, resolver=self._resolver, logger=self._logger)

    @property
    def recipients(self) -> tuple[Recipient, ...]:
        """The registered processors this guard allows transfers to."""
        return self._recipients

    def recipient_for(self, host: str) -> Recipient | None:
        """The registered processor reached at `host`, or None when there is none."""
        name = _normalize_host(host)
        best: Recipient | None = None
        best_length = 0
        for recipient in self._recipients:
            length = recipient.match_length(name)
            if length > best_length:
                best, best_length = recipient, length
        return best

    def refuse(
        self, destination: str, port: int | None, activity: str, reason: str
    ) -> OutboundRefused:
        """Log a refusal at WARNING and return the exception to raise for it."""
        error = OutboundRefused(destination, port, activity, reason)
        self._logger.warning(
            "outbound refused: activity=%r destination=%s port=%s reason=%s",
            error.activity,
            error.destination,
            port,
            error.reason,
        )
        return error

    def check(self, transfer: Transfer) -> Approved:
        """Approve `transfer` or raise `OutboundRefused` (logged) saying why not.

        The destination must be a registered processor's host, every category must be
        declared for that processor, and the host must resolve only to public addresses
        (or, for an internal recipient and a destination not supplied by a user, to any
        address).
        """
        host = _normalize_host(transfer.destination)

        def refused(reason: str) -> OutboundRefused:
            return self.refuse(host or "(no host)", transfer.port, transfer.activity, reason)

        if not host:
            raise refused("no destination host")
        recipient = self.recipient_for(host)
        if recipient is None:
            raise refused("not a registered processor")
        if recipient.activities and transfer.activity not in recipient.activities:
            raise refused(f"processor {recipient.name!r} does not serve this activity")
        undeclared = transfer.categories - recipient.categories
        if undeclared:
            raise refused(
                f"categories {', '.join(sorted(undeclared))} not declared for "
                f"processor {recipient.name!r}"
            )
        addresses = self._resolve(host, transfer.port, refused)
        may_be_private = recipient.internal and not transfer.user_supplied
        if not may_be_private:
            for address in addresses:
                if not is_public_address(address):
                    why = "user-supplied destination" if recipient.internal else "destination"
                    raise refused(f"{why} resolves to non-public address {address}")
        approved = Approved(transfer=transfer, recipient=recipient, addresses=addresses)
        self._logger.debug(
            "outbound approved: activity=%r destination=%s port=%s processor=%r addresses=%s",
            transfer.activity,
            host,
            transfer.port,
            recipient.name,
            ",".join(addresses),
        )
        return approved

    def _resolve(
        self, host: str, port: int, refused: Callable[[str], OutboundRefused]
    ) -> tuple[str, ...]:
        """The addresses of `host` (itself if it is an IP literal), normalized and checked."""
        if _is_ip_literal(host):
            return (host,)
        try:
            answer = self._resolver(host, port)
        except (OSError, UnicodeError) as error:
            raise refused(f"destination could not be resolved ({type(error).__name__})") from None
        addresses: list[str] = []
        for raw in answer:
            try:
                address = str(ipaddress.ip_address(str(raw).strip("[]")))
            except ValueError:
                raise refused("resolver returned something that is not an IP address") from None
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise refused("destination could not be resolved (no addresses)")
        return tuple(addresses)

    def smtp_destination(
        self, activity: str, categories: Iterable[str], host: str, port: int
    ) -> Approved:
        """Check a connection to the SMTP relay at `host`:`port` (never user supplied).

        Connect to the returned `Approved.address`, and use `host` as the TLS server name.
        """
        return self.check(
            Transfer(
                activity=activity,
                categories=frozenset(categories),
                destination=host,
                port=port,
                user_supplied=False,
            )
        )

    def http_client(
        self,
        activity: str,
        categories: Iterable[str],
        *,
        user_supplied: bool,
        verify: ssl.SSLContext | bool = True,
        **client_kwargs: Any,
    ) -> httpx.Client:
        """An `httpx.Client` whose every request is checked as a transfer for `activity`.

        Each request, each redirect hop included, goes through `check` and connects to the
        vetted address (the ``Host`` header and TLS server name stay the URL's host). Only
        http and https are allowed. Redirects are not followed by default
        (``follow_redirects=False``); a caller that enables them still has every hop
        checked. `verify` configures TLS verification; `client_kwargs` go to
        `httpx.Client`, except those that would bypass the guard (``transport``,
        ``mounts``, ``proxy``, ``app``, ``cert``), which raise `TypeError`.
        """
        forbidden = sorted(_FORBIDDEN_CLIENT_KWARGS & client_kwargs.keys())
        if forbidden:
            raise TypeError(f"http_client() does not accept {', '.join(forbidden)}")
        client_kwargs.setdefault("follow_redirects", False)
        client_kwargs.setdefault("trust_env", False)
        transport = GuardedTransport(
            self, activity, categories, user_supplied=user_supplied, verify=verify
        )
        return httpx.Client(transport=transport, **client_kwargs)


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that checks each request with an `OutboundGuard` and pins it.

    The request is sent to the vetted IP address, with the ``Host`` header set to the
    URL's host (and port) and, for https, the TLS server name (SNI, certificate check) set
    to the URL's host. Each host gets its own connection pool, so a TLS connection made
    for one name is never reused for another name on the same address.
    """

    def __init__(
        self,
        guard: OutboundGuard,
        activity: str,
        categories: Iterable[str],
        *,
        user_supplied: bool,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._guard = guard
        self._activity = activity
        self._categories = frozenset(categories)
        self._user_supplied = user_supplied
        self._verify = verify
        self._pools: dict[tuple[str, str, int], httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Check `request`, then send it to the vetted address of its host."""
        url = request.url
        host = url.raw_host.decode("ascii")
        scheme = url.scheme.lower()
        port = url.port or (443 if scheme == "https" else 80)
        if scheme not in _HTTP_SCHEMES:
            raise self._guard.refuse(
                _normalize_host(host) or "(no host)",
                url.port,
                self._activity,
                f"scheme {_one_line(scheme)[:16]!r} is not http or https",
            )
        approved = self._guard.check(
            Transfer(
                activity=self._activity,
                categories=self._categories,
                destination=host,
                port=port,
                user_supplied=self._user_supplied,
            )
        )
        name = _normalize_host(host)
        headers = request.headers.copy()
        headers["Host"] = url.netloc.decode("ascii")
        extensions = dict(request.extensions)
        target = url
        if not _is_ip_literal(name):
            target = url.copy_with(host=approved.address)
            if scheme == "https":
                extensions["sni_hostname"] = name
        pinned = httpx.Request(
            request.method,
            target,
            headers=headers,
            stream=request.stream,
            extensions=extensions,
        )
        return self._pool(scheme, name, port).handle_request(pinned)

    def _pool(self, scheme: str, host: str, port: int) -> httpx.HTTPTransport:
        """The connection pool for one scheme, host name and port."""
        key = (scheme, host, port)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = httpx.HTTPTransport(verify=self._verify)
            return pool

    def close(self) -> None:
        """Close every connection pool."""
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.close()


def guard_for(settings: Settings) -> OutboundGuard:
    """The guard of a deployment: its processor register, those with hosts."""
    return OutboundGuard(
        [
            Recipient(
                name=p.name,
                hosts=tuple(p.hosts),
                categories=frozenset(p.categories),
                internal=p.internal,
                activities=frozenset(p.activities),
            )
            for p in settings.processors
            if p.hosts
        ]
    )
