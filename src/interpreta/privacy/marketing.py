"""Marketing mail: sent only to people who neither objected nor restricted processing."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from interpreta.datamap.activities import MARKETING
from interpreta.datamap.vocabulary import Purpose
from interpreta.mail import Mail, Mailer
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights.restrict import allowed


@runs_in(MARKETING)
def send_marketing(
    db: Session,
    mailer: Mailer,
    people: Iterable[tuple[int | None, str]],
    compose: Callable[[str], Mail],
) -> int:
    """Send a marketing mail to each of `people` (user ID, email) who has not objected
    to direct marketing nor restricted processing (P31, P32); returns how many."""
    sent = 0
    for _user, email in allowed(db, people, Purpose.MARKETING):
        if email:
            mailer.send(compose(email))
            sent += 1
    return sent
