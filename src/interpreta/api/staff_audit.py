"""The audit trail of the staff desks: each change a staff member makes, under their
pseudonym (the trail holds no plain identifiers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from interpreta.accounts.models import User
from interpreta.platform import Platform
from interpreta.privacy import audit


def record(
    db: Session, platform: Platform, user: User, action: str, target: str, **detail: Any
) -> None:
    """Append `action` on `target` by staff member `user`, in `db`'s transaction."""
    audit.record(
        db,
        actor=platform.keyring.pseudonyms(db.connection()).user(user.id),
        action=action,
        subject=None,
        target=target,
        detail=detail,
        now=platform.clock.now(),
    )
