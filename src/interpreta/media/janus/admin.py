"""The Janus Admin API, for the one thing the Janus API does not tell: packet counters.

``handle_info`` describes one handle: its ICE and DTLS state and, per m-line, the packets
and bytes it received and sent (``stats``), and what its RTCP context made of the
incoming stream (``rtcp.main``: packets lost, jitter). :func:`packet_counters` sums those
up; :class:`JanusAdmin` asks for them over the Admin API's WebSocket transport
(``janus-admin-protocol``, authenticated by the ``admin_secret`` of ``janus.jcfg``).

What Janus 1.1.2 reports there (``janus_admin_peerconnection_medium_summary`` and
``rtcp.c``):

* ``lost``: packets lost by RFC 3550's count (expected from the highest sequence number,
  less received), added up each time Janus sends the peer a receiver report (about once
  a second), never less than zero;
* ``jitter-local``: RFC 3550 interarrival jitter of the incoming packets, computed in RTP
  timestamp units and reported in whole **milliseconds**, rounded down
  (``jitter / (base / 1000)``, ``base`` being the stream's clock rate). It is converted
  to seconds here; 1 ms is its resolution.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from interpreta.media.janus.api import JanusError, open_socket

__all__ = ["JITTER_UNIT", "JanusAdmin", "PacketCounters", "packet_counters"]


@dataclass(frozen=True, slots=True)
class PacketCounters:
    """What one handle's peer connection received and sent, over all its m-lines."""

    packets_in: int = 0
    "RTP packets received."
    bytes_in: int = 0
    "Bytes of those packets."
    packets_out: int = 0
    "RTP packets sent."
    bytes_out: int = 0
    "Bytes of those packets."
    packets_lost: int = 0
    "Received packets' loss, as Janus counted it (RFC 3550), over all m-lines."
    jitter: float | None = None
    """Interarrival jitter of the received packets in seconds (the largest of the m-lines
    that received two packets or more), ``None`` if none did."""


JITTER_UNIT = 0.001
"""Seconds per unit of Janus's ``jitter-local`` (whole milliseconds)."""


def packet_counters(info: dict[str, Any]) -> PacketCounters:
    """Sum the per-m-line ``stats`` and ``rtcp`` of a ``handle_info`` answer's ``info``."""
    totals = [0, 0, 0, 0, 0]
    jitters: list[float] = []
    media = info.get("webrtc", {}).get("media", {})
    for medium in media.values() if isinstance(media, dict) else ():
        stats = medium.get("stats", {})
        incoming, outgoing = stats.get("in", {}), stats.get("out", {})
        rtcp = medium.get("rtcp", {}).get("main", {})
        for index, value in enumerate(
            (
                incoming.get("packets", 0),
                incoming.get("bytes", 0),
                outgoing.get("packets", 0),
                outgoing.get("bytes", 0),
                rtcp.get("lost", 0),
            )
        ):
            totals[index] += int(value or 0)
        if int(incoming.get("packets", 0) or 0) >= 2 and "jitter-local" in rtcp:
            jitters.append(int(rtcp["jitter-local"] or 0) * JITTER_UNIT)
    packets_in, bytes_in, packets_out, bytes_out, lost = totals
    return PacketCounters(
        packets_in, bytes_in, packets_out, bytes_out, lost, max(jitters, default=None)
    )


class JanusAdmin:
    """A connection to the Janus Admin API; one request at a time."""

    def __init__(self, url: str, secret: str, *, timeout: float = 5.0) -> None:
        """
        :param url: the Admin API's WebSocket, e.g. ``ws://127.0.0.1:7188``.
        :param secret: Janus's ``admin_secret``.
        :param timeout: seconds to wait for an answer.
        """
        self._url = url
        self._secret = secret
        self._timeout = timeout
        self._socket: ClientConnection | None = None
        self._lock = asyncio.Lock()
        self._numbers = itertools.count(1)

    async def handle_info(self, session_id: int, handle_id: int) -> dict[str, Any]:
        """The ``info`` object of ``handle_info`` for one handle.

        :raises JanusError: the handle is gone, or the Admin API refused or is unreachable.
        """
        request = {"janus": "handle_info", "session_id": session_id, "handle_id": handle_id}
        reply = await self._request(request)
        info: dict[str, Any] = reply.get("info", {})
        return info

    async def list_sessions(self) -> list[int]:
        """The ids of the server's sessions.

        :raises JanusError: the Admin API refused or is unreachable.
        """
        reply = await self._request({"janus": "list_sessions"})
        return [int(session) for session in reply.get("sessions", [])]

    async def list_handles(self, session_id: int) -> list[int]:
        """The ids of a session's handles.

        :raises JanusError: the session is gone, or the Admin API refused or is unreachable.
        """
        reply = await self._request({"janus": "list_handles", "session_id": session_id})
        return [int(handle) for handle in reply.get("handles", [])]

    async def close(self) -> None:
        """Close the connection (a later request opens a new one)."""
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close()

    async def _request(self, message: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            if self._socket is None:
                self._socket = await open_socket(self._url, "janus-admin-protocol")
            transaction = f"admin-{next(self._numbers)}"
            payload = {**message, "admin_secret": self._secret, "transaction": transaction}
            try:
                await self._socket.send(json.dumps(payload))
                async with asyncio.timeout(self._timeout):
                    while True:
                        reply: dict[str, Any] = json.loads(await self._socket.recv())
                        if reply.get("transaction") == transaction:
                            break
            except (ConnectionClosed, TimeoutError) as exc:
                with contextlib.suppress(Exception):
                    await self._socket.close()
                self._socket = None
                raise JanusError(0, f"the Janus Admin API did not answer: {exc!r}") from exc
        if reply.get("janus") == "error":
            error = reply.get("error", {})
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "admin error")))
        return reply
