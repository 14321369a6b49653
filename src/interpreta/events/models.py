"""Events and everything inside one: topics, languages, channels, booths, participants.

The people in a customer's events are the customer's data; the operator
processes it on the customer's behalf (promise P01) and deletes it one week after
the event ends (P09).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.privacy.crypto import EncryptedText

PARTICIPATION = Personal(
    category=Category.IDENTIFIERS,
    subject=Subject.PARTICIPANT,
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    retention=rules.PARTICIPATION,
    scope=Scope.PROCESSOR,
)
CONNECTION = PARTICIPATION.described(
    "",
    category=Category.CONNECTION,
    purposes=(Purpose.PROVIDE_EVENTS, Purpose.TROUBLESHOOTING, Purpose.PRODUCT_ANALYTICS),
)
EQUIPMENT = CONNECTION.described("", category=Category.TECHNICAL)
METERED = (*CONNECTION.purposes, Purpose.BILLING)
"""The purposes of what usage metering adds up (who listened, from when to when): the
event's own, and billing the customer for the hours."""
USAGE = PARTICIPATION.described(
    "", category=Category.USAGE_EVENTS, purposes=(Purpose.PROVIDE_EVENTS, Purpose.TROUBLESHOOTING)
)
MEETING_CONTENT = Personal(
    category=Category.MEETING_CONTENT,
    subject=Subject.PARTICIPANT,
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    retention=rules.MEETING_CONTENT,
    scope=Scope.PROCESSOR,
    confidential=True,
)
ASSIGNMENT = PARTICIPATION.described("", subject=Subject.CUSTOMER_USER)
ASSESSED = (Purpose.PROVIDE_EVENTS, Purpose.AUTOMATED_ASSESSMENT)
"""The purposes of what engagement estimates read besides running the event, where the
customer turned them on (P37): who spoke, wrote, voted or asked, and the recordings."""


class RegistrationMode(StrEnum):
    """Whether listeners register before they join, and who accepts them."""

    OPEN = "open"
    """No registration: the event code is enough."""
    AUTOMATIC = "automatic"
    """Register first; accepted at once while places last, then on the waiting list."""
    APPROVAL = "approval"
    """Register first; an organiser accepts or declines each registration."""


class EventStatus(StrEnum):
    """Where an event is in its life."""

    DRAFT = "draft"
    LIVE = "live"
    ENDED = "ended"


def new_speaker_key() -> str:
    """A fresh secret for an event's speaker link."""
    return secrets.token_urlsafe(18)


def new_ingest_key() -> str:
    """A fresh secret for an event's ingest (the WHIP bearer token, the RTMP stream key)."""
    return secrets.token_urlsafe(18)


class ListenerDetails(StrEnum):
    """What the organiser asks listeners for when they join (nothing: anonymous)."""

    NONE = "none"
    NAME = "name"
    NAME_AND_EMAIL = "name_and_email"


class EventMode(StrEnum):
    """How people take part: who may talk on the floor."""

    WEBINAR = "webinar"
    """Panelists (speakers, through the speaker link) talk; attendees listen, and talk
    only when a host lets them (a raised hand)."""
    MEETING = "meeting"
    """Everyone may talk; hosts may mute anyone."""


class ChannelKind(StrEnum):
    """A topic's floor, or one of its language channels."""

    FLOOR = "floor"
    LANGUAGE = "language"


class ParticipantRole(StrEnum):
    """What a participant does in an event."""

    LISTENER = "listener"
    SPEAKER = "speaker"
    INTERPRETER = "interpreter"
    MODERATOR = "moderator"


class Event(Base):
    """A customer's event, reached by its event code."""

    __tablename__ = "events"
    __anchors__ = Anchors({Anchor.EVENT_END: lambda: func.coalesce(Event.ended_at, Event.ends_at)})
    __table_args__ = (
        Index(
            "uq_events_code_unpurged",
            "code",
            unique=True,
            sqlite_where=text("purged_at IS NULL"),
            postgresql_where=text("purged_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, info=not_personal("row number", tie=Tie.EVENT)
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("which customer runs the event", tie=Tie.ORGANISATION),
    )
    title: Mapped[str] = mapped_column(
        String(200),
        info=not_personal("public event title chosen by the organiser", free_text=True),
    )
    description: Mapped[str] = mapped_column(
        Text,
        default="",
        info=not_personal("public event description chosen by the organiser", free_text=True),
    )
    code: Mapped[str] = mapped_column(
        String(8), index=True, info=not_personal("public event code, shared with the audience")
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, info=not_personal("event schedule"))
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, info=not_personal("event schedule"))
    timezone: Mapped[str] = mapped_column(
        String(64), default="UTC", info=not_personal("the event's time zone (IANA name)")
    )
    status: Mapped[EventStatus] = mapped_column(
        enum_type(EventStatus, 8),
        default=EventStatus.DRAFT,
        info=not_personal("event lifecycle state"),
    )
    ended_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the event actually ended")
    )
    speaker_key: Mapped[str] = mapped_column(
        String(32),
        default=lambda: new_speaker_key(),
        info=not_personal("secret of the speaker link; the organiser can rotate it"),
    )
    ingest_key: Mapped[str] = mapped_column(
        String(32),
        default=lambda: new_ingest_key(),
        info=not_personal("secret of the room feed (WHIP, RTMP); the organiser can rotate it"),
    )
    listener_details: Mapped[ListenerDetails] = mapped_column(
        enum_type(ListenerDetails, 16),
        default=ListenerDetails.NONE,
        server_default=ListenerDetails.NONE.value,
        info=not_personal("what the organiser asks listeners for at join (a setting)"),
    )
    mode: Mapped[EventMode] = mapped_column(
        enum_type(EventMode, 12),
        default=EventMode.WEBINAR,
        server_default=EventMode.WEBINAR.value,
        info=not_personal("webinar or meeting: who may talk (a setting)"),
    )
    waiting_room: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=text("false"),
        info=not_personal("whether attendees wait until a host lets them in (a setting)"),
    )
    floor_language: Mapped[str | None] = mapped_column(
        String(16),
        info=not_personal("the language spoken on the floor, when one is (a setting)"),
    )
    captions: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=text("false"),
        info=not_personal("whether listeners may turn on automatic captions (a setting)"),
    )
    keep_transcript: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=text("false"),
        info=not_personal("whether the captions' sentences are kept as a transcript (a setting)"),
    )
    registration: Mapped[RegistrationMode] = mapped_column(
        enum_type(RegistrationMode, 12),
        default=RegistrationMode.OPEN,
        server_default=RegistrationMode.OPEN.value,
        info=not_personal("whether listeners register first, and who accepts them (a setting)"),
    )
    capacity: Mapped[int | None] = mapped_column(
        Integer, info=not_personal("places for registered listeners (none: no limit)")
    )
    schedule_sequence: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default=text("0"),
        info=not_personal("iCalendar SEQUENCE of its invitations: raised as its schedule changes"),
    )
    purged_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the event's participation data was purged")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, info=not_personal("row creation"))

    topics: Mapped[list[Topic]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Topic.position"
    )
    languages: Mapped[list[EventLanguage]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventLanguage.position"
    )


class EventLanguage(Base):
    """A language the event is interpreted into."""

    __tablename__ = "event_languages"
    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    code: Mapped[str] = mapped_column(String(16), info=not_personal("BCP 47 language tag"))
    name: Mapped[str] = mapped_column(String(64), info=not_personal("language name"))
    position: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("list order"))
    machine: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=text("false"),
        info=not_personal("interpreted by machine: translation and a synthetic voice"),
    )

    event: Mapped[Event] = relationship(back_populates="languages")


class Topic(Base):
    """A parallel room or track of an event, with its own floor and language channels."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    name: Mapped[str] = mapped_column(
        String(200), info=not_personal("public topic name", free_text=True)
    )
    position: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("list order"))

    event: Mapped[Event] = relationship(back_populates="topics")
    channels: Mapped[list[Channel]] = relationship(
        back_populates="topic", cascade="all, delete-orphan", order_by="Channel.id"
    )


class Channel(Base):
    """One audio stream of a topic: its floor, or its interpretation into one language."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("topic_id", "language_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("topic", tie=Tie.EVENT),
    )
    kind: Mapped[ChannelKind] = mapped_column(
        enum_type(ChannelKind, 8), info=not_personal("floor or language")
    )
    language_code: Mapped[str | None] = mapped_column(
        String(16), info=not_personal("language of a language channel; none for the floor")
    )
    machine: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=text("false"),
        info=not_personal(
            "a language channel interpreted by machine (no booth): the floor's captions "
            "translated and spoken by a synthetic voice"
        ),
    )

    topic: Mapped[Topic] = relationship(back_populates="channels")
    booth: Mapped[Booth | None] = relationship(
        back_populates="channel", cascade="all, delete-orphan", uselist=False
    )


class Booth(Base):
    """The virtual interpreting booth that feeds one language channel."""

    __tablename__ = "booths"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"),
        unique=True,
        info=not_personal("the channel the booth feeds", tie=Tie.EVENT),
    )

    channel: Mapped[Channel] = relationship(back_populates="booth")
    assignments: Mapped[list[BoothAssignment]] = relationship(
        back_populates="booth", cascade="all, delete-orphan", order_by="BoothAssignment.id"
    )


class BoothAssignment(Base):
    """An interpreter assigned to a booth by the organiser."""

    __tablename__ = "booth_assignments"
    __table_args__ = (UniqueConstraint("booth_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    booth_id: Mapped[int] = mapped_column(
        ForeignKey("booths.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("booth", tie=Tie.EVENT),
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"),
        index=True,
        info=personal(ASSIGNMENT, "user ID of an assigned interpreter", tie=Tie.ACCOUNT),
    )

    booth: Mapped[Booth] = relationship(back_populates="assignments")


class Participant(Base):
    """A person in an event: named, or an anonymous listener known by a generated ID."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=personal(
            CONNECTION,
            "event ID",
            tie=Tie.EVENT,
            purposes=(*METERED, Purpose.AUTOMATED_ASSESSMENT),
        ),
    )
    role: Mapped[ParticipantRole] = mapped_column(
        enum_type(ParticipantRole, 12),
        info=personal(
            PARTICIPATION,
            "role in the event",
            category=Category.ACCOUNT,
            purposes=METERED,
        ),
    )
    anonymous_id: Mapped[str] = mapped_column(
        String(32), unique=True, info=personal(PARTICIPATION, "generated participant ID")
    )
    first_name: Mapped[str | None] = mapped_column(
        String(100), info=personal(PARTICIPATION, "first name", purposes=ASSESSED)
    )
    last_name: Mapped[str | None] = mapped_column(
        String(100), info=personal(PARTICIPATION, "last name", purposes=ASSESSED)
    )
    email: Mapped[str | None] = mapped_column(
        String(320),
        index=True,
        info=personal(PARTICIPATION, "email address", tie=Tie.EMAIL, purposes=ASSESSED),
    )
    phone: Mapped[str | None] = mapped_column(
        EncryptedText, info=personal(PARTICIPATION, "phone number", confidential=True)
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        index=True,
        info=personal(
            PARTICIPATION,
            "user ID, when the participant has an account",
            tie=Tie.ACCOUNT,
            purposes=ASSESSED,
        ),
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(CONNECTION, "when you joined the event")
    )

    sessions: Mapped[list[ConnectionSession]] = relationship(
        back_populates="participant", cascade="all, delete-orphan"
    )


class ConnectionSession(Base):
    """One connection of a participant's browser to an event."""

    __tablename__ = "connection_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"),
        index=True,
        info=personal(
            CONNECTION, "participant ID of a connection", tie=Tie.OWNER, purposes=METERED
        ),
    )
    session_id: Mapped[str] = mapped_column(
        String(64), unique=True, info=personal(CONNECTION, "session ID")
    )
    topic_id: Mapped[int | None] = mapped_column(
        ForeignKey("topics.id", ondelete="SET NULL"), info=personal(CONNECTION, "topic ID")
    )
    browser: Mapped[str | None] = mapped_column(String(64), info=personal(EQUIPMENT, "browser"))
    os: Mapped[str | None] = mapped_column(String(64), info=personal(EQUIPMENT, "operating system"))
    device_type: Mapped[str | None] = mapped_column(
        String(16), info=personal(EQUIPMENT, "device type")
    )
    ip_address: Mapped[str | None] = mapped_column(
        String(45), info=personal(EQUIPMENT, "IP address")
    )
    joined_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(CONNECTION, "join time", purposes=METERED)
    )
    left_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(CONNECTION, "leave time", purposes=METERED)
    )
    media_session_id: Mapped[str | None] = mapped_column(
        String(64), info=personal(CONNECTION, "media (RTP) session ID")
    )
    stream_id: Mapped[str | None] = mapped_column(
        String(64), info=personal(CONNECTION, "stream ID")
    )
    media_url: Mapped[str | None] = mapped_column(
        String(200), info=personal(CONNECTION, "media URL (local IP address and port)")
    )

    participant: Mapped[Participant] = relationship(back_populates="sessions")


class UsageEvent(Base):
    """Something a participant did during a connection: join, leave, switch channel."""

    __tablename__ = "usage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    connection_session_id: Mapped[int] = mapped_column(
        ForeignKey("connection_sessions.id", ondelete="CASCADE"),
        index=True,
        info=personal(USAGE, "connection of a usage event", tie=Tie.OWNER),
    )
    kind: Mapped[str] = mapped_column(String(32), info=personal(USAGE, "what happened"))
    detail: Mapped[str | None] = mapped_column(
        String(64), info=personal(USAGE, "which channel or control")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, info=personal(USAGE, "when it happened"))


class BoothChatMessage(Base):
    """A message between booth mates; meeting content, encrypted at rest."""

    __tablename__ = "booth_chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    booth_id: Mapped[int] = mapped_column(
        ForeignKey("booths.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("booth", tie=Tie.EVENT),
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"),
        index=True,
        info=personal(
            MEETING_CONTENT,
            "author of a booth chat message",
            confidential=False,
            tie=Tie.OWNER,
        ),
    )
    body: Mapped[str] = mapped_column(
        EncryptedText, info=personal(MEETING_CONTENT, "booth chat message", free_text=True)
    )
    sent_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        info=personal(MEETING_CONTENT, "when a booth message was sent", confidential=False),
    )
