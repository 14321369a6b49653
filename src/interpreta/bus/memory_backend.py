"""``MemoryBus``: the bus inside one process, the default for a single node.

Everything lives in dictionaries of this process; messages go through a queue per
subscription, delivered by its own task, so a handler runs after ``publish`` returns and
never inside the publisher's critical section, as on Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from interpreta.bus.delivery import Delivery
from interpreta.bus.interface import BusError, Handler, LockTimeout, Unsubscribe

__all__ = ["MemoryBus"]

log = logging.getLogger(__name__)


class MemoryBus:
    """The :class:`~interpreta.bus.interface.Bus` of one process."""

    def __init__(self, node: str = "local", *, monotonic: Callable[[], float] = time.monotonic):
        """
        :param node: this node's name.
        :param monotonic: the clock leases and beats lapse on (seconds).
        """
        self.node = node
        self._monotonic = monotonic
        self._topics: dict[str, list[Delivery]] = {}
        self._documents: dict[str, dict[str, str]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._beats: dict[str, float] = {}
        self._closed = False

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        """Queue `message` for every subscriber of `topic`."""
        self._check_open()
        for subscription in self._topics.get(topic, ()):
            subscription.put(message)

    async def subscribe(self, topic: str, handler: Handler) -> Unsubscribe:
        """Deliver `topic`'s messages to `handler`, in order, on a task of its own."""
        self._check_open()
        subscription = Delivery(handler)
        self._topics.setdefault(topic, []).append(subscription)

        async def unsubscribe() -> None:
            subscriptions = self._topics.get(topic, [])
            if subscription in subscriptions:
                subscriptions.remove(subscription)
            await subscription.stop()

        return unsubscribe

    async def fields(self, key: str) -> dict[str, str]:
        """A copy of document `key`."""
        return dict(self._documents.get(key, {}))

    async def put(self, key: str, values: Mapping[str, str]) -> None:
        """Set fields of document `key`."""
        self._documents.setdefault(key, {}).update(values)

    async def drop(self, key: str, *fields: str) -> None:
        """Remove fields (or, with none named, the whole document)."""
        if not fields:
            self._documents.pop(key, None)
            return
        document = self._documents.get(key, {})
        for name in fields:
            document.pop(name, None)
        if not document:
            self._documents.pop(key, None)

    @contextlib.asynccontextmanager
    async def lock(
        self, name: str, *, ttl: float = 15.0, wait: float = 10.0
    ) -> AsyncIterator[None]:
        """An asyncio lock per name (a process cannot die and leave it held: `ttl` is moot)."""
        lock = self._locks.setdefault(name, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), wait)
        except TimeoutError as exc:
            raise LockTimeout(f"lock {name!r} stayed taken for {wait} s") from exc
        try:
            yield
        finally:
            lock.release()

    async def acquire(self, lease: str, holder: str, ttl: float) -> bool:
        """Take or renew `lease` for `holder` unless another holds it."""
        current = self._holder(lease)
        if current not in (None, holder):
            return False
        self._leases[lease] = (holder, self._monotonic() + ttl)
        return True

    async def transfer(self, lease: str, giver: str, taker: str, ttl: float) -> bool:
        """Pass `lease` from `giver` to `taker` if `giver` holds it."""
        if self._holder(lease) != giver:
            return False
        self._leases[lease] = (taker, self._monotonic() + ttl)
        return True

    async def renew(self, lease: str, holder: str, ttl: float) -> bool:
        """Extend `holder`'s lease."""
        if self._holder(lease) != holder:
            return False
        self._leases[lease] = (holder, self._monotonic() + ttl)
        return True

    async def release(self, lease: str, holder: str) -> bool:
        """Give the lease up if `holder` holds it."""
        if self._holder(lease) != holder:
            return False
        del self._leases[lease]
        return True

    async def holder(self, lease: str) -> str | None:
        """Who holds `lease` now."""
        return self._holder(lease)

    async def beat(self, ttl: float) -> None:
        """This node is alive for `ttl` seconds."""
        self._beats[self.node] = self._monotonic() + ttl

    async def live_nodes(self) -> set[str]:
        """Nodes whose beat has not lapsed (this one counts as alive while the bus is open)."""
        now = self._monotonic()
        alive = {node for node, until in self._beats.items() if until > now}
        if not self._closed:
            alive.add(self.node)
        return alive

    async def close(self) -> None:
        """Stop every delivery task."""
        self._closed = True
        subscriptions = [s for topic in self._topics.values() for s in topic]
        self._topics.clear()
        for subscription in subscriptions:
            await subscription.stop()

    def _holder(self, lease: str) -> str | None:
        held = self._leases.get(lease)
        if held is None:
            return None
        if held[1] <= self._monotonic():
            del self._leases[lease]
            return None
        return held[0]

    def _check_open(self) -> None:
        if self._closed:
            raise BusError("the bus is closed")
