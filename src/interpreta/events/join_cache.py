"""A short-lived in-process cache of each event's public information.

Joining by event code is the hottest public request: a whole audience arrives in
the same minute. The cache holds the encoded JSON answer (or the fact that no
event has the code) for a few seconds, and is cleared at once whenever a session
of this process commits a change to an event, topic, channel or language, so a
single node never serves stale data; other nodes see a change within the TTL.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from interpreta.events import codes
from interpreta.events.join import public_info
from interpreta.events.models import Booth, Channel, Event, EventLanguage, Topic

WATCHED = (Event, Topic, Channel, EventLanguage, Booth)
MAX_ENTRIES = 10_000


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
        self._entries: dict[str, tuple[float, bytes | None]] = {}
        self._loading: dict[str, asyncio.Future[bytes | None]] = {}
        sa_event.listen(sessions, "after_flush", self._note_changes)
        sa_event.listen(sessions, "after_commit", self._clear_if_changed)

    def cached(self, code: str) -> tuple[bool, bytes | None]:
        """(hit, body): body is the JSON answer, or None when no event has the code."""
        entry = self._entries.get(codes.normalise(code))
        if entry is None or entry[0] < self._monotonic():
            return False, None
        return True, entry[1]

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
        self._entries[key] = (self._monotonic() + self._ttl, body)
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
