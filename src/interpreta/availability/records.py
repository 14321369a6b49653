"""Recording probes and maintenance, and reading the uptime from them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from interpreta.availability.models import MaintenanceWindow, ProbeResult
from interpreta.availability.uptime import TARGET, Uptime, compute
from interpreta.errors import invalid
from interpreta.i18n.catalogues import gettext

KEPT = timedelta(days=400)
"""How long probe results are kept (the status page looks back 90 days)."""

ANNOUNCED_AHEAD = timedelta(days=14)
"""How far ahead announced maintenance is shown (status page, organisers' events)."""

STEPS = ("page", "websocket", "media", "audio")
"""The steps of a synthetic join, in order: what ``failed_at`` may name."""

_PROBER = re.compile(r"^[a-z0-9][a-z0-9.-]{0,39}$")


def record_probe(
    db: Session,
    *,
    prober: str,
    ok: bool,
    failed_at: str | None,
    milliseconds: int | None,
    now: datetime,
) -> ProbeResult:
    """Keep one probe's result (and forget results older than :data:`KEPT`)."""
    if not _PROBER.match(prober):
        raise invalid(
            "prober", gettext("A prober's name is 1-40 lower-case letters, digits, . or -.")
        )
    if ok == (failed_at is not None):
        raise invalid("failed_at", gettext("Name the failed step exactly when the probe failed."))
    if failed_at is not None and failed_at not in STEPS:
        raise invalid(
            "failed_at", gettext("The failed step is one of %(steps)s.", steps=", ".join(STEPS))
        )
    result = ProbeResult(
        at=now, prober=prober, ok=ok, failed_at=failed_at, milliseconds=milliseconds
    )
    db.add(result)
    db.execute(delete(ProbeResult).where(ProbeResult.at < now - KEPT))
    db.flush()
    return result


def announce(
    db: Session, *, starts_at: datetime, ends_at: datetime, reason: str, now: datetime
) -> MaintenanceWindow:
    """Announce a maintenance window; it must be announced before it starts."""
    if ends_at <= starts_at:
        raise invalid("ends_at", gettext("A maintenance window ends after it starts."))
    if starts_at < now:
        raise invalid("starts_at", gettext("Maintenance is announced before it starts, not after."))
    if ends_at - starts_at > timedelta(days=2):
        raise invalid("ends_at", gettext("One maintenance window lasts at most two days."))
    if not reason.strip():
        raise invalid("reason", gettext("Say what the maintenance is for."))
    window = MaintenanceWindow(
        starts_at=starts_at, ends_at=ends_at, reason=reason.strip()[:500], announced_at=now
    )
    db.add(window)
    db.flush()
    return window


def windows(db: Session, since: datetime, until: datetime) -> list[MaintenanceWindow]:
    """The maintenance windows overlapping [`since`, `until`), earliest first."""
    query = (
        select(MaintenanceWindow)
        .where(MaintenanceWindow.starts_at < until, MaintenanceWindow.ends_at > since)
        .order_by(MaintenanceWindow.starts_at)
    )
    return list(db.scalars(query))


@dataclass(frozen=True)
class LastProbe:
    """The most recent probe: when, and whether it succeeded."""

    at: datetime
    ok: bool
    failed_at: str | None
    milliseconds: int | None


def last_probe(db: Session) -> LastProbe | None:
    """The newest probe result, or None before the first."""
    row = db.scalars(select(ProbeResult).order_by(ProbeResult.at.desc()).limit(1)).first()
    return None if row is None else LastProbe(row.at, row.ok, row.failed_at, row.milliseconds)


def uptime(db: Session, now: datetime, days: float, target: float = TARGET) -> Uptime:
    """The uptime of the last `days` days up to the current minute."""
    start = now - timedelta(days=days)
    first = db.scalar(select(func.min(ProbeResult.at)))
    ok = db.scalars(select(ProbeResult.at).where(ProbeResult.ok.is_(True), ProbeResult.at >= start))
    maintenance = [(w.starts_at, w.ends_at) for w in windows(db, start, now)]
    return compute(
        start, now, first_probe=first, ok_minutes=ok, maintenance=maintenance, target=target
    )
