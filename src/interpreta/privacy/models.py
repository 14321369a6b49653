"""Tables the privacy machinery keeps for itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.db.base import Base, UTCDateTime
from interpreta.privacy.datamap import not_personal


class NoticeVersion(Base):
    """One published version of the privacy notice (promise P36)."""

    __tablename__ = "notice_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    number: Mapped[int] = mapped_column(
        Integer, unique=True, info=not_personal("version number of the notice")
    )
    published_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("publication date of the notice")
    )
    content_hash: Mapped[str] = mapped_column(
        String(64), info=not_personal("SHA-256 of the notice's Markdown")
    )
    markdown: Mapped[str] = mapped_column(Text, info=not_personal("the notice's text"))
    html: Mapped[str] = mapped_column(Text, info=not_personal("the notice's text as HTML"))
