"""The work a media plane starts in the background: kept until done, failures logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

__all__ = ["BackgroundTasks"]


class BackgroundTasks:
    """A plane's background tasks (closing a peer, telling listeners): each is held until
    it ends, so it is not collected before it runs, and a failure is logged, not lost."""

    def __init__(self, logger: logging.Logger, failure: str) -> None:
        """
        :param logger: where failures are logged (the plane's module logger).
        :param failure: the message a failure is logged with.
        """
        self._logger = logger
        self._failure = failure
        self._running: set[asyncio.Future[Any]] = set()

    def spawn(self, awaitable: Awaitable[object]) -> None:
        """Run `awaitable` in the background."""
        future = asyncio.ensure_future(awaitable)
        self._running.add(future)
        future.add_done_callback(self.done)

    def done(self, future: asyncio.Future[Any]) -> None:
        """Forget a finished task, and log its failure (also a done callback for tasks
        started elsewhere)."""
        self._running.discard(future)
        if not future.cancelled() and future.exception() is not None:
            self._logger.error(self._failure, exc_info=future.exception())

    async def wait(self) -> None:
        """Wait until every task running now has ended, whatever its outcome."""
        running = list(self._running)
        if running:
            await asyncio.gather(*running, return_exceptions=True)
