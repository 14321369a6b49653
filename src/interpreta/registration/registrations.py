"""Registering for an event, deciding on registrations, the waiting list, and the
personal link that lets an accepted registrant in.

An event takes registrations when its mode is not ``open``. ``automatic`` accepts while
places last (the capacity counts accepted registrations), then puts people on the
waiting list, whose first comes in as soon as a place frees up; ``approval`` keeps each
registration pending until an organiser decides. Each registration has one personal
link (a signed token: :mod:`interpreta.signed_tokens`): it joins the event once
accepted, shows and cancels the registration, and opens the survey afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from interpreta import signed_tokens
from interpreta.datamap.activities import REGISTRATION
from interpreta.errors import Problem, invalid, not_found
from interpreta.events.models import Event, EventStatus, RegistrationMode
from interpreta.i18n.catalogues import N_, gettext
from interpreta.mail import deliverable
from interpreta.privacy.processing import runs_in
from interpreta.registration.models import (
    Registration,
    RegistrationAnswer,
    RegistrationStatus,
)

LINK = "registration-link"
"""The purpose personal links are signed for."""
MAX_NAME = 100


def token(key: bytes, registration: Registration) -> str:
    """The token of `registration`'s personal link."""
    return signed_tokens.sign(key, LINK, registration.id, registration.link_nonce)


@runs_in(REGISTRATION)
def by_token(db: Session, key: bytes, link: str) -> Registration | None:
    """The registration a personal link's token opens, or None."""
    row = signed_tokens.row_of(link)
    registration = None if row is None else db.get(Registration, row)
    if registration is None or not signed_tokens.verify(key, LINK, link, registration.link_nonce):
        return None
    return registration


@runs_in(REGISTRATION)
def ticket_holder(db: Session, key: bytes, event_id: int, ticket: object) -> Registration | None:
    """The accepted registration for `event_id` that `ticket` (a personal link's token)
    opens, or None."""
    if not isinstance(ticket, str) or len(ticket) > 100:
        return None
    registration = by_token(db, key, ticket)
    if registration is None or registration.event_id != event_id:
        return None
    return registration if registration.status is RegistrationStatus.ACCEPTED else None


@runs_in(REGISTRATION)
def accepted_count(db: Session, event_id: int) -> int:
    """How many registrations of the event are accepted."""
    query = select(func.count()).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.ACCEPTED
    )
    return db.scalar(query) or 0


def places_left(db: Session, event: Event) -> int | None:
    """Free places (None: no limit)."""
    if event.capacity is None:
        return None
    return max(0, event.capacity - accepted_count(db, event.id))


def _lock(db: Session, event_id: int) -> None:
    """Take the event's row for this transaction before counting places (an UPDATE that
    changes nothing: a row lock on PostgreSQL, the write lock on SQLite), so two
    registrations at once cannot both take the last place."""
    db.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(capacity=Event.capacity)
        .execution_options(synchronize_session=False)
    )


def _name(value: str, field: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise invalid(field, gettext("This field is required."))
    if len(name) > MAX_NAME:
        raise invalid(field, gettext("At most %(count)s characters.", count=MAX_NAME))
    return name


def check_open(event: Event, now: datetime) -> None:
    """404 unless `event` takes registrations now."""
    if event.registration is RegistrationMode.OPEN:
        raise not_found(N_("registration"))
    ended = event.status is EventStatus.ENDED or event.ends_at <= now
    if ended or event.purged_at is not None:
        raise Problem(409, gettext("Registration closed"), gettext("This event has ended."))


@runs_in(REGISTRATION)
def register(
    db: Session,
    event: Event,
    *,
    email: str,
    first_name: str,
    last_name: str,
    answers: dict[int, str],
    language: str,
    now: datetime,
) -> tuple[Registration, bool]:
    """Register `email` for `event` with `answers` (checked already); returns the
    registration and whether it is new. An address registered before gets its
    registration back (and its mail again), so the form tells nobody who registered."""
    check_open(event, now)
    _lock(db, event.id)
    address = deliverable(email)
    if address is None:
        raise invalid("email", gettext("Enter a valid email address."))
    existing = db.scalar(
        select(Registration).where(Registration.event_id == event.id, Registration.email == address)
    )
    if existing is not None and existing.status is not RegistrationStatus.CANCELLED:
        return existing, False
    if existing is not None:  # registering again after cancelling: a fresh registration
        db.delete(existing)
        db.flush()
    registration = Registration(
        event_id=event.id,
        email=address,
        first_name=_name(first_name, "first_name"),
        last_name=_name(last_name, "last_name"),
        language=language,
        status=_first_status(db, event),
        registered_at=now,
        decided_at=now if event.registration is RegistrationMode.AUTOMATIC else None,
        link_nonce=signed_tokens.new_nonce(),
    )
    db.add(registration)
    db.flush()
    db.add_all(
        RegistrationAnswer(registration_id=registration.id, question_id=q, value=value)
        for q, value in answers.items()
    )
    db.flush()
    return registration, True


def _first_status(db: Session, event: Event) -> RegistrationStatus:
    if event.registration is RegistrationMode.APPROVAL:
        return RegistrationStatus.PENDING
    left = places_left(db, event)
    return (
        RegistrationStatus.ACCEPTED if left is None or left > 0 else RegistrationStatus.WAITLISTED
    )


@runs_in(REGISTRATION)
def decide(
    db: Session, event: Event, registration_id: int, accept: bool, now: datetime
) -> list[Registration]:
    """An organiser accepts or declines a registration; returns every registration whose
    status changed (a decline may let the waiting list's first in)."""
    _lock(db, event.id)
    registration = db.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise not_found(N_("registration"))
    if registration.status is RegistrationStatus.CANCELLED:
        raise Problem(
            409, gettext("Cancelled"), gettext("The registrant cancelled this registration.")
        )
    wanted = RegistrationStatus.ACCEPTED if accept else RegistrationStatus.DECLINED
    if registration.status is wanted:
        return []
    if accept and places_left(db, event) == 0:
        raise Problem(409, gettext("Full"), gettext("No place is left: raise the capacity first."))
    was_accepted = registration.status is RegistrationStatus.ACCEPTED
    if accept and registration.status is RegistrationStatus.DECLINED:
        registration.link_nonce = signed_tokens.new_nonce()  # a new invitation and link
    registration.status, registration.decided_at = wanted, now
    db.flush()
    changed = [registration]
    if was_accepted:
        changed += promote(db, event, now)
    return changed


@runs_in(REGISTRATION)
def cancel(db: Session, registration: Registration, now: datetime) -> list[Registration]:
    """The registrant cancels; returns every registration whose status changed (theirs,
    and the waiting list's first let in)."""
    if registration.status is RegistrationStatus.CANCELLED:
        return []
    _lock(db, registration.event_id)
    was_accepted = registration.status is RegistrationStatus.ACCEPTED
    registration.status, registration.decided_at = RegistrationStatus.CANCELLED, now
    db.flush()
    event = db.get_one(Event, registration.event_id)
    return [registration, *(promote(db, event, now) if was_accepted else [])]


@runs_in(REGISTRATION)
def promote(db: Session, event: Event, now: datetime) -> list[Registration]:
    """Let the waiting list in, first come first, while places last (automatic mode)."""
    if event.registration is not RegistrationMode.AUTOMATIC:
        return []
    promoted = []
    waiting = db.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.registered_at, Registration.id)
    ).all()
    for registration in waiting:
        left = places_left(db, event)
        if left is not None and left <= 0:
            break
        registration.status, registration.decided_at = RegistrationStatus.ACCEPTED, now
        db.flush()
        promoted.append(registration)
    return promoted


@runs_in(REGISTRATION)
def listing(db: Session, event_id: int) -> list[Registration]:
    """The event's registrations, first come first."""
    query = (
        select(Registration)
        .where(Registration.event_id == event_id)
        .order_by(Registration.registered_at, Registration.id)
    )
    return list(db.scalars(query))


@runs_in(REGISTRATION)
def answers_of(db: Session, registration_ids: list[int]) -> dict[int, dict[int, str]]:
    """Registration -> question -> answer, for the organiser's list."""
    found: dict[int, dict[int, str]] = {}
    query = select(RegistrationAnswer).where(
        RegistrationAnswer.registration_id.in_(registration_ids)
    )
    for answer in db.scalars(query):
        found.setdefault(answer.registration_id, {})[answer.question_id] = answer.value
    return found


def without_place(changed: list[Registration]) -> list[str]:
    """The addresses of those of `changed` that no longer hold a place (declined,
    cancelled): their live sessions end."""
    ended = (RegistrationStatus.DECLINED, RegistrationStatus.CANCELLED)
    return [r.email for r in changed if r.status in ended]
