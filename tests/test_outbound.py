"""The outbound guard (privacy promise P07): only registered processors, declared categories,
public addresses unless operator-configured, and connections pinned to the vetted address."""

from __future__ import annotations

import http.server
import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from interpreta.outbound import (
    Approved,
    OutboundGuard,
    OutboundRefused,
    Recipient,
    Transfer,
    is_public_address,
)
from tests.certificates import self_signed

PUBLIC_IP = "93.184.216.34"
MAILER = Recipient(
    name="Mail relay",
    hosts=("relay.test", "127.0.0.1"),
    categories=frozenset({"identifiers", "communications"}),
    internal=True,
)
CALENDAR = Recipient(
    name="Calendar host",
    hosts=("*.calendar.example", "caldav.example"),
    categories=frozenset({"identifiers", "schedule"}),
)


class FakeResolver:
    """Answers from `table` (from `later` once a name has been answered) and counts calls."""

    def __init__(
        self, table: dict[str, list[str]], later: dict[str, list[str]] | None = None
    ) -> None:
        self.table = table
        self.later = later or {}
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        answered = any(name == host for name, _port in self.calls)
        self.calls.append((host, port))
        if answered and host in self.later:
            return list(self.later[host])
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.table[host])


def transfer(
    destination: str,
    *,
    categories: frozenset[str] = frozenset({"identifiers"}),
    port: int = 443,
    user_supplied: bool = False,
    activity: str = "calendar-sync",
) -> Transfer:
    return Transfer(
        activity=activity,
        categories=categories,
        destination=destination,
        port=port,
        user_supplied=user_supplied,
    )


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "interpreta.outbound" and record.levelno == logging.WARNING
    ]


# --- check -----------------------------------------------------------------------------------


def test_unregistered_host_is_refused_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    resolver = FakeResolver({"tracker.example": [PUBLIC_IP]})
    guard = OutboundGuard([CALENDAR], resolver=resolver)

    with (
        caplog.at_level(logging.DEBUG, logger="interpreta.outbound"),
        pytest.raises(OutboundRefused, match="not a registered processor") as refused,
    ):
        guard.check(transfer("Tracker.Example"))

    assert refused.value.destination == "tracker.example"
    assert refused.value.activity == "calendar-sync"
    assert "tracker.example:443" in str(refused.value)
    assert resolver.calls == []  # nothing about the transfer leaks, not even a DNS query
    [record] = refusals(caplog)
    message = record.getMessage()
    assert "calendar-sync" in message
    assert "tracker.example" in message
    assert "not a registered processor" in message


def test_category_not_declared_is_refused_naming_only_the_undeclared_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = OutboundGuard([CALENDAR], resolver=FakeResolver({"caldav.example": [PUBLIC_IP]}))
    wanted = frozenset({"identifiers", "health", "communications"})

    with (
        caplog.at_level(logging.WARNING, logger="interpreta.outbound"),
        pytest.raises(OutboundRefused) as refused,
    ):
        guard.check(transfer("caldav.example", categories=wanted))

    assert "communications, health not declared" in refused.value.reason
    assert "identifiers" not in refused.value.reason
    assert len(refusals(caplog)) == 1


def test_registered_public_host_is_approved_and_logged_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    resolver = FakeResolver({"team.calendar.example": [PUBLIC_IP, "2606:4700::1111"]})
    guard = OutboundGuard([MAILER, CALENDAR], resolver=resolver)

    with caplog.at_level(logging.DEBUG, logger="interpreta.outbound"):
        approved = guard.check(
            transfer("TEAM.calendar.example.", categories=frozenset({"schedule"}))
        )

    assert approved.recipient is CALENDAR
    assert approved.addresses == (PUBLIC_IP, "2606:4700::1111")
    assert approved.address == PUBLIC_IP
    assert resolver.calls == [("team.calendar.example", 443)]
    assert refusals(caplog) == []
    assert any(
        record.levelno == logging.DEBUG and "approved" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.parametrize(
    ("host", "registered"),
    [
        ("caldav.example", True),
        ("a.calendar.example", True),
        ("a.b.calendar.example", True),
        ("calendar.example", False),  # the wildcard covers subdomains only
        ("evilcalendar.example", False),
        ("caldav.example.evil.test", False),
    ],
)
def test_host_matching(host: str, registered: bool) -> None:
    guard = OutboundGuard([CALENDAR], resolver=FakeResolver({host: [PUBLIC_IP]}))
    if registered:
        assert guard.check(transfer(host)).recipient is CALENDAR
    else:
        with pytest.raises(OutboundRefused, match="not a registered processor"):
            guard.check(transfer(host))


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "::ffff:127.0.0.1", "0.0.0.0"],
)
def test_user_supplied_url_never_reaches_a_private_address(
    address: str, caplog: pytest.LogCaptureFixture
) -> None:
    resolver = FakeResolver({"relay.test": [address]})
    guard = OutboundGuard([MAILER], resolver=resolver)

    with (
        caplog.at_level(logging.WARNING, logger="interpreta.outbound"),
        pytest.raises(OutboundRefused, match="non-public address"),
    ):
        guard.check(transfer("relay.test", user_supplied=True))

    assert len(refusals(caplog)) == 1
    # Not user supplied, the same internal recipient may use it.
    assert guard.check(transfer("relay.test")).address == str(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["127.0.0.1", "192.168.1.10", "fd00::1", "::ffff:10.0.0.1"])
def test_a_recipient_that_is_not_internal_never_reaches_a_private_address(address: str) -> None:
    guard = OutboundGuard([CALENDAR], resolver=FakeResolver({"caldav.example": [address]}))
    with pytest.raises(OutboundRefused, match="non-public address"):
        guard.check(transfer("caldav.example"))


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    resolver = FakeResolver({"caldav.example": [PUBLIC_IP, "127.0.0.1"]})
    guard = OutboundGuard([CALENDAR], resolver=resolver)
    with pytest.raises(OutboundRefused, match=r"non-public address 127\.0\.0\.1"):
        guard.check(transfer("caldav.example"))


def test_ip_literal_destination_is_not_resolved_and_user_supplied_literal_is_refused() -> None:
    resolver = FakeResolver({})
    guard = OutboundGuard([MAILER], resolver=resolver)

    approved = guard.smtp_destination("mail", {"communications"}, "127.0.0.1", 25)

    assert approved.recipient is MAILER
    assert approved.addresses == ("127.0.0.1",)
    assert resolver.calls == []
    with pytest.raises(OutboundRefused, match="non-public"):
        guard.check(transfer("127.0.0.1", user_supplied=True))


def test_smtp_destination_checks_categories() -> None:
    guard = OutboundGuard([MAILER], resolver=FakeResolver({"relay.test": ["127.0.0.1"]}))
    assert guard.smtp_destination("mail", {"communications"}, "relay.test", 587).address == (
        "127.0.0.1"
    )
    with pytest.raises(OutboundRefused, match="schedule not declared"):
        guard.smtp_destination("mail", {"schedule"}, "relay.test", 587)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [(None, r"could not be resolved \(gaierror\)"), ([], r"no addresses"), (["x"], "not an IP")],
)
def test_unresolvable_host_is_refused(answer: list[str] | None, reason: str) -> None:
    table: dict[str, list[str]] = {}
    if answer is not None:
        table["caldav.example"] = answer
    guard = OutboundGuard([CALENDAR], resolver=FakeResolver(table))
    with pytest.raises(OutboundRefused, match=reason):
        guard.check(transfer("caldav.example"))


def test_a_host_belongs_to_one_processor_only() -> None:
    twin = Recipient(name="Other", hosts=("CALDAV.example",), categories=frozenset())
    with pytest.raises(ValueError, match=r"caldav\.example"):
        OutboundGuard([CALENDAR, twin])


@pytest.mark.parametrize("pattern", ["*", "*.", "a*.example", "http://x.example", "x.example/a"])
def test_invalid_host_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(ValueError, match="invalid host pattern"):
        Recipient(name="Bad", hosts=(pattern,), categories=frozenset())


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("::ffff:93.184.216.34", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("224.0.0.251", False),
        ("239.1.2.3", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fd12:3456::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::127.0.0.1", False),  # IPv4-compatible, deprecated
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 around 169.254.169.254
        ("64:ff9b::5db8:d822", True),  # NAT64 around 93.184.216.34
        ("localhost", False),
        ("", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_refusal_message_is_one_line_and_carries_no_request_data() -> None:
    guard = OutboundGuard([CALENDAR], resolver=FakeResolver({}))
    with (
        guard.http_client("webhook", {"identifiers"}, user_supplied=True) as client,
        pytest.raises(OutboundRefused) as refused,
    ):
        client.post(
            "https://hooks.example/alice@example.org?token=s3cret",
            content=b"Alice Example, alice@example.org",
        )
    message = str(refused.value)
    assert "\n" not in message
    assert "hooks.example" in message
    assert "alice" not in message
    assert "s3cret" not in message


def test_refusal_message_collapses_line_breaks() -> None:
    error = OutboundRefused("x.example", 443, "act\nivity", "first\nsecond")
    assert str(error) == "outbound transfer to x.example:443 for activity 'act ivity' refused: " + (
        "first second"
    )


# --- HTTP: a real server on 127.0.0.1 ------------------------------------------------------


@dataclass
class Server:
    port: int
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        state: Server = self.server.state  # type: ignore[attr-defined]
        state.seen.append((self.path, self.headers.get("Host")))
        if self.path.startswith("/redirect"):
            target = self.path.partition("?to=")[2]
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(wrap: Callable[[socket.socket, Server], socket.socket] | None = None) -> Iterator[Server]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Server(port=httpd.server_address[1])
    httpd.state = state  # type: ignore[attr-defined]
    if wrap is not None:
        httpd.socket = wrap(httpd.socket, state)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from serve()


@dataclass
class Tls:
    server: Server
    client_context: ssl.SSLContext


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Tls]:
    """An https server on 127.0.0.1 whose certificate names only ``relay.test``."""
    cert, private = self_signed(tmp_path, "relay.test")
    cert_pem = cert.read_bytes()

    def wrap(sock: socket.socket, state: Server) -> socket.socket:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, private)

        def remember(_sock: object, server_name: str | None, _context: object) -> None:
            state.server_names.append(server_name)

        context.sni_callback = remember  # type: ignore[assignment]
        return context.wrap_socket(sock, server_side=True)

    client_context = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    for state in serve(wrap):
        yield Tls(server=state, client_context=client_context)


def test_request_is_pinned_to_the_vetted_address_with_the_name_as_host(server: Server) -> None:
    # relay.test does not resolve on this machine: reaching the server at all proves the
    # connection went to the address the guard vetted rather than to a new resolution.
    resolver = FakeResolver({"relay.test": ["127.0.0.1"]})
    guard = OutboundGuard([MAILER], resolver=resolver)

    with guard.http_client("mail", {"communications"}, user_supplied=False) as client:
        response = client.get(f"http://relay.test:{server.port}/status?x=1")

    assert response.status_code == 200
    assert response.text == "hello"
    assert str(response.request.url) == f"http://relay.test:{server.port}/status?x=1"
    assert server.seen == [("/status?x=1", f"relay.test:{server.port}")]
    assert resolver.calls == [("relay.test", server.port)]


def test_a_host_header_cannot_point_the_pinned_connection_elsewhere(server: Server) -> None:
    guard = OutboundGuard([MAILER], resolver=FakeResolver({"relay.test": ["127.0.0.1"]}))
    with guard.http_client("mail", {"communications"}, user_supplied=False) as client:
        client.get(f"http://relay.test:{server.port}/", headers={"Host": "admin.internal"})
    assert server.seen == [("/", f"relay.test:{server.port}")]


def test_https_keeps_the_name_for_sni_and_certificate_check(tls_server: Tls) -> None:
    port = tls_server.server.port
    guard = OutboundGuard([MAILER], resolver=FakeResolver({"relay.test": ["127.0.0.1"]}))

    with guard.http_client(
        "mail", {"communications"}, user_supplied=False, verify=tls_server.client_context
    ) as client:
        response = client.get(f"https://relay.test:{port}/")

    assert response.status_code == 200
    assert tls_server.server.server_names == ["relay.test"]
    assert tls_server.server.seen == [("/", f"relay.test:{port}")]


def test_same_user_supplied_url_is_refused_when_it_resolves_to_loopback(server: Server) -> None:
    guard = OutboundGuard([MAILER], resolver=FakeResolver({"relay.test": ["127.0.0.1"]}))
    with guard.http_client("webhook", {"identifiers"}, user_supplied=True) as client:
        for url in (f"http://relay.test:{server.port}/", f"http://127.0.0.1:{server.port}/"):
            with pytest.raises(OutboundRefused, match=r"non-public address 127\.0\.0\.1"):
                client.get(url)
    assert server.seen == []


def test_redirect_to_an_unregistered_host_is_not_followed(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    guard = OutboundGuard([MAILER], resolver=FakeResolver({"relay.test": ["127.0.0.1"]}))
    url = f"http://relay.test:{server.port}/redirect?to=http://metadata.evil.test/latest"

    with guard.http_client("mail", {"communications"}, user_supplied=False) as client:
        response = client.get(url)
        assert response.status_code == 302
        assert response.next_request is not None  # left to the caller, not followed

        # A caller that turns redirects on still has every hop checked.
        with (
            caplog.at_level(logging.WARNING, logger="interpreta.outbound"),
            pytest.raises(OutboundRefused, match="not a registered processor") as refused,
        ):
            client.get(url, follow_redirects=True)

    assert refused.value.destination == "metadata.evil.test"
    assert len(refusals(caplog)) == 1
    assert [path for path, _host in server.seen] == [url.split(str(server.port))[1]] * 2


def test_redirect_to_a_registered_host_is_checked_and_followed(server: Server) -> None:
    resolver = FakeResolver({"relay.test": ["127.0.0.1"]})
    guard = OutboundGuard([MAILER], resolver=resolver)
    url = f"http://relay.test:{server.port}/redirect?to=/final"

    with guard.http_client(
        "mail", {"communications"}, user_supplied=False, follow_redirects=True
    ) as client:
        response = client.get(url)

    assert response.status_code == 200
    assert [path for path, _host in server.seen] == ["/redirect?to=/final", "/final"]
    assert len(resolver.calls) == 2


@pytest.mark.parametrize("url", ["ftp://relay.test/file", "file:///etc/passwd"])
def test_non_http_scheme_is_refused(url: str, caplog: pytest.LogCaptureFixture) -> None:
    resolver = FakeResolver({"relay.test": ["127.0.0.1"]})
    guard = OutboundGuard([MAILER], resolver=resolver)
    with (
        guard.http_client("mail", {"communications"}, user_supplied=False) as client,
        caplog.at_level(logging.WARNING, logger="interpreta.outbound"),
        pytest.raises(OutboundRefused, match="is not http or https"),
    ):
        client.get(url)
    assert len(refusals(caplog)) == 1
    assert resolver.calls == []


@pytest.mark.parametrize("argument", ["transport", "mounts", "proxy", "cert"])
def test_http_client_rejects_arguments_that_would_bypass_the_guard(argument: str) -> None:
    guard = OutboundGuard([MAILER])
    bypass: dict[str, Any] = {argument: None}
    with pytest.raises(TypeError, match=argument):
        guard.http_client("mail", {"communications"}, user_supplied=False, **bypass)


# --- DNS rebinding -------------------------------------------------------------------------


def capture(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Replace httpx's network transport: record what would be sent where, answer 204."""
    requests: list[httpx.Request] = []

    def handle_request(_transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(204, request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return requests


def test_dns_rebinding_after_the_check_cannot_reach_another_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first answer is public, every later one is loopback (a rebinding attacker).
    resolver = FakeResolver(
        {"hooks.calendar.example": [PUBLIC_IP]}, later={"hooks.calendar.example": ["127.0.0.1"]}
    )
    guard = OutboundGuard([CALENDAR], resolver=resolver)
    captured = capture(monkeypatch)

    with guard.http_client("webhook", {"identifiers"}, user_supplied=True) as client:
        response = client.get("https://hooks.calendar.example/h/1")
        assert response.status_code == 204
        with pytest.raises(OutboundRefused, match=r"non-public address 127\.0\.0\.1"):
            client.get("https://hooks.calendar.example/h/2")

    [sent] = captured
    assert sent.url == httpx.URL(f"https://{PUBLIC_IP}/h/1")
    assert sent.headers["Host"] == "hooks.calendar.example"
    assert sent.extensions["sni_hostname"] == "hooks.calendar.example"
    assert resolver.calls == [("hooks.calendar.example", 443)] * 2


def test_ipv6_vetted_address_is_bracketed(monkeypatch: pytest.MonkeyPatch) -> None:
    guard = OutboundGuard([CALENDAR], resolver=FakeResolver({"caldav.example": ["2606:4700::1"]}))
    captured = capture(monkeypatch)

    with guard.http_client("calendar-sync", {"schedule"}, user_supplied=True) as client:
        client.get("http://caldav.example:8080/dav/")

    [sent] = captured
    assert sent.url == httpx.URL("http://[2606:4700::1]:8080/dav/")
    assert sent.headers["Host"] == "caldav.example:8080"
    assert "sni_hostname" not in sent.extensions


def test_approved_is_what_check_returns() -> None:
    guard = OutboundGuard([MAILER], resolver=FakeResolver({"relay.test": ["::1"]}))
    approved = guard.check(transfer("relay.test", categories=frozenset({"communications"})))
    assert approved == Approved(
        transfer=transfer("relay.test", categories=frozenset({"communications"})),
        recipient=MAILER,
        addresses=("::1",),
    )
