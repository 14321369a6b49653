"""Delivering a topic's messages to one handler, in order, on a task of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from interpreta.bus.interface import Handler

log = logging.getLogger(__name__)


class Delivery:
    """One subscription: a queue of messages and the task that hands them to `handler`.

    A failing handler is logged and the next message still delivered: one bad message
    must not silence a node.
    """

    def __init__(self, handler: Handler) -> None:
        """Start delivering (needs a running event loop)."""
        self.handler = handler
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._deliver())

    def put(self, message: dict[str, Any]) -> None:
        """Queue a message for the handler (none once delivery stopped, or its event loop
        ended)."""
        if not self._task.done():
            self._queue.put_nowait(message)

    async def stop(self) -> None:
        """Stop delivering; queued messages are dropped."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _deliver(self) -> None:
        while True:
            message = await self._queue.get()
            try:
                await self.handler(message)
            except Exception:
                log.exception("a bus handler failed")
