"""Inviting imported contacts to an event: a mail to each contact the organiser picked,
with the event's registration (or join) link.

Only addresses among the organiser's own imported contacts are mailed, so the form
cannot send to anyone else; nothing is stored about the invitation.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from interpreta.calendar_integration import contacts
from interpreta.datamap.activities import CALENDAR
from interpreta.datamap.ties import normalise_email
from interpreta.errors import invalid
from interpreta.i18n.catalogues import gettext
from interpreta.mail import Mail, Mailer
from interpreta.privacy.processing import runs_in

MAX_AT_ONCE = 500
"""The most contacts one invitation goes to."""


@runs_in(CALENDAR)
def invite(
    db: Session,
    mailer: Mailer,
    user_id: int,
    picked: Iterable[str],
    *,
    title: str,
    organiser: str,
    link: str,
) -> int:
    """Mail an invitation to each picked address that is one of `user_id`'s imported
    contacts (in the current language); 422 when none is, or too many are picked.
    Returns how many were mailed."""
    wanted = {normalise_email(address) for address in picked if address}
    if len(wanted) > MAX_AT_ONCE:
        raise invalid(
            "email", gettext("Invite at most %(count)s contacts at once.", count=MAX_AT_ONCE)
        )
    chosen = [c for c in contacts.listing(db, user_id) if c.email in wanted]
    if not chosen:
        raise invalid("email", gettext("Pick at least one of your imported contacts."))
    for contact in chosen:
        body = "\n\n".join(
            [
                gettext("Hello %(name)s,", name=contact.name),
                gettext(
                    "%(organiser)s invites you to %(title)s.", organiser=organiser, title=title
                ),
                link,
            ]
        )
        subject = gettext("Invitation: %(title)s", title=title)
        mailer.send(Mail(contact.email, subject, body, CALENDAR.key))
    return len(chosen)
