"""The booths' tables: glossary terms, and stints on air.

A glossary is the event's, shared by its booths and organisers: meeting content
(processor scope, kept for the customer's chosen period, encrypted at rest). A stint on
air says which interpreter's microphone was live on which channel from when to when: it
is usage data about the interpreter, kept like the rest of the participation data (one
week after the event, P09), long enough for the customer to export it for invoicing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.datamap.declarations import not_personal, personal
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Purpose, Subject
from interpreta.db.base import Base, UTCDateTime
from interpreta.events.models import MEETING_CONTENT, USAGE
from interpreta.privacy.crypto import EncryptedText

GLOSSARY = MEETING_CONTENT.described("", subject=Subject.CUSTOMER_USER)
ON_AIR = USAGE.described("", purposes=(Purpose.PROVIDE_EVENTS, Purpose.BILLING))


class GlossaryTerm(Base):
    """One entry of an event's glossary: a term, its equivalent, and a note."""

    __tablename__ = "glossary_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    source_language: Mapped[str] = mapped_column(
        String(16), info=not_personal("language of a glossary term")
    )
    target_language: Mapped[str] = mapped_column(
        String(16), info=not_personal("language of a term's equivalent")
    )
    term: Mapped[str] = mapped_column(
        EncryptedText, info=personal(GLOSSARY, "glossary term", free_text=True)
    )
    equivalent: Mapped[str] = mapped_column(
        EncryptedText, info=personal(GLOSSARY, "equivalent of a glossary term", free_text=True)
    )
    note: Mapped[str | None] = mapped_column(
        EncryptedText, info=personal(GLOSSARY, "note on a glossary term", free_text=True)
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        index=True,
        info=personal(GLOSSARY, "who added a glossary term", confidential=False, tie=Tie.ACCOUNT),
    )
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        info=personal(GLOSSARY, "when a glossary term was last changed", confidential=False),
    )


class OnAirStint(Base):
    """An interpreter's microphone live on a channel, from `started_at` to `ended_at`
    (None while on air)."""

    __tablename__ = "on_air_stints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("booth's language channel", tie=Tie.EVENT),
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"),
        index=True,
        info=personal(ON_AIR, "interpreter on air", tie=Tie.OWNER),
    )
    started_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(ON_AIR, "when an interpreter went on air")
    )
    ended_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(ON_AIR, "when an interpreter left the air")
    )
