"""Every write to events goes through these functions (cf. Zulip's actions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from interpreta.accounts.actions import is_member
from interpreta.accounts.models import User
from interpreta.datamap.activities import CUSTOMER_VIEW
from interpreta.errors import conflict, invalid, not_found
from interpreta.events import codes, languages
from interpreta.events.models import (
    Booth,
    BoothAssignment,
    Channel,
    ChannelKind,
    Event,
    EventLanguage,
    EventMode,
    EventStatus,
    ListenerDetails,
    Participant,
    Topic,
)
from interpreta.i18n.catalogues import N_, gettext
from interpreta.privacy import holds as legal_holds
from interpreta.privacy.processing import runs_in
from interpreta.speech import interpretation

_CODE_ATTEMPTS = 20


@dataclass(frozen=True)
class LanguageSpec:
    """A language to interpret into: its tag, optionally a display name, and whether a
    machine interprets it (translation and a synthetic voice) rather than a booth."""

    code: str
    name: str | None = None
    machine: bool = False


def check_timezone(name: str) -> None:
    """422 unless `name` is an IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise invalid("timezone", gettext("Unknown time zone %(name)s.", name=repr(name))) from exc


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Events happen in this window: every time in it renders in every time zone."""

LONGEST = timedelta(days=366)
"""The longest an event may last."""


def check_schedule(starts_at: datetime, ends_at: datetime) -> None:
    """422 unless the event lies in the window, ends after it starts and lasts at most
    a year."""
    for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not EARLIEST <= moment < LATEST:
            raise invalid(field, gettext("Pick a date between the years 2000 and 2099."))
    if ends_at <= starts_at:
        raise invalid("ends_at", gettext("The event must end after it starts."))
    if ends_at - starts_at > LONGEST:
        raise invalid("ends_at", gettext("An event lasts at most a year."))


def _unused_code(db: Session) -> str:
    for _ in range(_CODE_ATTEMPTS):
        code = codes.new_code()
        taken = db.scalar(select(Event.id).where(Event.code == code, Event.purged_at.is_(None)))
        if taken is None:
            return code
    raise conflict(gettext("Could not find an unused event code; try again."))


def create_event(
    db: Session,
    *,
    organisation_id: int,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    now: datetime,
    description: str = "",
    language_specs: Sequence[LanguageSpec] = (),
    topic_names: Sequence[str] = (),
    listener_details: ListenerDetails = ListenerDetails.NONE,
    mode: EventMode = EventMode.WEBINAR,
    waiting_room: bool = False,
    floor_language: str | None = None,
    captions: bool = False,
    keep_transcript: bool = False,
) -> Event:
    """Create an event with its topics (one, 'Main', if none given) and languages."""
    check_timezone(timezone)
    check_schedule(starts_at, ends_at)
    floor_language = _floor_language(floor_language)
    event = Event(
        organisation_id=organisation_id,
        title=title.strip(),
        description=description,
        code=_unused_code(db),
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        status=EventStatus.DRAFT,
        listener_details=listener_details,
        mode=mode,
        waiting_room=waiting_room,
        floor_language=floor_language,
        captions=captions,
        keep_transcript=keep_transcript,
        created_at=now,
    )
    db.add(event)
    db.flush()
    for name in topic_names or ["Main"]:
        add_topic(db, event, name)
    for spec in language_specs:
        add_language(db, event, spec)
    return event


def _floor_language(code: str | None) -> str | None:
    """A floor language as stored: a language tag, or None (blank: the floor mixes
    languages, or nobody said)."""
    if code is None or not code.strip():
        return None
    code = code.strip()
    if not languages.is_valid_tag(code):
        raise invalid(
            "floor_language",
            gettext("%(code)s is not a language tag such as 'en' or 'pt-BR'.", code=repr(code)),
        )
    return code


SCHEDULE_FIELDS = frozenset({"title", "description", "starts_at", "ends_at", "timezone"})
"""What a calendar invitation shows: a change raises the event's SEQUENCE, and every
invitation mailed is sent again as an update."""


def update_event(db: Session, event: Event, now: datetime, **changes: object) -> Event:
    """Change an event's title, description, schedule, time zone, status, what it asks
    listeners for at join, its mode, its waiting room, its floor's language (blank: none)
    whether it offers automatic captions or keeps their transcript; a change to what invitations
    show raises its ``schedule_sequence``; ending it records when (``ended_at``, the
    moment its usage and participation data count from)."""
    allowed = {
        "title",
        "description",
        "starts_at",
        "ends_at",
        "timezone",
        "status",
        "listener_details",
        "mode",
        "waiting_room",
        "floor_language",
        "captions",
        "keep_transcript",
    }
    shown_before = {name: getattr(event, name) for name in SCHEDULE_FIELDS}
    ended_before = event.status is EventStatus.ENDED
    for key, value in changes.items():
        if key not in allowed:
            raise invalid(key, gettext("This field cannot be changed."))
        if key == "floor_language":
            event.floor_language = _floor_language(value)  # type: ignore[arg-type]
        elif value is not None:
            setattr(
                event, key, value.strip() if key == "title" and isinstance(value, str) else value
            )
    check_timezone(event.timezone)
    check_schedule(event.starts_at, event.ends_at)
    if any(getattr(event, name) != before for name, before in shown_before.items()):
        event.schedule_sequence += 1
    if event.status is EventStatus.ENDED and not ended_before:
        event.ended_at = now
    db.flush()
    return event


def add_topic(db: Session, event: Event, name: str) -> Topic:
    """Add a topic (parallel room) with a floor and a channel and booth per language."""
    if any(t.name == name.strip() for t in event.topics):
        raise conflict(
            gettext("The event already has a topic named %(name)s.", name=repr(name)), "name"
        )
    topic = Topic(event_id=event.id, name=name.strip(), position=len(event.topics))
    event.topics.append(topic)
    db.flush()
    topic.channels.append(Channel(kind=ChannelKind.FLOOR, language_code=None))
    for language in event.languages:
        _add_language_channel(topic, language.code, language.machine)
    db.flush()
    return topic


HELD = N_(
    "A legal hold covers this event or someone in it (P15): nothing in it can be deleted "
    "until the hold is released."
)


def refuse_if_held(db: Session, event: Event) -> None:
    """409 when deleting part of `event` would cascade into records a legal hold keeps:
    the event's or its organisation's, or those of a held person in it (P15)."""
    held = legal_holds.active(db)
    if not held:
        return
    if held.covers(organisation=event.organisation_id, event=event.id):
        raise conflict(gettext(HELD))
    people = db.execute(
        select(Participant.user_id, Participant.email).where(Participant.event_id == event.id)
    ).all()
    assigned = {a.user_id for b in booths_of(event) for a in b.assignments}
    accounts = db.execute(select(User.id, User.email).where(User.id.in_(sorted(assigned)))).all()
    if any(held.covers(user=u, email=e) for u, e in [*people, *accounts]):
        raise conflict(gettext(HELD))


def remove_topic(db: Session, event: Event, topic: Topic) -> None:
    """Remove a topic and its channels; an event keeps at least one topic; refused
    under a legal hold."""
    if len(event.topics) <= 1:
        raise invalid("topic", gettext("An event needs at least one topic."))
    refuse_if_held(db, event)
    event.topics.remove(topic)
    db.flush()


def add_language(db: Session, event: Event, spec: LanguageSpec) -> EventLanguage:
    """Add an interpretation language: a channel and a booth in every topic."""
    code = spec.code.strip()
    if not languages.is_valid_tag(code):
        raise invalid(
            "code",
            gettext("%(code)s is not a language tag such as 'en' or 'pt-BR'.", code=repr(code)),
        )
    if any(lang.code == code for lang in event.languages):
        raise conflict(
            gettext("The event already has the language %(code)s.", code=repr(code)), "code"
        )
    if spec.machine and languages.base_of(code) not in interpretation.languages():
        raise invalid(
            "machine",
            gettext(
                "No machine interpretation into %(code)s here: it speaks %(offered)s.",
                code=repr(code),
                offered=", ".join(sorted(interpretation.languages())),
            ),
        )
    language = EventLanguage(
        code=code,
        name=spec.name or languages.name_of(code),
        position=len(event.languages),
        machine=spec.machine,
    )
    event.languages.append(language)
    for topic in event.topics:
        _add_language_channel(topic, code, spec.machine)
    db.flush()
    return language


def _add_language_channel(topic: Topic, code: str, machine: bool) -> None:
    """A language channel in `topic`: with its booth, or interpreted by machine."""
    channel = Channel(kind=ChannelKind.LANGUAGE, language_code=code, machine=machine)
    if not machine:
        channel.booth = Booth()
    topic.channels.append(channel)


def remove_language(db: Session, event: Event, code: str) -> None:
    """Remove a language with its channels, booths and booth assignments (refused
    under a legal hold)."""
    language = next((lang for lang in event.languages if lang.code == code), None)
    if language is None:
        raise not_found(N_("language"))
    refuse_if_held(db, event)
    for topic in event.topics:
        for channel in list(topic.channels):
            if channel.language_code == code:
                topic.channels.remove(channel)
    event.languages.remove(language)
    db.flush()


@runs_in(CUSTOMER_VIEW)
def assign_interpreter(db: Session, event: Event, booth: Booth, user_id: int) -> BoothAssignment:
    """Assign a member of the event's organisation to a booth."""
    if not is_member(db, event.organisation_id, user_id):
        raise invalid(
            "user_id", gettext("Only members of the organisation can be assigned to a booth.")
        )
    if any(a.user_id == user_id for a in booth.assignments):
        raise conflict(gettext("This interpreter is already assigned to the booth."), "user_id")
    assignment = BoothAssignment(user_id=user_id)
    booth.assignments.append(assignment)
    try:
        db.flush()
    except IntegrityError as exc:  # a concurrent assignment won the race
        raise conflict(
            gettext("This interpreter is already assigned to the booth."), "user_id"
        ) from exc
    return assignment


@runs_in(CUSTOMER_VIEW)
def unassign_interpreter(db: Session, booth: Booth, user_id: int) -> None:
    """Take an interpreter off a booth (refused when a legal hold covers them, the
    event or its organisation)."""
    assignment = next((a for a in booth.assignments if a.user_id == user_id), None)
    if assignment is None:
        raise not_found(N_("booth assignment"))
    held = legal_holds.active(db)
    event = booth.channel.topic.event
    email = db.scalar(select(User.email).where(User.id == user_id))
    if held.covers(user=user_id, email=email, organisation=event.organisation_id, event=event.id):
        raise conflict(gettext(HELD))
    booth.assignments.remove(assignment)
    db.flush()


def booths_of(event: Event) -> list[Booth]:
    """Every booth of the event, topic by topic."""
    return [c.booth for t in event.topics for c in t.channels if c.booth is not None]
