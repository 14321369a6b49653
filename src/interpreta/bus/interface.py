"""The bus interface every backend implements.

Five things several nodes must agree on, each kept deliberately small:

* **messages**: ``publish`` to a topic, and every node's handlers for the topic get it,
  in order, on their own task (a handler may take the locks its publisher held);
* **documents**: a key holding named fields of text (a Redis hash), read whole, written
  field by field;
* **locks**: mutual exclusion across nodes for a short critical section, with a time to
  live so a node that dies holding one does not block the others for ever;
* **leases**: a named right held by one *holder* (not a node) until it is released,
  passed on, or not renewed in time: the microphone on air is one;
* **node liveness**: each node beats; a node that stops beating is gone, and what it
  counted or held lapses with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Handler = Callable[[dict[str, Any]], Awaitable[None]]
"""Receives one message (a JSON object) published to a topic."""

Unsubscribe = Callable[[], Awaitable[None]]
"""Stops a subscription."""


class BusError(Exception):
    """The shared state cannot be reached or refused a request."""


class LockTimeout(BusError):
    """A lock stayed taken for longer than the caller would wait."""


class Bus(Protocol):
    """Shared state and messages across the nodes of one deployment."""

    node: str
    """This node's name, unique in the deployment."""

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        """Send `message` to every subscriber of `topic` on every node, this one too."""
        ...

    async def subscribe(self, topic: str, handler: Handler) -> Unsubscribe:
        """Have `handler` called with each message published to `topic` from now on."""
        ...

    async def fields(self, key: str) -> dict[str, str]:
        """Every field of document `key` (empty when there is none)."""
        ...

    async def put(self, key: str, values: Mapping[str, str]) -> None:
        """Set fields of document `key` in one step."""
        ...

    async def drop(self, key: str, *fields: str) -> None:
        """Remove fields of document `key`; the whole document when none are named."""
        ...

    def lock(
        self, name: str, *, ttl: float = 15.0, wait: float = 10.0
    ) -> AbstractAsyncContextManager[None]:
        """Hold lock `name` for a block; it lapses after `ttl` seconds should this node
        die holding it. :class:`LockTimeout` after waiting `wait` seconds."""
        ...

    async def acquire(self, lease: str, holder: str, ttl: float) -> bool:
        """Take `lease` for `holder` for `ttl` seconds: True when it was free or already
        `holder`'s (then renewed), False when someone else holds it."""
        ...

    async def transfer(self, lease: str, giver: str, taker: str, ttl: float) -> bool:
        """Pass `lease` from `giver` to `taker` in one step; False (and nothing changes)
        unless `giver` holds it now."""
        ...

    async def renew(self, lease: str, holder: str, ttl: float) -> bool:
        """Extend `holder`'s `lease` by `ttl` seconds from now; False when it is not
        `holder`'s any more (lapsed or taken)."""
        ...

    async def release(self, lease: str, holder: str) -> bool:
        """Give `lease` up; False when `holder` did not hold it."""
        ...

    async def holder(self, lease: str) -> str | None:
        """Who holds `lease` now, if anyone."""
        ...

    async def beat(self, ttl: float) -> None:
        """Say this node is alive for the next `ttl` seconds."""
        ...

    async def live_nodes(self) -> set[str]:
        """The nodes whose last beat has not lapsed."""
        ...

    async def close(self) -> None:
        """Stop every subscription and let go of the connection."""
        ...
