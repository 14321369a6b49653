"""What availability is computed from: probe results and announced maintenance.

Neither holds personal data: a probe is a machine's synthetic join, and a
maintenance window is the operator's public announcement.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.datamap.declarations import not_personal
from interpreta.db.base import Base, UTCDateTime


class ProbeResult(Base):
    """One synthetic join (page, WebSocket, first audio packet) and how it went."""

    __tablename__ = "probe_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    at: Mapped[datetime] = mapped_column(
        UTCDateTime, index=True, info=not_personal("when the probe's result arrived")
    )
    prober: Mapped[str] = mapped_column(
        String(40), info=not_personal("the name of the probing machine (a location)")
    )
    ok: Mapped[bool] = mapped_column(Boolean, info=not_personal("whether the join succeeded"))
    failed_at: Mapped[str | None] = mapped_column(
        String(20), info=not_personal("the step that failed: page, websocket, media or audio")
    )
    milliseconds: Mapped[int | None] = mapped_column(
        Integer, info=not_personal("page request to first audio packet, in ms")
    )


class MaintenanceWindow(Base):
    """An announced maintenance: its minutes do not count against the uptime."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    starts_at: Mapped[datetime] = mapped_column(
        UTCDateTime, index=True, info=not_personal("when the maintenance starts")
    )
    ends_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the maintenance ends")
    )
    reason: Mapped[str] = mapped_column(
        Text, info=not_personal("the public announcement's text", free_text=True)
    )
    announced_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when it was announced")
    )
