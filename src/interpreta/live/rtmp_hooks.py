"""nginx-rtmp's notifications, on a loopback port of the app process.

nginx's RTMP module asks an HTTP URL before it accepts a stream (``on_publish``), tells
it when one ends (``on_publish_done``) and asks again while it runs (``on_update``): a
``POST`` of form fields (``call``, ``app``, ``name``: the stream key, ``addr``: the
encoder's address, and the stream key's own query arguments). A 2xx answer lets the
stream go on; anything else ends it.

The app does not take these on its public server: that one may serve HTTPS only, behind
a balancer, on another address; nginx speaks plain HTTP/1.0 to an address on this
machine. So each node listens for them on a port of its own on loopback, chosen by the
system, which only the node's nginx is told about. The listener reads one small request
per connection (bounded in size and time), hands the form to the hook, and answers
``200`` or ``403``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

__all__ = ["MAX_REQUEST", "Hook", "HookListener"]

log = logging.getLogger(__name__)

Hook = Callable[[dict[str, str]], Awaitable[bool]]
"""Answers one notification's form fields: True lets the stream go on."""

MAX_REQUEST = 16 * 1024
"""The largest request taken (nginx's are well under 1 KiB)."""

READ_TIMEOUT = 5.0
"""Seconds a request may take to arrive."""

_OK = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_REFUSED = b"HTTP/1.0 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_BAD = b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class BadRequest(ValueError):
    """Not a request this listener takes."""


class HookListener:
    """A loopback HTTP listener for nginx-rtmp's notifications."""

    def __init__(self, hook: Hook, host: str = "127.0.0.1") -> None:
        self._hook = hook
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """The base URL nginx posts to."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen on a free port of `host`."""
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                fields = await asyncio.wait_for(_read_form(reader), READ_TIMEOUT)
            except (BadRequest, TimeoutError, asyncio.IncompleteReadError, UnicodeDecodeError):
                writer.write(_BAD)
                return
            try:
                allowed = await self._hook(fields)
            except Exception:
                log.exception("the RTMP hook failed on %s", fields.get("call"))
                allowed = False
            writer.write(_OK if allowed else _REFUSED)
        finally:
            with contextlib.suppress(Exception):
                await writer.drain()
                writer.close()
                await writer.wait_closed()


async def _read_form(reader: asyncio.StreamReader) -> dict[str, str]:
    """One ``POST`` request's form fields (and the path's last segment as ``hook``)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as exc:
        raise BadRequest("the request head is too long") from exc
    if len(head) > MAX_REQUEST:
        raise BadRequest("the request head is too long")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[0] != "POST" or not parts[2].startswith("HTTP/1."):
        raise BadRequest("not an HTTP/1 POST")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_REQUEST:
        raise BadRequest("no or too large a Content-Length")
    body = await reader.readexactly(int(length))
    fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    fields["hook"] = parts[1].rsplit("/", 1)[-1]
    return fields
