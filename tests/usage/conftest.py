"""An event that has happened, as the metering tests start from: listeners connected for
known spans, interpreters on air, two languages and a recording of a known size."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from interpreta.accounts.models import Organisation
from interpreta.booths.models import OnAirStint
from interpreta.events.models import (
    Channel,
    ChannelKind,
    ConnectionSession,
    Event,
    EventLanguage,
    Participant,
    ParticipantRole,
    Topic,
)
from interpreta.platform import Platform
from interpreta.recordings.models import Recording, RecordingStatus

_ids = itertools.count(1)


@dataclass
class Held:
    """The event a test meters, and its customer."""

    organisation_id: int
    event_id: int
    ended: datetime


def hold_event(
    platform: Platform,
    organisation_id: int,
    starts: datetime,
    *,
    listened: tuple[tuple[int, int | None], ...] = ((0, 90), (30, 120), (60, None)),
    on_air: tuple[tuple[int, int | None], ...] = ((0, 45), (45, None)),
    languages: tuple[str, ...] = ("de", "fr"),
    recorded: int = 1_500_000_000,
    hours: int = 2,
) -> Held:
    """An event of `hours` from `starts`: listeners connected and interpreters on air for
    the given (from, to) minutes after the start (None: still connected at the end)."""
    ends = starts + timedelta(hours=hours)
    at = lambda minutes: None if minutes is None else starts + timedelta(minutes=minutes)  # noqa: E731
    with platform.transaction() as db:
        event = Event(
            organisation_id=organisation_id,
            title="Summit on water",
            code=f"U{next(_ids):06d}",
            starts_at=starts,
            ends_at=ends,
            created_at=starts,
        )
        db.add(event)
        db.flush()
        db.add_all(EventLanguage(event_id=event.id, code=c, name=c) for c in languages)
        topic = Topic(event_id=event.id, name="Plenary")
        db.add(topic)
        db.flush()
        channel = Channel(topic_id=topic.id, kind=ChannelKind.LANGUAGE, language_code="de")
        db.add(channel)
        db.flush()
        for role, spans in (
            (ParticipantRole.LISTENER, listened),
            (ParticipantRole.INTERPRETER, on_air),
        ):
            for start, stop in spans:
                person = Participant(
                    event_id=event.id,
                    role=role,
                    anonymous_id=f"p{next(_ids)}",
                    created_at=starts,
                )
                db.add(person)
                db.flush()
                if role is ParticipantRole.LISTENER:
                    db.add(
                        ConnectionSession(
                            participant_id=person.id,
                            session_id=f"s{next(_ids)}",
                            joined_at=at(start),
                            left_at=at(stop),
                        )
                    )
                else:
                    db.add(
                        OnAirStint(
                            channel_id=channel.id,
                            participant_id=person.id,
                            started_at=at(start),
                            ended_at=at(stop),
                        )
                    )
        if recorded:
            db.add(
                Recording(
                    event_id=event.id,
                    channel_id=channel.id,
                    label="Deutsch",
                    status=RecordingStatus.DONE,
                    started_at=starts,
                    ended_at=ends,
                    duration_ms=hours * 3_600_000,
                    size=recorded,
                )
            )
        return Held(organisation_id, event.id, ends)


@pytest.fixture
def organisation_id(platform: Platform) -> int:
    """A customer without a contract."""
    with platform.transaction() as db:
        organisation = Organisation(name="Wasserforum e.V.", created_at=platform.clock.now())
        db.add(organisation)
        db.flush()
        return organisation.id
