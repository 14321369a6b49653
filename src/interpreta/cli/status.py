"""``interpreta status``: measured availability (P23), maintenance, and the prober."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Annotated

import httpx
import typer
from rich.table import Table

from interpreta.availability import records
from interpreta.availability.probe import synthetic_join
from interpreta.cli.common import (
    DataDirOption,
    command_clock,
    console,
    errors,
    fail,
    load_settings,
    start_platform,
)
from interpreta.errors import Problem

app = typer.Typer(help="Availability: uptime against the target, maintenance, probing.")
maintenance = typer.Typer(help="Announced maintenance (not counted against the uptime).")
app.add_typer(maintenance, name="maintenance")

PERIODS = {"day": 1, "week": 7, "month": 30}


@app.callback(invoke_without_command=True)
def report(
    ctx: typer.Context,
    days: Annotated[
        float | None, typer.Option(min=0.01, max=400, help="One period of this many days.")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Show the uptime over the last day, week and month (or --days) against the
    target; exit 1 when a period with probes falls below it."""
    if ctx.invoked_subcommand is not None:
        return
    platform = start_platform(ctx, load_settings(data_dir))
    target = platform.settings.uptime_target
    periods = {f"{days:g} days": days} if days else PERIODS
    try:
        with platform.sessions() as db:
            now = platform.clock.now()
            figures = {name: records.uptime(db, now, n, target) for name, n in periods.items()}
            last = records.last_probe(db)
    finally:
        platform.close()
    table = Table("period", "availability", "counted min", "down min", "maintenance min", "outages")
    for name, uptime in figures.items():
        ratio = "not measured" if uptime.ratio is None else f"{uptime.ratio:.2%}"
        table.add_row(
            f"last {name}",
            ratio,
            str(uptime.counted),
            str(uptime.counted - uptime.up),
            str(uptime.excluded),
            str(len(uptime.outages)),
        )
    console.print(table)
    state = "no probe yet" if last is None else ("up" if last.ok else f"down ({last.failed_at})")
    console.print(f"target {target:.0%}; last probe: {state}", highlight=False)
    if any(u.meets_target is False for u in figures.values()):
        raise typer.Exit(1)


def _moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name} is not a date and time: give it as 2026-12-24T06:00+00:00")
    if moment.tzinfo is None:
        fail(f"{name} needs a time zone, e.g. 2026-12-24T06:00+00:00")
    return moment


@maintenance.command("add")
def add_maintenance(
    ctx: typer.Context,
    starts: Annotated[str, typer.Option(help="Start, ISO 8601 with zone.")],
    ends: Annotated[str, typer.Option(help="End, ISO 8601 with zone.")],
    reason: Annotated[str, typer.Option(help="What is done, as the public will read it.")],
    data_dir: DataDirOption = None,
) -> None:
    """Announce a maintenance window (shown on /status and to organisers)."""
    starts_at, ends_at = _moment(starts, "--starts"), _moment(ends, "--ends")
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            window = records.announce(
                db, starts_at=starts_at, ends_at=ends_at, reason=reason, now=platform.clock.now()
            )
            console.print(f"maintenance {window.id} announced", highlight=False)
    except Problem as problem:
        fail(str(problem))
    finally:
        platform.close()


@maintenance.command("list")
def list_maintenance(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """The maintenance windows of the next two weeks."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.sessions() as db:
            now = platform.clock.now()
            found = records.windows(db, now, now + records.ANNOUNCED_AHEAD)
            table = Table("id", "starts", "ends", "reason")
            for w in found:
                table.add_row(str(w.id), w.starts_at.isoformat(), w.ends_at.isoformat(), w.reason)
    finally:
        platform.close()
    console.print(table)


@app.command("probe")
def probe(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(help="The service's address, as listeners use it.")],
    code: Annotated[str, typer.Option(help="The code of the event kept for probing.")],
    speaker_key: Annotated[str, typer.Option(help="That event's speaker key.")],
    token: Annotated[
        str | None,
        typer.Option(envvar="INTERPRETA_PROBE_TOKEN", help="The prober token of the service."),
    ] = None,
    name: Annotated[str, typer.Option(help="This prober's name (its location).")] = "probe",
    every: Annotated[float, typer.Option(min=5, help="Seconds between probes.")] = 60,
    once: Annotated[bool, typer.Option("--once", help="Probe once; exit 1 on failure.")] = False,
) -> None:
    """Join the event as a listener would, from outside the node, and report each result
    to the service; run it on another machine, every minute."""
    clock = command_clock(ctx)
    while True:
        started = time.monotonic()
        outcome = asyncio.run(synthetic_join(url, code, speaker_key))
        said = "ok" if outcome.ok else f"failed at {outcome.failed_at}: {outcome.detail}"
        console.print(
            f"{clock.now():%H:%M:%S} {said} ({outcome.milliseconds} ms)",
            highlight=False,
        )
        if token:
            try:
                reply = httpx.post(
                    f"{url.rstrip('/')}/api/status/probes",
                    json={
                        "prober": name,
                        "ok": outcome.ok,
                        "failed_at": outcome.failed_at,
                        "milliseconds": outcome.milliseconds,
                    },
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                if reply.status_code != 201:
                    errors.print(f"the service refused the result: {reply.status_code}")
            except httpx.HTTPError as exc:  # the service is down: the minute counts as down
                errors.print(f"the result could not be reported: {type(exc).__name__}")
        if once:
            raise typer.Exit(0 if outcome.ok else 1)
        time.sleep(max(0.0, every - (time.monotonic() - started)))
