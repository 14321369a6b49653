"""Marketing mail to customer accounts, inside the marketing activity.

The recipients are read inside :data:`~interpreta.datamap.activities.MARKETING`,
so the processing engine leaves out everyone who objected to direct marketing or
restricted processing (P31, P32); this module does not filter anyone itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.models import User
from interpreta.datamap.activities import MARKETING
from interpreta.mail import Mail, Mailer
from interpreta.privacy.processing import runs_in


@runs_in(MARKETING)
def send_marketing(
    db: Session,
    mailer: Mailer,
    compose: Callable[[str], Mail],
    user_ids: Iterable[int] | None = None,
) -> int:
    """Send the mail `compose` writes to every account (or those of `user_ids`) that
    neither objected nor restricted processing; returns how many were sent."""
    query = (
        select(User.id, User.email)
        .where(User.closed_at.is_(None), User.email_verified_at.is_not(None))
        .order_by(User.id)
    )
    if user_ids is not None:
        query = query.where(User.id.in_(list(user_ids)))
    sent = 0
    for _user_id, email in db.execute(query):
        mailer.send(compose(email))
        sent += 1
    return sent
