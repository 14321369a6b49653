"""Who hears of peer connection state changes: the listeners a media plane keeps."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

from interpreta.media.plane import PeerStateChange, PeerStateListener

logger = logging.getLogger(__name__)


class PeerStateListeners:
    """The listeners of one plane (:meth:`MediaPlane.on_peer_state`), told in order;
    one that fails is logged and the others are still told."""

    def __init__(self) -> None:
        self._listeners: list[PeerStateListener] = []

    def add(self, listener: PeerStateListener) -> Callable[[], None]:
        """Add `listener`; returns the function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def tell(self, change: PeerStateChange, spawn: Callable[[Awaitable[None]], None]) -> None:
        """Tell every listener of `change`; a coroutine listener's work goes to `spawn`."""
        for listener in list(self._listeners):
            try:
                result = listener(change)
            except Exception:
                logger.exception("peer state listener failed on %s", change)
                continue
            if inspect.isawaitable(result):
                spawn(result)
