"""The registration mails that come due with time, sent by the server's schedule: an
updated invitation when the event changed, the reminder a day before, and the survey
link once the event has ended.

Each mail is claimed in a transaction of its own (an UPDATE of the registration's
bookkeeping column that only one sender can make), sent, and committed, so several
nodes share the work without sending twice; a failed mail rolls its claim back and is
tried again on the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from interpreta.accounts.actions import organisation_name
from interpreta.datamap.activities import FEEDBACK, REGISTRATION, Activity
from interpreta.events.models import Event, EventStatus
from interpreta.mail import Mail, Mailer
from interpreta.privacy.processing import processing
from interpreta.registration.letters import Post
from interpreta.registration.models import Registration, RegistrationStatus, SurveyQuestion

log = logging.getLogger(__name__)

REMINDER_BEFORE = timedelta(hours=24)
"""When the reminder goes: this long before the start."""
SURVEY_WITHIN = timedelta(days=14)
"""The survey link goes only this long after the event's end (not to old events)."""


@dataclass(frozen=True)
class Sent:
    """What one run mailed."""

    updates: int
    reminders: int
    surveys: int


def send_due(
    sessions: sessionmaker[Session], mailer: Mailer, post: Post, *, limit: int = 500
) -> Sent:
    """Mail every update, reminder and survey link due at `post.now`."""
    now = post.now
    accepted = Registration.status == RegistrationStatus.ACCEPTED
    updates = _each(
        sessions,
        REGISTRATION,
        and_(
            accepted,
            Registration.invited_sequence.is_not(None),
            Registration.invited_sequence < Event.schedule_sequence,
        ),
        # a new date needs its own reminder
        {"invited_sequence": Event.schedule_sequence, "reminded_at": None},
        lambda event, organiser, r: post.status(event, organiser, r, update=True),
        mailer,
        limit,
    )
    reminders = _each(
        sessions,
        REGISTRATION,
        and_(
            accepted,
            Registration.reminded_at.is_(None),
            Event.starts_at > now,
            Event.starts_at <= now + REMINDER_BEFORE,
        ),
        {"reminded_at": now},
        lambda event, organiser, r: post.reminder(event, r),
        mailer,
        limit,
    )
    over = (Event.status == EventStatus.ENDED) | (Event.ends_at <= now)
    surveys = _each(
        sessions,
        FEEDBACK,
        and_(
            accepted,
            Registration.surveyed_at.is_(None),
            over,
            Event.ends_at > now - SURVEY_WITHIN,
            exists().where(SurveyQuestion.event_id == Event.id),
        ),
        {"surveyed_at": now},
        lambda event, organiser, r: post.survey(event, r),
        mailer,
        limit,
    )
    return Sent(updates, reminders, surveys)


def _each(
    sessions: sessionmaker[Session],
    activity: Activity,
    due: ColumnElement[bool],
    claim: dict[str, object],
    write: Callable[[Event, str, Registration], Mail],
    mailer: Mailer,
    limit: int,
) -> int:
    """Claim, write and send each registration mail `due`; how many went."""
    with processing(activity), sessions() as db:
        ids = db.scalars(
            select(Registration.id)
            .join(Event, Event.id == Registration.event_id)
            .where(due, Event.purged_at.is_(None))
            .order_by(Registration.id)
            .limit(limit)
        ).all()
    sent = 0
    for registration_id in ids:
        try:
            with processing(activity), sessions.begin() as db:
                event_of = select(Event.id).where(Event.id == Registration.event_id)
                claimed = db.execute(
                    update(Registration)
                    .where(Registration.id == registration_id, exists(event_of.where(due)))
                    .values(**_values(claim))
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another node sent it, or it is no longer due
                registration = db.get_one(Registration, registration_id)
                event = db.get_one(Event, registration.event_id)
                organiser = organisation_name(db, event.organisation_id)
                mailer.send(write(event, organiser, registration))
            sent += 1
        except Exception:
            log.exception("registration mail for %d not sent; tried again later", registration_id)
    return sent


def _values(claim: dict[str, object]) -> dict[str, object]:
    """The claim's values; a column of the event is read through a subquery."""
    return {
        name: (
            select(Event.schedule_sequence)
            .where(Event.id == Registration.event_id)
            .scalar_subquery()
            if value is Event.schedule_sequence
            else value
        )
        for name, value in claim.items()
    }
