"""The tables of meeting content: chat messages, polls and votes, questions and
upvotes, shared files, and the transcript made from automatic captions.

Each row belongs to the participant who wrote, asked, voted or shared it (an ``OWNER``
tie to ``participants``), so the rights engine finds it through the participant's
email address or account; each reaches its event (``Tie.EVENT``), from which the
customer-defined retention (P16), legal holds and the encryption key's scope follow.
When retention deletes the participant (P09, a week after the event) the authored
content stays, authorless, until its own rule runs out.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interpreta.datamap.declarations import not_personal, personal
from interpreta.datamap.ties import Tie, tied
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.events.models import ASSESSED, MEETING_CONTENT
from interpreta.privacy.crypto import EncryptedText


class ChatAudience(StrEnum):
    """Who reads a chat message."""

    EVERYONE = "everyone"
    HOSTS = "hosts"
    """The event's hosts (its organisers, moderating) and the author."""
    PRIVATE = "private"
    """One participant and the author."""


class ChatMessage(Base):
    """A chat message in an event."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"),
        index=True,
        info=personal(
            MEETING_CONTENT,
            "author of a chat message",
            tie=Tie.OWNER,
            confidential=False,
            purposes=ASSESSED,
        ),
    )
    audience: Mapped[ChatAudience] = mapped_column(
        enum_type(ChatAudience, 12), info=not_personal("everyone, the hosts, or one person")
    )
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"),
        index=True,
        info=personal(
            MEETING_CONTENT,
            "recipient of a private chat message",
            tie=Tie.OWNER,
            confidential=False,
        ),
    )
    body: Mapped[str] = mapped_column(
        EncryptedText, info=personal(MEETING_CONTENT, "chat message", free_text=True)
    )
    sent_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        info=personal(MEETING_CONTENT, "when a chat message was sent", confidential=False),
    )


class PollStatus(StrEnum):
    """Where a poll is in its life."""

    OPEN = "open"
    CLOSED = "closed"


class Poll(Base):
    """A question a host puts to the event, with answer options."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"),
        index=True,
        info=personal(
            MEETING_CONTENT,
            "host who asked a poll",
            # the poll belongs to the event: erasing its host unlinks them, and the
            # poll and everyone's votes stay
            tie=tied(Tie.OWNER, "author_id"),
            confidential=False,
        ),
    )
    question: Mapped[str] = mapped_column(
        EncryptedText, info=personal(MEETING_CONTENT, "poll question", free_text=True)
    )
    multiple: Mapped[bool] = mapped_column(
        Boolean, info=not_personal("whether several options may be chosen")
    )
    live_results: Mapped[bool] = mapped_column(
        Boolean, info=not_personal("whether voters see the results while the poll is open")
    )
    status: Mapped[PollStatus] = mapped_column(
        enum_type(PollStatus, 8), info=not_personal("open or closed")
    )
    opened_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(MEETING_CONTENT, "when a poll opened", confidential=False)
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(MEETING_CONTENT, "when a poll closed", confidential=False)
    )

    options: Mapped[list[PollOption]] = relationship(
        back_populates="poll", cascade="all, delete-orphan", order_by="PollOption.position"
    )


class PollOption(Base):
    """One answer a poll offers."""

    __tablename__ = "poll_options"
    __untied__ = (
        "an option is part of its poll, which belongs to the event; the poll records "
        "which host asked it"
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the poll the option belongs to", tie=Tie.EVENT),
    )
    position: Mapped[int] = mapped_column(Integer, info=not_personal("order of the options"))
    text: Mapped[str] = mapped_column(
        EncryptedText, info=personal(MEETING_CONTENT, "poll answer option", free_text=True)
    )

    poll: Mapped[Poll] = relationship(back_populates="options")


class PollVote(Base):
    """A participant's choice of one option of a poll."""

    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("option_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("poll", tie=Tie.EVENT),
    )
    option_id: Mapped[int] = mapped_column(
        ForeignKey("poll_options.id", ondelete="CASCADE"),
        index=True,
        info=personal(MEETING_CONTENT, "the option you chose in a poll", confidential=False),
    )
    voter_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"),
        index=True,
        info=personal(
            MEETING_CONTENT,
            "who voted in a poll",
            tie=Tie.OWNER,
            confidential=False,
            purposes=ASSESSED,
        ),
    )
    voted_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(MEETING_CONTENT, "when you voted", confidential=False)
    )


class QuestionStatus(StrEnum):
    """What the hosts did with a question."""

    OPEN = "open"
    ANSWERED = "answered"
    DISMISSED = "dismissed"
    """Hidden from everyone but the hosts and the asker."""


class Question(Base):
    """A question for the speakers (Q&A), which others can upvote."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"),
        index=True,
        info=personal(
            MEETING_CONTENT,
            "who asked a question",
            tie=Tie.OWNER,
            confidential=False,
            purposes=ASSESSED,
        ),
    )
    body: Mapped[str] = mapped_column(
        EncryptedText, info=personal(MEETING_CONTENT, "question", free_text=True)
    )
    anonymous: Mapped[bool] = mapped_column(
        Boolean,
        info=personal(
            MEETING_CONTENT, "whether you asked to be shown as anonymous", confidential=False
        ),
    )
    status: Mapped[QuestionStatus] = mapped_column(
        enum_type(QuestionStatus, 10), info=not_personal("open, answered or dismissed")
    )
    asked_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(MEETING_CONTENT, "when a question was asked", confidential=False)
    )


class QuestionVote(Base):
    """A participant's upvote of a question."""

    __tablename__ = "question_votes"
    __table_args__ = (UniqueConstraint("question_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("question", tie=Tie.EVENT),
    )
    voter_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"),
        index=True,
        info=personal(MEETING_CONTENT, "who upvoted a question", tie=Tie.OWNER, confidential=False),
    )
    voted_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        info=personal(MEETING_CONTENT, "when you upvoted a question", confidential=False),
    )


class SharedFile(Base):
    """A file a participant shared with the event, its content encrypted at rest.

    The content lives in the database (base64 inside the field ciphertext), so backups,
    erasure, retention and key rotation treat it like every other field; the size limit
    (:data:`interpreta.config.Settings.meeting_file_max_bytes`) keeps that reasonable.
    """

    __tablename__ = "shared_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"),
        index=True,
        info=personal(MEETING_CONTENT, "who shared a file", tie=Tie.OWNER, confidential=False),
    )
    name: Mapped[str] = mapped_column(
        EncryptedText, info=personal(MEETING_CONTENT, "name of a shared file", free_text=True)
    )
    media_type: Mapped[str] = mapped_column(
        String(100), info=personal(MEETING_CONTENT, "type of a shared file", confidential=False)
    )
    size: Mapped[int] = mapped_column(
        Integer,
        info=personal(MEETING_CONTENT, "size of a shared file in bytes", confidential=False),
    )
    content: Mapped[str] = mapped_column(
        EncryptedText, info=personal(MEETING_CONTENT, "content of a shared file (base64)")
    )
    shared_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(MEETING_CONTENT, "when a file was shared", confidential=False)
    )


class TranscriptSegment(Base):
    """A sentence recognised in a channel while the event keeps a transcript: the final
    caption in the channel's own language, who was on air, and when."""

    __tablename__ = "transcript_segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"),
        index=True,
        info=not_personal("the channel that was transcribed"),
    )
    language: Mapped[str] = mapped_column(
        String(16), info=not_personal("the language the words were recognised in")
    )
    engine: Mapped[str] = mapped_column(
        String(32), info=not_personal("the speech recogniser that made the words")
    )
    speaker_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"),
        index=True,
        info=personal(
            MEETING_CONTENT,
            "who was on air when words of a transcript were recognised",
            tie=Tie.OWNER,
            confidential=False,
        ),
    )
    text: Mapped[str] = mapped_column(
        EncryptedText,
        info=personal(
            MEETING_CONTENT,
            "words recognised automatically in what you said on air",
            free_text=True,
        ),
    )
    spoken_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        index=True,
        info=personal(MEETING_CONTENT, "when the words were said", confidential=False),
    )
    duration_ms: Mapped[int] = mapped_column(
        Integer,
        info=personal(MEETING_CONTENT, "how long the words took to say", confidential=False),
    )
