"""Stints on air, recorded as the microphone changes hands, and the report for invoicing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from interpreta.booths import on_air
from interpreta.clock import FrozenClock
from interpreta.events.models import Channel, Participant
from interpreta.platform import Platform
from tests.privacy.rights.seed import add_person, seed_world


def _booth(platform: Platform) -> tuple[int, int, dict[str, str]]:
    """An event with one booth's channel and two interpreters: (event, channel, keys)."""
    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now, customers=1)
        for n in (1, 2):
            add_person(db, world, now, n)
        channel = db.scalars(select(Channel)).one()
        people = db.scalars(select(Participant).order_by(Participant.id)).all()
        keys = {f"{p.first_name} {p.last_name}": p.anonymous_id for p in people[:2]}
        return channel.topic.event_id, channel.id, keys


def test_a_handover_ends_one_stint_and_starts_the_next(
    platform: Platform, clock: FrozenClock
) -> None:
    event, channel, keys = _booth(platform)
    first, second = sorted(keys)

    def change(key: str | None, minutes: float) -> None:
        clock.advance(timedelta(minutes=minutes))
        with platform.transaction() as db:
            on_air.record_changes(db, event, {channel: key}, clock.now())

    change(keys[first], 0)
    change(keys[second], 30)  # handover after 30 minutes
    change(keys[first], 20)
    change(None, 10)  # microphone off
    change(keys[second], 5)  # still on air when the report is made
    clock.advance(timedelta(minutes=2))
    with platform.sessions() as db:
        lines = {line.interpreter: line for line in on_air.report(db, event, clock.now())}
    assert lines[first].seconds == 40 * 60 and lines[first].stints == 2
    assert lines[first].longest == 30 * 60
    assert lines[second].seconds == 22 * 60 and lines[second].stints == 2
    assert lines[second].language == "de"

    rows = list(csv.DictReader(io.StringIO(on_air.as_csv(list(lines.values())))))
    assert {(r["interpreter"], r["minutes_on_air"], r["stints"]) for r in rows} == {
        (first, "40.0", "2"),
        (second, "22.0", "2"),
    }


def test_an_unknown_participant_key_records_nothing(platform: Platform) -> None:
    event, channel, _keys = _booth(platform)
    with platform.transaction() as db:
        on_air.record_changes(db, event, {channel: "not-a-participant"}, platform.clock.now())
    with platform.sessions() as db:
        assert on_air.report(db, event, platform.clock.now()) == []
