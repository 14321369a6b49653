"""The tables of recordings: one row per channel recorded, its sound in encrypted chunks,
and who was heard in it when."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.datamap.declarations import not_personal, personal
from interpreta.datamap.ties import Tie
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.events.models import ASSESSED, MEETING_CONTENT
from interpreta.privacy.crypto import EncryptedText

AUDIO = "audio/ogg"
"""The media type of a channel's sound recording (Ogg Opus)."""


class RecordingStatus(StrEnum):
    """Where a recording is in its life."""

    RECORDING = "recording"
    DONE = "done"


class Recording(Base):
    """The recording of one channel of an event, from when a host started it to the stop."""

    __tablename__ = "recordings"
    __untied__ = (
        "a channel's recording is the event's; who is heard in it, and when, is in "
        "recording_voices, tied to each person"
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"),
        info=not_personal("the channel recorded"),
    )
    label: Mapped[str] = mapped_column(
        String(40), info=not_personal("the channel's name: floor, or its language code")
    )
    media_type: Mapped[str] = mapped_column(
        String(40),
        default=AUDIO,
        server_default=AUDIO,
        info=not_personal("the recording's format: Ogg Opus sound, or the stage's video"),
    )
    status: Mapped[RecordingStatus] = mapped_column(
        enum_type(RecordingStatus, 10), info=not_personal("recording or done")
    )
    started_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        info=personal(MEETING_CONTENT, "when a recording started", confidential=False),
    )
    ended_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the recording stopped")
    )
    duration_ms: Mapped[int] = mapped_column(
        Integer, default=0, info=not_personal("how long the recording is")
    )
    size: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("bytes recorded"))


class RecordingChunk(Base):
    """A piece of a recording's sound (Ogg Opus bytes), encrypted as it was recorded."""

    __tablename__ = "recording_chunks"
    __table_args__ = (UniqueConstraint("recording_id", "seq"),)
    __untied__ = "a piece of a channel's recording (see recordings)"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("recording", tie=Tie.EVENT),
    )
    seq: Mapped[int] = mapped_column(Integer, info=not_personal("order of the pieces"))
    data: Mapped[str] = mapped_column(
        EncryptedText,
        info=personal(
            MEETING_CONTENT,
            "recorded sound of a channel (Ogg Opus), or video of a topic's stage (WebM or "
            "Matroska), in base64",
            purposes=ASSESSED,
        ),
    )


class RecordingVoice(Base):
    """A stretch of a recording in which a person was heard (on air on that channel), or
    seen (on the stage, in a stage video recording)."""

    __tablename__ = "recording_voices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("recording", tie=Tie.EVENT),
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"),
        index=True,
        info=personal(
            MEETING_CONTENT,
            "who was heard or seen in a recording",
            tie=Tie.OWNER,
            confidential=False,
            purposes=ASSESSED,
        ),
    )
    from_ms: Mapped[int] = mapped_column(
        Integer,
        info=personal(
            MEETING_CONTENT,
            "from when you were heard or seen in the recording",
            confidential=False,
            purposes=ASSESSED,
        ),
    )
    to_ms: Mapped[int | None] = mapped_column(
        Integer,
        info=personal(
            MEETING_CONTENT,
            "until when you were heard or seen in the recording",
            confidential=False,
            purposes=ASSESSED,
        ),
    )
