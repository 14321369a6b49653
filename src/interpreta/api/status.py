"""The service's availability (P23): public figures, and where probers report."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from interpreta.api.dependencies import PlatformDep
from interpreta.api.inputs import Input
from interpreta.availability import records
from interpreta.availability.uptime import Uptime
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext

router = APIRouter(prefix="/api/status", tags=["status"])


class PeriodOut(BaseModel):
    """Availability over one period."""

    ratio: float | None = Field(description="Up minutes over counted minutes; null before probes")
    counted_minutes: int
    up_minutes: int
    maintenance_minutes: int
    outages: int
    meets_target: bool | None


class MaintenanceOut(BaseModel):
    """An announced maintenance window."""

    starts_at: datetime
    ends_at: datetime
    reason: str


class StatusOut(BaseModel):
    """The service's availability against its target."""

    target: float
    operational: bool | None = Field(description="Whether the last probe succeeded")
    last_probe_at: datetime | None
    periods: dict[str, PeriodOut]
    maintenance: list[MaintenanceOut] = Field(description="Ongoing and announced windows")


class ProbeIn(Input):
    """One synthetic join's result, from a prober outside the node."""

    prober: str = Field(min_length=1, max_length=40)
    ok: bool
    failed_at: Literal["page", "websocket", "media", "audio"] | None = None
    milliseconds: int | None = Field(default=None, ge=0, le=600_000)


def _period(uptime: Uptime) -> PeriodOut:
    return PeriodOut(
        ratio=uptime.ratio,
        counted_minutes=uptime.counted,
        up_minutes=uptime.up,
        maintenance_minutes=uptime.excluded,
        outages=len(uptime.outages),
        meets_target=uptime.meets_target,
    )


def status_of(platform: PlatformDep) -> StatusOut:
    """The figures /status shows, computed at most once a minute
    (:mod:`interpreta.availability.figures`)."""
    figures = platform.status_figures.get(platform.clock.now(), platform.settings.uptime_target)
    last = figures.last
    return StatusOut(
        target=figures.target,
        operational=None if last is None else last.ok,
        last_probe_at=None if last is None else last.at,
        periods={name: _period(uptime) for name, uptime in figures.periods.items()},
        maintenance=[
            MaintenanceOut(starts_at=w.starts_at, ends_at=w.ends_at, reason=w.reason)
            for w in figures.maintenance
        ],
    )


@router.get("", response_model=StatusOut)
def status(platform: PlatformDep) -> StatusOut:
    """Measured availability (share of minutes with a successful synthetic join) over the
    last day, week and month, against the target, and announced maintenance."""
    return status_of(platform)


@router.post(
    "/probes",
    status_code=201,
    responses={403: {"description": "No prober token configured, or a wrong one"}},
)
def report_probe(
    body: ProbeIn,
    platform: PlatformDep,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, str]:
    """A prober's result (``Authorization: Bearer <INTERPRETA_PROBE_TOKEN>``)."""
    expected = platform.settings.probe_token
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Problem(
            403, gettext("Forbidden"), gettext("Only a configured prober may report results.")
        )
    with platform.transaction() as db:
        records.record_probe(
            db,
            prober=body.prober,
            ok=body.ok,
            failed_at=body.failed_at,
            milliseconds=body.milliseconds,
            now=platform.clock.now(),
        )
    return {"detail": "recorded"}
