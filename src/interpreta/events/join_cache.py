"""A short-lived in-process cache of each event's public information.

Joining by event code is the hottest public request: a whole audience arrives in
the same minute, each opening the join page (and some clients the join API). The
cache holds the public information and its encoded JSON answer (or the fact that no
event has the code) for a few seconds, and is cleared at once whenever a session
of this process commits a change to an event, topic, channel or language, so a
single node never serves stale data. With several nodes, :meth:`PublicInfoCache.share`
tells every other node through the bus (Redis) to clear theirs too; without it
they would see a change only when their entries expire.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from interpreta.bus import Bus
from interpreta.events import codes
from interpreta.events.join import public_info
from interpreta.events.models import Booth, Channel, Event, EventLanguage, Topic

WATCHED = (Event, Topic, Channel, EventLanguage, Booth)
MAX_ENTRIES = 10_000
TOPIC = "join-cache"
"The bus topic on which a node that changed an event tells the others to clear."

Entry = tuple[float, dict[str, Any] | None, bytes | None]
"(expiry, public information, encoded answer); both None when no event has the code."


class PublicInfoCache:
    """Encoded public info per event code, valid for `ttl` seconds."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        ttl: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[str, Entry] = {}
        self._loading: dict[str, asyncio.Future[bytes | None]] = {}
        self._on_change: Callable[[], None] | None = None
        sa_event.listen(sessions, "after_flush", self._note_changes)
        sa_event.listen(sessions, "after_commit", self._clear_if_changed)

    def cached(self, code: str) -> tuple[bool, bytes | None]:
        """(hit, body): body is the JSON answer, or None when no event has the code."""
        entry = self._entries.get(codes.normalise(code))
        if entry is None or entry[0] < self._monotonic():
            return False, None
        return True, entry[2]

    def info(self, code: str) -> dict[str, Any] | None:
        """The public information for `code` (None: no event has it), cached or read
        now; for synchronous callers (the join page, in a worker thread)."""
        entry = self._entries.get(codes.normalise(code))
        if entry is not None and entry[0] >= self._monotonic():
            return entry[1]
        self.load(code)
        return self._entries[codes.normalise(code)][1]

    async def get(self, code: str) -> bytes | None:
        """The answer for `code`: cached, or loaded once however many ask at the same time
        (a whole audience arriving must not become one query per person)."""
        hit, body = self.cached(code)
        if hit:
            return body
        key = codes.normalise(code)
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(run_in_threadpool(self.load, key))
            self._loading[key] = pending
            pending.add_done_callback(lambda _f: self._loading.pop(key, None))
        return await asyncio.shield(pending)

    def load(self, code: str) -> bytes | None:
        """Read the answer from the database and remember it."""
        key = codes.normalise(code)
        with self._sessions() as db:
            info: dict[str, Any] | None = public_info(db, key)
        body = None if info is None else json.dumps(info, separators=(",", ":")).encode()
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (self._monotonic() + self._ttl, info, body)
        return body

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def _note_changes(self, session: Session, _context: object) -> None:
        changed = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(obj, WATCHED) for obj in changed):
            session.info["public_info_changed"] = True

    def _clear_if_changed(self, session: Session) -> None:
        if session.info.pop("public_info_changed", False):
            self.clear()
            if self._on_change is not None:
                self._on_change()

    async def share(self, bus: Bus) -> Callable[[], Awaitable[None]]:
        """Clear every node's cache when any node changes an event: this node tells the
        others on the bus after each such commit, and clears its own when told. Call
        it on the event loop the app serves on; returns what stops the sharing."""
        loop = asyncio.get_running_loop()
        sending: set[asyncio.Task[None]] = set()

        async def told(message: dict[str, Any]) -> None:
            if message.get("node") != bus.node:
                self.clear()

        def tell() -> None:  # from the thread that committed
            def send() -> None:
                task = loop.create_task(bus.publish(TOPIC, {"node": bus.node}))
                sending.add(task)
                task.add_done_callback(sending.discard)

            loop.call_soon_threadsafe(send)

        unsubscribe = await bus.subscribe(TOPIC, told)
        self._on_change = tell

        async def stop() -> None:
            self._on_change = None
            await unsubscribe()

        return stop
