"""Publishing an organiser's upcoming events into their connected CalDAV calendar.

The events published are those not yet over (not ended, not past their end, not purged)
of every organisation in which the organiser is an owner or organiser. Each is one
calendar object, ``event-{id}@{our host}``, put again on every publication (the same
resource overwritten, its SEQUENCE the event's `schedule_sequence`), with the event's
title, description, times in its time zone and the join link. Objects of ours (that UID
form, our host) that the calendar holds but are no longer current, because the event was
deleted, ended or is over, are deleted; nothing else in the calendar is touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.models import MemberRole, Membership
from interpreta.calendars import ics
from interpreta.calendars.dav import CalendarCollection
from interpreta.config import Settings
from interpreta.datamap.activities import ACCOUNT, CALENDAR
from interpreta.events.models import Event, EventStatus
from interpreta.privacy.processing import runs_in

MANAGERS = (MemberRole.OWNER, MemberRole.ORGANISER)
"""The roles whose holders organise an organisation's events."""

MAX_EVENTS = 1_000
"""The most upcoming events published to one calendar."""

ORGANIZER_NAME = "Interpreta"
"""The organizer an `ics.Invitation` needs; a published object writes no ORGANIZER."""


@dataclass(frozen=True)
class Published:
    """What one publication did: events put, and objects of ours deleted."""

    put: int
    deleted: int


def uid_domain(settings: Settings) -> str:
    """The right-hand side of our UIDs: the host people reach the platform at, with
    anything but letters, digits, dots and hyphens replaced (the UID is then usable as
    the resource's file name)."""
    host = httpx.URL(settings.base_url).host or "interpreta"
    return re.sub(r"[^A-Za-z0-9.-]", "-", host)


def uid_of(event_id: int, settings: Settings) -> str:
    """The UID of event `event_id` in every calendar it is published to."""
    return f"event-{event_id}@{uid_domain(settings)}"


def join_url(event: Event, settings: Settings) -> str:
    """The event's join link."""
    return f"{settings.base_url.rstrip('/')}/join/{event.code}"


@runs_in(ACCOUNT)
def managed_organisations(db: Session, user_id: int) -> list[int]:
    """The organisations in which `user_id` organises events (as owner or organiser)."""
    return list(
        db.scalars(
            select(Membership.organisation_id).where(
                Membership.user_id == user_id, Membership.role.in_(MANAGERS)
            )
        )
    )


@runs_in(CALENDAR)
def upcoming_events(db: Session, user_id: int, now: datetime) -> list[Event]:
    """The events `user_id` organises that are not over yet, soonest first."""
    organisations = managed_organisations(db, user_id)
    if not organisations:
        return []
    return list(
        db.scalars(
            select(Event)
            .where(
                Event.organisation_id.in_(organisations),
                Event.purged_at.is_(None),
                Event.ended_at.is_(None),
                Event.status != EventStatus.ENDED,
                Event.ends_at > now,
            )
            .order_by(Event.starts_at, Event.id)
            .limit(MAX_EVENTS)
        )
    )


def invitation(event: Event, settings: Settings, now: datetime) -> ics.Invitation:
    """`event` as the calendar object published for it."""
    return ics.Invitation(
        uid=uid_of(event.id, settings),
        sequence=event.schedule_sequence,
        summary=event.title,
        description=event.description,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        url=join_url(event, settings),
        organizer_name=ORGANIZER_NAME,
        organizer_email=f"noreply@{uid_domain(settings)}",
        attendee_email=None,
        attendee_name=None,
        stamp=now,
    )


def ours(calendar: CalendarCollection, settings: Settings) -> set[str]:
    """The UIDs of the objects of ours the calendar holds (their file names are the UIDs)."""
    pattern = re.compile(rf"event-[0-9]+@{re.escape(uid_domain(settings))}")
    names = (path.rsplit("/", 1)[-1].removesuffix(".ics") for path in calendar.paths())
    return {name for name in names if pattern.fullmatch(name)}


@runs_in(CALENDAR)
def publish(
    db: Session, calendar: CalendarCollection, settings: Settings, user_id: int, now: datetime
) -> Published:
    """Put `user_id`'s upcoming events into `calendar`, and delete the objects of ours
    there that are no longer current. Raises the calendar's `DavError`."""
    current: set[str] = set()
    for event in upcoming_events(db, user_id, now):
        uid = uid_of(event.id, settings)
        calendar.put(uid, ics.published(invitation(event, settings, now)))
        current.add(uid)
    stale = sorted(ours(calendar, settings) - current)
    for uid in stale:
        calendar.delete(uid)
    return Published(put=len(current), deleted=len(stale))
