"""A test client of the signaling WebSocket that aiortc test peers can use as a plane.

``publish`` and ``subscribe`` have the media plane's signatures, so the media test
kit's ``start_publisher``/``start_subscriber`` work through real signaling.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from ssl import SSLContext
from typing import Any

import websockets


class SignalingError(Exception):
    """The server answered a request with an error message."""

    def __init__(self, reply: dict[str, Any]) -> None:
        super().__init__(f"{reply.get('code')}: {reply.get('message')}")
        self.code = reply.get("code")
        self.reply = reply


class LiveClient:
    """One WebSocket session in a live event."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())
        self.welcome: dict[str, Any] = {}

    @classmethod
    async def join(
        cls,
        base_url: str,
        code: str,
        *,
        cookie: str | None = None,
        ssl: SSLContext | None = None,
        language: str | None = None,
        **join: Any,
    ) -> LiveClient:
        """Connect and join (over TLS with `ssl` when `base_url` is https; in `language`,
        as a browser's Accept-Language asks); raises SignalingError when the join is
        refused."""
        url = base_url.replace("http", "ws", 1) + f"/api/live/{code}"
        headers = {"Cookie": f"interpreta_session={cookie}"} if cookie else {}
        if language is not None:
            headers["Accept-Language"] = language
        ws = await websockets.connect(url, additional_headers=headers, ssl=ssl)
        await ws.send(json.dumps({"type": "join", **join}))
        first = json.loads(await ws.recv())
        if first["type"] != "welcome":
            await ws.close()
            raise SignalingError(first)
        client = cls(ws)
        client.welcome = first
        return client

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                self.messages.append(message)
                waiter = self._waiters.pop(message.get("id") or -1, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(message)
        except websockets.ConnectionClosed:
            pass

    async def request(self, message: dict[str, Any], timeout: float = 15) -> dict[str, Any]:
        """Send a request and wait for its reply; raise SignalingError on an error reply."""
        request_id = next(self._ids)
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[request_id] = waiter
        await self.ws.send(json.dumps({**message, "id": request_id}))
        reply = await asyncio.wait_for(waiter, timeout)
        if reply["type"] == "error":
            raise SignalingError(reply)
        return reply

    async def publish(self, _channel_id: str, _peer_id: str, offer_sdp: str) -> str:
        """The media plane's publish, through signaling (the server picks the channel)."""
        return str((await self.request({"type": "publish", "sdp": offer_sdp}))["sdp"])

    async def subscribe(self, channel_id: str, _peer_id: str, offer_sdp: str) -> str:
        """The media plane's subscribe, through signaling."""
        reply = await self.request(
            {"type": "subscribe", "channel_id": int(channel_id), "sdp": offer_sdp}
        )
        return str(reply["sdp"])

    async def next_message(self, kind: str, timeout: float = 5, after: int = 0) -> dict[str, Any]:
        """The first message of `kind` at or after index `after` (waiting for it)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for message in self.messages[after:]:
                if message.get("type") == kind:
                    return message
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {kind!r} message; got {[m.get('type') for m in self.messages]}")

    async def latest_state(self, predicate: Any, timeout: float = 5) -> dict[str, Any]:
        """Wait until the latest 'state' message satisfies `predicate`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            states = [m for m in self.messages if m.get("type") == "state"]
            if states and predicate(states[-1]):
                return states[-1]
            await asyncio.sleep(0.02)
        raise AssertionError("state never matched")

    async def close(self) -> None:
        """Leave the event."""
        await self.ws.close()
        self._reader.cancel()


class InSlot:
    """A LiveClient seen as a media plane whose subscriptions take another slot: ``under``
    (the floor beneath the interpretation) or a floor's lane (``lane1``...)."""

    def __init__(self, client: LiveClient, slot: str) -> None:
        self.client = client
        self.slot = slot

    async def subscribe(self, channel_id: str, _peer_id: str, offer_sdp: str) -> str:
        """Subscribe in this slot, through signaling."""
        reply = await self.client.request(
            {
                "type": "subscribe",
                "channel_id": int(channel_id),
                "slot": self.slot,
                "sdp": offer_sdp,
            }
        )
        return str(reply["sdp"])


class VideoSignaling:
    """A plane-like face of a live session for the video test peers: ``publish`` sends a
    feed of one kind, ``subscribe`` watches a feed (the channel id) in a slot (the peer
    id)."""

    def __init__(self, client: LiveClient, kind: str = "camera") -> None:
        self.client = client
        self.kind = kind

    async def publish(self, _channel_id: str, _peer_id: str, offer_sdp: str) -> str:
        """Send this kind of feed."""
        reply = await self.client.request(
            {"type": "video.send", "kind": self.kind, "sdp": offer_sdp}
        )
        return str(reply["sdp"])

    async def subscribe(self, feed: str, slot: str, offer_sdp: str) -> str:
        """Watch `feed` in `slot`."""
        reply = await self.client.request(
            {"type": "video.watch", "slot": slot, "feed": feed, "sdp": offer_sdp}
        )
        return str(reply["sdp"])
