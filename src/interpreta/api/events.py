"""Events of an organisation, with topics, languages, booths and interpreter assignment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

import anyio.from_thread
from fastapi import APIRouter, Request, Response
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.actions import membership, organisation_name, require_member, require_role
from interpreta.accounts.models import MemberRole, User
from interpreta.api import live_rights
from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.inputs import Input, PathId, RowId
from interpreta.config import Settings
from interpreta.datamap.activities import CUSTOMER_VIEW
from interpreta.errors import invalid, not_found
from interpreta.events import actions
from interpreta.events.models import (
    Booth,
    Channel,
    Event,
    EventMode,
    EventStatus,
    ListenerDetails,
    Topic,
    new_ingest_key,
    new_speaker_key,
)
from interpreta.i18n.catalogues import N_, gettext
from interpreta.live.ingest import RoomFeeds
from interpreta.live.rtmp_ingest import stream_key
from interpreta.live.rtmp_server import APPLICATION
from interpreta.registration import letters
from interpreta.webhooks import lifecycle

router = APIRouter(tags=["events"], dependencies=[within(CUSTOMER_VIEW)])

MANAGERS = (MemberRole.OWNER, MemberRole.ORGANISER)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(gettext("give a time zone offset, e.g. 2026-05-01T09:00:00+02:00"))
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class LanguageIn(Input):
    """A language to interpret into."""

    code: str = Field(min_length=2, max_length=16, examples=["de"])
    name: str | None = Field(default=None, max_length=64)
    machine: bool = Field(
        default=False,
        description="Interpreted by machine (the floor's captions translated and spoken by a "
        "synthetic voice) rather than by a booth; the floor's language must be English.",
    )


class EventIn(Input):
    """A new event."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: str = Field(default="UTC", max_length=64)
    listener_details: ListenerDetails = ListenerDetails.NONE
    mode: EventMode = EventMode.WEBINAR
    waiting_room: bool = False
    floor_language: str | None = Field(
        default=None,
        max_length=16,
        examples=["en"],
        description="The language spoken on the floor (none: it mixes languages).",
    )
    captions: bool = Field(
        default=False,
        description="Offer automatic captions of the channels in a language a recogniser "
        "installed here understands (docs/speech.md).",
    )
    keep_transcript: bool = Field(
        default=False,
        description="Keep the sentences recognised in those channels as a transcript "
        "(GET /api/events/{id}/transcript).",
    )
    languages: list[LanguageIn] = Field(default_factory=list, max_length=50)
    topics: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50
    )


class EventPatch(Input):
    """Changes to an event."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    timezone: str | None = Field(default=None, max_length=64)
    status: EventStatus | None = None
    listener_details: ListenerDetails | None = None
    mode: EventMode | None = None
    waiting_room: bool | None = None
    floor_language: str | None = Field(
        default=None, max_length=16, description="Blank: the floor mixes languages."
    )
    captions: bool | None = None
    keep_transcript: bool | None = None


class TopicIn(Input):
    """A new topic (parallel room or track)."""

    name: str = Field(min_length=1, max_length=200)


class AssignmentIn(Input):
    """An interpreter to assign to a booth."""

    user_id: RowId


class InterpreterOut(BaseModel):
    """An interpreter assigned to a booth."""

    user_id: int
    name: str
    email: str


class ChannelOut(BaseModel):
    """A channel, with its booth when it is a language channel."""

    id: int
    kind: str
    language_code: str | None
    machine: bool
    """Interpreted by machine: no booth, a synthetic voice."""
    booth_id: int | None
    interpreters: list[InterpreterOut]


class TopicOut(BaseModel):
    """A topic with its channels."""

    id: int
    name: str
    channels: list[ChannelOut]


class SpeakerLinkOut(BaseModel):
    """The secret of the event's new speaker link."""

    key: str


class IngestOut(BaseModel):
    """How a room's mixing desk, OBS or a hardware encoder feeds the event's floor
    (docs/ingest.md): its secret, and where to send with it."""

    key: str = Field(description="The ingest key: WHIP's bearer token.")
    whip_url: str = Field(description="The WHIP endpoint (add ?topic=<id> for another topic).")
    rtmp_url: str | None = Field(description="The RTMP server, when RTMP ingest is on.")
    rtmp_stream_key: str | None = Field(description="The RTMP stream key (code-key).")


class EventOut(BaseModel):
    """An event as its organisation sees it."""

    id: int
    organisation_id: int
    code: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: str
    listener_details: str
    mode: str
    waiting_room: bool
    floor_language: str | None
    captions: bool
    keep_transcript: bool
    languages: list[LanguageIn]
    topics: list[TopicOut]


def event_out(db: Session, event: Event) -> EventOut:
    """The API document of `event`."""
    user_ids = {a.user_id for b in actions.booths_of(event) for a in b.assignments}
    users = {
        u.id: u
        for u in db.execute(select(User.id, User.name, User.email).where(User.id.in_(user_ids)))
    }

    def channel_out(channel: Channel) -> ChannelOut:
        booth = channel.booth
        interpreters = [
            InterpreterOut(
                user_id=a.user_id, name=users[a.user_id].name, email=users[a.user_id].email
            )
            for a in (booth.assignments if booth else [])
        ]
        return ChannelOut(
            id=channel.id,
            kind=str(channel.kind),
            language_code=channel.language_code,
            machine=channel.machine,
            booth_id=booth.id if booth else None,
            interpreters=interpreters,
        )

    return EventOut(
        id=event.id,
        organisation_id=event.organisation_id,
        code=event.code,
        title=event.title,
        description=event.description,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        listener_details=str(event.listener_details),
        mode=str(event.mode),
        waiting_room=event.waiting_room,
        floor_language=event.floor_language,
        captions=event.captions,
        keep_transcript=event.keep_transcript,
        status=str(event.status),
        languages=[
            LanguageIn(code=lang.code, name=lang.name, machine=lang.machine)
            for lang in event.languages
        ],
        topics=[
            TopicOut(id=t.id, name=t.name, channels=[channel_out(c) for c in t.channels])
            for t in event.topics
        ],
    )


def load_event(db: Session, event_id: int, user: User, *roles: MemberRole) -> Event:
    """The event, if `user` is a member of its organisation (404 otherwise, 403 for role)."""
    event = db.get(Event, event_id)
    if event is None or event.purged_at is not None:
        raise not_found(N_("event"))
    member = membership(db, event.organisation_id, user)
    if member is None:
        raise not_found(N_("event"))
    require_role(member, *roles)
    return event


def _booth(db: Session, event: Event, booth_id: int) -> Booth:
    booth = db.get(Booth, booth_id)
    if booth is None or booth.channel.topic.event_id != event.id:
        raise not_found(N_("booth"))
    return booth


@router.get("/api/organisations/{organisation_id}/events", response_model=list[EventOut])
def list_events(organisation_id: PathId, user: UserDep, platform: PlatformDep) -> list[EventOut]:
    """The organisation's events, newest first."""
    with platform.sessions() as db:
        require_member(db, organisation_id, user)
        events = db.scalars(
            select(Event)
            .where(Event.organisation_id == organisation_id, Event.purged_at.is_(None))
            .order_by(Event.starts_at.desc())
        )
        return [event_out(db, e) for e in events]


@router.post(
    "/api/organisations/{organisation_id}/events", status_code=201, response_model=EventOut
)
def create_event(
    organisation_id: PathId, body: EventIn, user: UserDep, platform: PlatformDep
) -> EventOut:
    """Create an event (owners and organisers); it gets its event code at once."""
    with platform.transaction() as db:
        require_member(db, organisation_id, user, *MANAGERS)
        event = actions.create_event(
            db,
            organisation_id=organisation_id,
            title=body.title,
            description=body.description,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            timezone=body.timezone,
            now=platform.clock.now(),
            language_specs=[
                actions.LanguageSpec(lang.code, lang.name, lang.machine) for lang in body.languages
            ],
            topic_names=body.topics,
            listener_details=body.listener_details,
            mode=body.mode,
            waiting_room=body.waiting_room,
            floor_language=body.floor_language,
            captions=body.captions,
            keep_transcript=body.keep_transcript,
        )
        lifecycle.notify(db, event, "created", platform.clock.now())
        return event_out(db, event)


@router.get("/api/events/{event_id}", response_model=EventOut)
def get_event(event_id: PathId, user: UserDep, platform: PlatformDep) -> EventOut:
    """One event, with its topics, channels, booths and interpreters."""
    with platform.sessions() as db:
        return event_out(db, load_event(db, event_id, user))


@router.patch("/api/events/{event_id}", response_model=EventOut)
def update_event(
    event_id: PathId, body: EventPatch, request: Request, user: UserDep, platform: PlatformDep
) -> EventOut:
    """Change an event (owners and organisers); ending it ends its live sessions."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        before = event.status
        actions.update_event(db, event, platform.clock.now(), **body.model_dump(exclude_unset=True))
        lifecycle.notify_update(db, event, before, platform.clock.now())
        document = event_out(db, event)
    if body.status is EventStatus.ENDED:
        live_rights.revoke(request, [event_id], "The organiser ended the event.")
    return document


@router.delete("/api/events/{event_id}", status_code=204)
def delete_event(event_id: PathId, user: UserDep, platform: PlatformDep) -> Response:
    """Delete an event that has not gone live (owners and organisers); everyone
    registered is told, their calendar entry cancelled."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        if event.status is not EventStatus.DRAFT:
            raise invalid("status", gettext("Only draft events can be deleted."))
        actions.refuse_if_held(db, event)
        organiser = organisation_name(db, event.organisation_id)
        post = letters.Post(platform.settings, platform.secrets.session_key, platform.clock.now())
        letters.send_event_cancelled(db, platform.mailer, post, event, organiser)
        lifecycle.notify(db, event, "deleted", platform.clock.now())
        db.delete(event)
    return Response(status_code=204)


@router.post("/api/events/{event_id}/topics", status_code=201, response_model=EventOut)
def add_topic(event_id: PathId, body: TopicIn, user: UserDep, platform: PlatformDep) -> EventOut:
    """Add a topic (parallel room or track)."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        actions.add_topic(db, event, body.name)
        return event_out(db, event)


@router.delete("/api/events/{event_id}/topics/{topic_id}", response_model=EventOut)
def remove_topic(
    event_id: PathId, topic_id: PathId, user: UserDep, platform: PlatformDep
) -> EventOut:
    """Remove a topic and its channels."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        topic = db.get(Topic, topic_id)
        if topic is None or topic.event_id != event.id:
            raise not_found(N_("topic"))
        actions.remove_topic(db, event, topic)
        return event_out(db, event)


@router.post("/api/events/{event_id}/languages", status_code=201, response_model=EventOut)
def add_language(
    event_id: PathId, body: LanguageIn, user: UserDep, platform: PlatformDep
) -> EventOut:
    """Add an interpretation language: a channel and booth in every topic."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        actions.add_language(db, event, actions.LanguageSpec(body.code, body.name, body.machine))
        return event_out(db, event)


@router.delete("/api/events/{event_id}/languages/{code}", response_model=EventOut)
def remove_language(event_id: PathId, code: str, user: UserDep, platform: PlatformDep) -> EventOut:
    """Remove a language with its channels and booths."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        actions.remove_language(db, event, code)
        return event_out(db, event)


@router.post(
    "/api/events/{event_id}/booths/{booth_id}/interpreters",
    status_code=201,
    response_model=EventOut,
)
def assign_interpreter(
    event_id: PathId, booth_id: PathId, body: AssignmentIn, user: UserDep, platform: PlatformDep
) -> EventOut:
    """Assign a member of the organisation to a booth."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        booth = _booth(db, event, booth_id)
        if db.scalar(select(User.id).where(User.id == body.user_id)) is None:
            raise invalid("user_id", gettext("No such member."))
        actions.assign_interpreter(db, event, booth, body.user_id)
        return event_out(db, event)


@router.delete(
    "/api/events/{event_id}/booths/{booth_id}/interpreters/{user_id}", response_model=EventOut
)
def unassign_interpreter(
    event_id: PathId,
    booth_id: PathId,
    user_id: PathId,
    request: Request,
    user: UserDep,
    platform: PlatformDep,
) -> EventOut:
    """Take an interpreter off a booth; their live console closes at once."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        actions.unassign_interpreter(db, _booth(db, event, booth_id), user_id)
        document = event_out(db, event)
    live_rights.revoke(
        request,
        [event_id],
        "The organiser took you off this booth.",
        user_id=user_id,
        roles=live_rights.INTERPRETER,
    )
    return document


@router.post("/api/events/{event_id}/speaker-link", response_model=SpeakerLinkOut)
def rotate_speaker_link(
    event_id: PathId, request: Request, user: UserDep, platform: PlatformDep
) -> SpeakerLinkOut:
    """Give the event a new speaker link (owners and organisers): the old one stops
    working, and speakers who joined with it are disconnected."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        event.speaker_key = new_speaker_key()
        key = event.speaker_key
    live_rights.revoke(
        request, [event_id], "The speaker link was replaced.", roles=live_rights.SPEAKER
    )
    return SpeakerLinkOut(key=key)


def ingest_out(settings: Settings, event: Event) -> IngestOut:
    """Where and with what secret the event's room feeds are sent."""
    base = settings.base_url.rstrip("/")
    rtmp_url = rtmp_key = None
    if settings.rtmp_port is not None:
        host = urlsplit(base).hostname or settings.host
        rtmp_url = f"rtmp://{host}:{settings.rtmp_port}/{APPLICATION}"
        rtmp_key = stream_key(event.code, event.ingest_key)
    return IngestOut(
        key=event.ingest_key,
        whip_url=f"{base}/api/live/{event.code}/whip",
        rtmp_url=rtmp_url,
        rtmp_stream_key=rtmp_key,
    )


@router.get("/api/events/{event_id}/ingest", response_model=IngestOut)
def get_ingest(event_id: PathId, user: UserDep, platform: PlatformDep) -> IngestOut:
    """The event's ingest key and where room feeds are sent (owners and organisers)."""
    with platform.sessions() as db:
        return ingest_out(platform.settings, load_event(db, event_id, user, *MANAGERS))


@router.post("/api/events/{event_id}/ingest-key", response_model=IngestOut)
def rotate_ingest_key(
    event_id: PathId, request: Request, user: UserDep, platform: PlatformDep
) -> IngestOut:
    """Give the event a new ingest key (owners and organisers): the old one stops
    working, and the room feeds sent with it end (WHIP and RTMP)."""
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        event.ingest_key = new_ingest_key()
        document = ingest_out(platform.settings, event)
    feeds: RoomFeeds | None = getattr(request.app.state, "room_feeds", None)
    if feeds is not None:
        anyio.from_thread.run(feeds.end_event, event_id, "The ingest key was replaced.")
    return document
