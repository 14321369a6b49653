"""A small async client of the Janus API over its WebSocket transport.

One :class:`JanusSession` is one Janus session on one WebSocket: requests are matched to
their replies by transaction, a keepalive is sent while it is open, and everything Janus
sends that answers no request (``webrtcup``, ``media``, ``hangup``, ``detached``, plugin
events) goes to the listener of the handle it concerns. A :class:`JanusHandle` is one
attachment to a plugin: one peer connection, or the plane's own control handle.

Plugin requests come in two kinds. *Synchronous* ones (``create``, ``rtp_forward``,
``info`` ...) are answered at once: :meth:`JanusHandle.request`. *Asynchronous* ones
(``joinandconfigure``, ``configure``, ``watch``, ``start``, ``switch``) are acknowledged,
then answered by an event carrying the same transaction, with a JSEP when there is SDP:
:meth:`JanusHandle.message`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from interpreta.media.plane import MediaPlaneError

__all__ = [
    "JanusError",
    "JanusEvent",
    "JanusEventListener",
    "JanusHandle",
    "JanusSession",
    "open_socket",
]

logger = logging.getLogger(__name__)

Json = dict[str, Any]


class JanusError(MediaPlaneError):
    """Janus refused a request, or the connection to it is gone."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        "Janus's error code (core codes 4xx, plugin codes from 420 on), 0 for transport."
        self.reason = reason
        "Janus's explanation."


@dataclass(frozen=True, slots=True)
class JanusEvent:
    """Something Janus said about a handle without being asked."""

    kind: str
    "The ``janus`` field: ``webrtcup``, ``media``, ``hangup``, ``detached``, ``event`` ..."
    body: Json
    "The whole message."

    @property
    def plugin_data(self) -> Json:
        """The plugin's part of an ``event`` (``plugindata.data``), empty otherwise."""
        data: Json = self.body.get("plugindata", {}).get("data", {})
        return data


JanusEventListener = Callable[[JanusEvent], None]
"""Called with each unsolicited event of a handle, on the event loop."""


async def open_socket(url: str, protocol: str) -> ClientConnection:
    """A WebSocket to a Janus transport speaking ``protocol`` (``janus-protocol`` or
    ``janus-admin-protocol``)."""
    try:
        return await connect(
            url,
            subprotocols=[Subprotocol(protocol)],
            max_size=None,
            compression=None,
            proxy=None,
            open_timeout=5,
        )
    except (OSError, TimeoutError) as exc:
        raise JanusError(0, f"cannot reach Janus at {url}: {exc}") from exc


def _raise_for(reply: Json) -> None:
    if reply.get("janus") == "error":
        error = reply.get("error", {})
        raise JanusError(int(error.get("code", 0)), str(error.get("reason", "unknown error")))
    data = reply.get("plugindata", {}).get("data", {})
    if "error_code" in data or "error" in data:
        raise JanusError(int(data.get("error_code", 0)), str(data.get("error", "plugin error")))


class JanusSession:
    """One Janus session over one WebSocket.

    Open with :meth:`connect`; close with :meth:`close` (destroys the session, which
    detaches every handle and hangs up every peer connection of it).
    """

    def __init__(self, socket: ClientConnection, *, keepalive: float, timeout: float) -> None:
        """Use :meth:`connect`."""
        self._socket = socket
        self._keepalive_interval = keepalive
        self._timeout = timeout
        self._session_id: int | None = None
        self._pending: dict[str, tuple[asyncio.Future[Json], bool]] = {}
        self._listeners: dict[int, JanusEventListener] = {}
        self._numbers = itertools.count(1)
        self._prefix = secrets.token_hex(4)
        self._closed = False
        self._reader = asyncio.create_task(self._read())
        self._keeper: asyncio.Task[None] | None = None
        self.on_lost: Callable[[], None] | None = None
        "Called once if the connection to Janus drops while the session is open."

    @classmethod
    async def connect(
        cls, url: str, *, keepalive: float = 25.0, timeout: float = 10.0
    ) -> JanusSession:
        """Open a WebSocket to the Janus API at ``url`` and create a session on it.

        :param keepalive: seconds between keepalives (Janus drops a session after
            ``session_timeout``, 60 s by default, without one).
        :param timeout: seconds to wait for any reply.
        """
        session = cls(
            await open_socket(url, "janus-protocol"), keepalive=keepalive, timeout=timeout
        )
        try:
            reply = await session._send({"janus": "create"})
        except BaseException:
            await session._socket.close()
            raise
        session._session_id = int(reply["data"]["id"])
        session._keeper = asyncio.create_task(session._keep_alive())
        return session

    @property
    def session_id(self) -> int:
        """Janus's id of this session."""
        if self._session_id is None:
            raise JanusError(0, "no session")
        return self._session_id

    @property
    def closed(self) -> bool:
        """Whether the session is closed (by :meth:`close` or by losing the connection)."""
        return self._closed

    async def attach(self, plugin: str, listener: JanusEventListener | None = None) -> JanusHandle:
        """Attach to ``plugin`` (e.g. ``janus.plugin.videoroom``); events go to ``listener``."""
        reply = await self._send(
            {"janus": "attach", "plugin": plugin, "session_id": self.session_id}
        )
        handle = JanusHandle(self, int(reply["data"]["id"]))
        if listener is not None:
            self._listeners[handle.handle_id] = listener
        return handle

    async def close(self) -> None:
        """Destroy the session and close the WebSocket."""
        if self._closed:
            return
        with contextlib.suppress(JanusError):
            await self._send({"janus": "destroy", "session_id": self.session_id}, timeout=2.0)
        self._shut()
        await self._socket.close()
        for task in (self._reader, self._keeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    # --- used by the handles -------------------------------------------------------------

    async def _send(
        self, message: Json, *, ack: bool = False, timeout: float | None = None
    ) -> Json:
        """Send a request; the reply (``success`` or ``event``, or ``ack`` if ``ack``)."""
        if self._closed:
            raise JanusError(0, "the Janus session is closed")
        transaction = f"{self._prefix}-{next(self._numbers)}"
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = (future, ack)
        try:
            await self._socket.send(json.dumps({**message, "transaction": transaction}))
            reply = await asyncio.wait_for(future, timeout or self._timeout)
        except ConnectionClosed as exc:
            raise JanusError(0, "the connection to Janus closed") from exc
        except TimeoutError as exc:
            raise JanusError(0, f"Janus did not answer {message.get('janus')!r} in time") from exc
        finally:
            self._pending.pop(transaction, None)
        _raise_for(reply)
        return reply

    def _forget(self, handle_id: int) -> None:
        self._listeners.pop(handle_id, None)

    # --- background ------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for raw in self._socket:
                try:
                    message = json.loads(raw)
                except ValueError:
                    logger.warning("Janus sent something that is not JSON")
                    continue
                if isinstance(message, dict):
                    self._dispatch(message)
        except ConnectionClosed:
            pass
        finally:
            lost = not self._closed
            self._shut()
            if lost:
                logger.error("the connection to Janus was lost")
                if self.on_lost is not None:
                    self.on_lost()

    def _dispatch(self, message: Json) -> None:
        kind = message.get("janus")
        pending = self._pending.get(str(message.get("transaction", "")))
        if pending is not None:
            future, wants_ack = pending
            if kind != "ack" or wants_ack:
                if not future.done():
                    future.set_result(message)
                return
            if kind == "ack":
                return
        sender = message.get("sender")
        if kind == "timeout":
            logger.error("Janus timed the session out")
            return
        if sender is None:
            return
        listener = self._listeners.get(int(sender))
        if listener is None:
            return
        try:
            listener(JanusEvent(str(kind), message))
        except Exception:
            logger.exception("Janus event listener failed on %s", kind)

    async def _keep_alive(self) -> None:
        while not self._closed:
            await asyncio.sleep(self._keepalive_interval)
            try:
                await self._send({"janus": "keepalive", "session_id": self.session_id}, ack=True)
            except JanusError as exc:
                logger.warning("Janus keepalive failed: %s", exc)

    def _shut(self) -> None:
        self._closed = True
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(JanusError(0, "the connection to Janus closed"))
        self._pending.clear()


class JanusHandle:
    """One attachment of a :class:`JanusSession` to a plugin."""

    def __init__(self, session: JanusSession, handle_id: int) -> None:
        """Use :meth:`JanusSession.attach`."""
        self.session = session
        "The session it belongs to."
        self.handle_id = handle_id
        "Janus's id of this handle."

    async def request(self, body: Json) -> Json:
        """A synchronous plugin request; returns the plugin's answer (``plugindata.data``).

        :raises JanusError: Janus or the plugin refused it.
        """
        reply = await self.session._send(self._message(body))
        data: Json = reply.get("plugindata", {}).get("data", {})
        return data

    async def message(
        self, body: Json, jsep: Json | None = None, *, timeout: float | None = None
    ) -> tuple[Json, Json | None]:
        """An asynchronous plugin request; returns the plugin's answer and its JSEP, if any.

        :raises JanusError: Janus or the plugin refused it.
        """
        message = self._message(body)
        if jsep is not None:
            message["jsep"] = jsep
        reply = await self.session._send(message, timeout=timeout)
        data: Json = reply.get("plugindata", {}).get("data", {})
        answer: Json | None = reply.get("jsep")
        return data, answer

    async def hangup(self) -> None:
        """Close the handle's peer connection, keeping the handle."""
        await self.session._send(self._core("hangup"))

    async def detach(self) -> None:
        """Detach from the plugin: the handle and its peer connection are gone."""
        try:
            await self.session._send(self._core("detach"))
        finally:
            self.session._forget(self.handle_id)

    def _core(self, request: str) -> Json:
        return {
            "janus": request,
            "session_id": self.session.session_id,
            "handle_id": self.handle_id,
        }

    def _message(self, body: Json) -> Json:
        return {**self._core("message"), "body": body}
