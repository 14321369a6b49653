"""Work that must happen only if a transaction commits: writing outside the database
(the erasure log, the mail outbox) is not undone by a rollback, so it waits."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING_KEY = "interpreta_after_commit"
UNDO_KEY = "interpreta_after_rollback"
LISTENING_KEY = "interpreta_after_commit_listening"


def after_commit(
    db: Session, work: Callable[[], object], *, or_else: Callable[[], object] | None = None
) -> None:
    """Run `work` once `db`'s transaction commits; drop it if the transaction rolls
    back, and run `or_else` instead. Works queued in one transaction run in the order
    they were queued."""
    db.info.setdefault(PENDING_KEY, []).append(work)
    if or_else is not None:
        db.info.setdefault(UNDO_KEY, []).append(or_else)
    if not db.info.get(LISTENING_KEY):
        db.info[LISTENING_KEY] = True  # the listeners stay with the (short-lived) session
        event.listen(db, "after_commit", _run)
        event.listen(db, "after_rollback", _drop)


def _run(db: Session) -> None:
    db.info.pop(UNDO_KEY, None)
    for work in db.info.pop(PENDING_KEY, []):
        work()


def _drop(db: Session) -> None:
    db.info.pop(PENDING_KEY, None)
    for work in db.info.pop(UNDO_KEY, []):
        work()
