"""Clients that behave as the live pages do when their app node dies.

When the signaling socket drops, they reconnect (after 300 ms, then backing off, as
``session.js`` does) with ``resume``, through the balancer, to whichever node it picks.
Their media is made before it is broken, as the pages do: a listener subscribes again
and closes its old peer connection only once the new one receives; an interpreter
publishes again and the server moves the booth's channel to the new microphone. Meanwhile
the old peer connections keep flowing: Janus keeps a dead node's sessions for a while.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from ssl import SSLContext
from typing import Any

import httpx

from interpreta import demo
from tests.cluster.deployment import Cluster
from tests.live.live_client import LiveClient
from tests.media.media_testkit import (
    ListeningSubscriber,
    TonePublisher,
    start_publisher,
    start_subscriber,
)

INTERPRETER = demo.INTERPRETERS[0][0]
"The demo's first German interpreter (her email)."
BACKOFF = (0.3, 0.7, 1.5, 3.0)
"Seconds before each reconnect attempt (``session.js``'s first steps)."


@dataclass
class Rejoining:
    """One live session that rejoins after a drop; `on_welcome` runs after each join."""

    url: str
    code: str
    join: dict[str, Any]
    ssl: SSLContext
    cookie: str | None = None
    on_welcome: Callable[[Rejoining, bool], Awaitable[None]] | None = None
    "Makes the media after a join (``again``: a rejoin) and after the server reported it lost."
    client: LiveClient | None = None
    welcomes: list[float] = field(default_factory=list)
    "When each welcome came (monotonic seconds)."
    drops: list[float] = field(default_factory=list)
    "When each drop was noticed."
    states: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    "Every state message, with when it came, across connections."
    losses: list[float] = field(default_factory=list)
    "When the server reported the media lost (its Janus died)."
    errors: list[BaseException] = field(default_factory=list)
    "What failed in `on_welcome` after a rejoin (the test reports them)."
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Join, and keep rejoining until :meth:`close`."""
        await self._join(again=False)
        self._task = asyncio.create_task(self._watch())

    async def _join(self, *, again: bool) -> None:
        resume = {"resume": self.client.welcome["participant"]} if self.client else {}
        client = await LiveClient.join(
            self.url, self.code, cookie=self.cookie, ssl=self.ssl, **self.join, **resume
        )
        self.client = client
        self.welcomes.append(time.monotonic())
        self.states.append((time.monotonic(), client.welcome["state"]))
        if self.on_welcome is not None:
            await self.on_welcome(self, again)

    async def _watch(self) -> None:
        while True:
            assert self.client is not None
            seen = 0
            while not self.client._reader.done():
                for message in self.client.messages[seen:]:
                    if message.get("type") == "state":
                        self.states.append((time.monotonic(), message))
                    elif message.get("type") == "media.lost":
                        self.losses.append(time.monotonic())
                        await self._remake()
                seen = len(self.client.messages)
                await asyncio.sleep(0.02)
            self.drops.append(time.monotonic())
            for delay in (*BACKOFF, *[BACKOFF[-1]] * 20):
                await asyncio.sleep(delay)
                try:
                    await self._join(again=True)
                    break
                except OSError:
                    continue
                except Exception as error:  # reported by the test, not lost with the task
                    self.errors.append(error)
                    break

    async def _remake(self) -> None:
        """Make the media again on the same connection (``media.lost``), as the pages do."""
        if self.on_welcome is None:
            return
        try:
            await self.on_welcome(self, True)
        except Exception as error:  # reported by the test
            self.errors.append(error)

    async def close(self) -> None:
        """Stop rejoining and leave."""
        if self._task is not None:
            self._task.cancel()
        if self.client is not None:
            await self.client.close()


@dataclass
class Ear:
    """A listener's media: one subscription at a time, the next made before the last
    is closed. `rtp` holds every packet's arrival across them."""

    address: str
    channel_id: int
    subscribers: list[ListeningSubscriber] = field(default_factory=list)

    async def subscribe(self, session: Rejoining, _again: bool) -> None:
        """(Re)subscribe through the session's current connection."""
        assert session.client is not None
        fresh = await start_subscriber(
            session.client, str(self.channel_id), "", addresses=[self.address]
        )
        self.subscribers.append(fresh)
        deadline = time.monotonic() + 5
        while not fresh.rtp and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for old in self.subscribers[:-1]:
            await old.close()

    @property
    def arrivals(self) -> list[float]:
        """Every packet's arrival, in order, across the subscriptions."""
        return sorted(a for s in self.subscribers for a, *_ in s.rtp)

    async def close(self) -> None:
        for subscriber in self.subscribers:
            await subscriber.close()


@dataclass
class Mic:
    """An interpreter's microphone (a tone): published again on every join, the old
    peer connection closed once the new one is answered. Goes on air on the first."""

    address: str
    frequency: float
    publishers: list[TonePublisher] = field(default_factory=list)

    async def publish(self, session: Rejoining, again: bool) -> None:
        """(Re)publish through the session's current connection."""
        assert session.client is not None
        fresh = await start_publisher(
            session.client, "", "", self.frequency, addresses=[self.address]
        )
        self.publishers.append(fresh)
        if not again:
            await session.client.request({"type": "mic", "on": True})
        deadline = time.monotonic() + 5
        while fresh.pc.connectionState != "connected" and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for old in self.publishers[:-1]:
            await old.close()
        del self.publishers[:-1]

    async def close(self) -> None:
        for publisher in self.publishers:
            await publisher.close()


async def interpreter_on_air(
    cluster: Cluster, context: SSLContext, *, frequency: float = 880
) -> Rejoining:
    """The demo's first German interpreter, signed in through the balancer, publishing a
    tone and on air, rejoining as the interpreter's page does."""
    async with httpx.AsyncClient(base_url=cluster.url, verify=context) as http:
        response = await http.post(
            "/api/auth/login", json={"email": INTERPRETER, "password": demo.PASSWORD}
        )
        response.raise_for_status()
        cookie = response.cookies["interpreta_session"]
    session = Rejoining(
        cluster.url,
        cluster.event_code,
        {"role": "interpreter"},
        context,
        cookie=cookie,
        on_welcome=Mic(cluster.client.address, frequency).publish,
    )
    await session.start()
    return session
