"""The retention engine, by time travel: each rule removes data exactly when due."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from interpreta.accounts.models import Membership, Organisation, SignInSession, User
from interpreta.booths import glossary, on_air
from interpreta.booths.models import GlossaryTerm, OnAirStint
from interpreta.clock import FrozenClock
from interpreta.datamap.activities import RECORDING
from interpreta.events.actions import LanguageSpec, create_event
from interpreta.events.models import (
    BoothChatMessage,
    Channel,
    ChannelKind,
    ConnectionSession,
    Event,
    Participant,
    ParticipantRole,
    Topic,
    UsageEvent,
)
from interpreta.events.participation import join, open_connection, record_usage
from interpreta.events.statistics import EventStatistic
from interpreta.platform import Platform
from interpreta.privacy import holds, retention
from interpreta.privacy.holds import HoldScope
from interpreta.privacy.processing import processing
from interpreta.privacy.retention import RetentionEngine
from interpreta.recordings import store as recordings
from interpreta.recordings.models import Recording, RecordingChunk

SECOND = timedelta(seconds=1)


def _engine(platform: Platform) -> RetentionEngine:
    return platform.retention_engine(batch_size=7)


def _count(platform: Platform, model: type) -> int:
    with platform.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _organisation(platform: Platform, name: str = "Acme") -> int:
    with platform.transaction() as db:
        organisation = Organisation(name=name, created_at=platform.clock.now())
        db.add(organisation)
        db.flush()
        return organisation.id


def _event_with_people(
    platform: Platform, organisation_id: int, listeners: int = 6, email: str = "l{}@example.org"
) -> int:
    """An event ending one hour from now, with listeners, sessions, usage, booth chat."""
    now = platform.clock.now()
    with platform.transaction() as db:
        event = create_event(
            db,
            organisation_id=organisation_id,
            title="Summit",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            timezone="UTC",
            now=now,
            language_specs=[LanguageSpec("de")],
        )
        german = next(c for c in event.topics[0].channels if c.language_code == "de")
        for i in range(listeners):
            person = join(db, event_id=event.id, role=ParticipantRole.LISTENER, now=now)
            person.email = email.format(i)
            session = open_connection(
                db,
                person,
                now=now,
                topic_id=event.topics[0].id,
                browser="Chrome 1",
                os="Linux",
                device_type="phone" if i % 2 else "desktop",
                ip_address="10.0.0.1",
            )
            session.stream_id = str(german.id)
            session.left_at = now + timedelta(minutes=30)
            record_usage(db, session.id, "switch", str(german.id), now)
        assert german.booth is not None
        db.add(BoothChatMessage(booth_id=german.booth.id, body="hello booth", sent_at=now))
        return event.id


def test_every_table_with_personal_data_declares_its_anchors() -> None:
    assert retention.problems() == []


def test_p09_participation_data_goes_exactly_one_week_after_the_event_ends(
    platform: Platform, clock: FrozenClock
) -> None:
    _event_with_people(platform, _organisation(platform))
    engine = _engine(platform)
    clock.advance(timedelta(hours=1) + timedelta(days=7) - SECOND)
    report = engine.run(clock.now())
    assert report.total == 0
    assert _count(platform, Participant) == 6
    clock.advance(SECOND)
    report = engine.run(clock.now())
    for model in (Participant, ConnectionSession, UsageEvent):
        assert _count(platform, model) == 0, model
    assert report.outcomes["participants / participation"].disposed == 6
    assert engine.run(clock.now()).total == 0  # nothing left: running again changes nothing


def test_p09_disposed_values_leave_neither_the_file_nor_the_wal(
    platform: Platform, clock: FrozenClock
) -> None:
    url = platform.settings.resolved_database_url
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's own files; PostgreSQL: see ARCHITECTURE.md")
    _event_with_people(platform, _organisation(platform), email="gone{}@retention.example")
    clock.advance(timedelta(days=8))
    report = _engine(platform).run(clock.now())
    assert report.total > 0 and report.wal_emptied
    path = Path(url.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert b"retention.example" not in path.read_bytes()


def test_p17_anonymised_statistics_survive_and_small_cells_are_suppressed(
    platform: Platform, clock: FrozenClock
) -> None:
    organisation = _organisation(platform)
    big = _event_with_people(platform, organisation, listeners=6)
    small = _event_with_people(platform, organisation, listeners=3, email="s{}@example.org")
    clock.advance(timedelta(days=8))
    _engine(platform).run(clock.now())
    with platform.sessions() as db:
        figures = {
            (s.event_id, s.metric, s.dimension): s.value for s in db.scalars(select(EventStatistic))
        }
    assert figures[(big, "listeners", "de")] == 6
    assert figures[(big, "minutes_listened", "de")] == 180.0
    assert figures[(big, "device_share", "phone")] is None  # 3 people: suppressed
    assert figures[(small, "listeners", "de")] is None
    assert not any("@" in str(key) for key in figures)


def test_p16_meeting_content_follows_the_customer_period_within_bounds(
    platform: Platform, clock: FrozenClock
) -> None:
    default_org, custom_org = _organisation(platform, "Default"), _organisation(platform, "Custom")
    _event_with_people(platform, default_org, listeners=1)
    _event_with_people(platform, custom_org, listeners=1, email="c{}@example.org")
    with platform.transaction() as db:
        db.get(Organisation, custom_org).content_retention_days = 90  # type: ignore[union-attr]
    engine = _engine(platform)
    clock.advance(timedelta(hours=1) + timedelta(days=30))
    engine.run(clock.now())
    assert _count(platform, BoothChatMessage) == 1  # the default (30 days) went
    clock.advance(timedelta(days=60) - SECOND)
    engine.run(clock.now())
    assert _count(platform, BoothChatMessage) == 1
    clock.advance(SECOND)
    engine.run(clock.now())
    assert _count(platform, BoothChatMessage) == 0


def test_p16_a_choice_outside_the_operator_bounds_is_clamped(
    platform: Platform, clock: FrozenClock
) -> None:
    organisation = _organisation(platform)
    _event_with_people(platform, organisation, listeners=1)
    with platform.transaction() as db:
        db.get(Organisation, organisation).content_retention_days = 5000  # type: ignore[union-attr]
    engine = platform.retention_engine(content_bounds=(1, 365))
    clock.advance(timedelta(hours=1, days=365))
    engine.run(clock.now())
    assert _count(platform, BoothChatMessage) == 0


def test_p15_held_records_survive_until_the_hold_is_released(
    platform: Platform, clock: FrozenClock
) -> None:
    organisation = _organisation(platform)
    held_event = _event_with_people(platform, organisation, listeners=2)
    _event_with_people(platform, organisation, listeners=2, email="x{}@example.org")
    with platform.transaction() as db:
        hold = holds.place(
            db,
            scope=HoldScope.EVENT,
            target=str(held_event),
            reason="court order 12/3",
            placed_by="dpo",
            now=clock.now(),
        )
        holds.place(
            db,
            scope=HoldScope.EMAIL,
            target="X0@example.org",
            reason="complaint",
            placed_by="dpo",
            now=clock.now(),
        )
    engine = _engine(platform)
    clock.advance(timedelta(days=400))
    engine.run(clock.now())
    with platform.sessions() as db:
        left = sorted(db.scalars(select(Participant.email)))
        sessions = db.scalar(select(func.count()).select_from(ConnectionSession))
    assert left == ["l0@example.org", "l1@example.org", "x0@example.org"]
    assert sessions == 3  # the held event's two, and the held person's own connection
    with platform.transaction() as db:
        holds.release(db, hold.id, released_by="dpo", reason="case closed", now=clock.now())
    engine.run(clock.now())
    with platform.sessions() as db:
        assert list(db.scalars(select(Participant.email))) == ["x0@example.org"]


def test_p08_account_data_anonymised_30_days_after_closure_identity_at_contract_end(
    platform: Platform, clock: FrozenClock
) -> None:
    organisation = _organisation(platform)
    now = clock.now()
    with platform.transaction() as db:
        user = User(
            email="owner@acme.example", name="Olga Owner", password_hash="x", created_at=now
        )
        db.add(user)
        db.flush()
        db.add(
            Membership(organisation_id=organisation, user_id=user.id, role="owner", created_at=now)
        )
        db.add(
            SignInSession(
                token_hash="t" * 64,
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(days=14),
            )
        )
        org = db.get(Organisation, organisation)
        assert org is not None
        org.billing_contact_email = "billing@acme.example"
        org.contract_end = date(2027, 1, 31)
        org.closed_at = now
        user.closed_at = now
        user_id = user.id
    engine = _engine(platform)
    clock.advance(timedelta(days=30) - SECOND)
    engine.run(clock.now())
    with platform.sessions() as db:
        assert db.get(User, user_id).name == "Olga Owner"  # type: ignore[union-attr]
    clock.advance(SECOND)
    engine.run(clock.now())
    with platform.sessions() as db:
        user_row = db.get(User, user_id)
        org_row = db.get(Organisation, organisation)
        assert user_row is not None and org_row is not None
        assert user_row.name.startswith("anonymised:")
        assert user_row.closed_at is not None  # the anchor itself stays
        assert user_row.email == "owner@acme.example"  # identity: until the contract ends
        assert org_row.billing_contact_email is None
        assert db.scalar(select(func.count()).select_from(Membership)) == 1  # until contract end
    clock.moment = clock.moment.replace(year=2027, month=1, day=31, hour=0, minute=0, second=1)
    engine.run(clock.now())
    with platform.sessions() as db:
        assert db.get(User, user_id).email.startswith("anonymised:")  # type: ignore[union-attr]
        assert db.scalar(select(func.count()).select_from(Membership)) == 0
    clock.advance(timedelta(days=90))
    engine.run(clock.now())
    assert _count(platform, SignInSession) == 0


def test_dry_run_counts_without_deleting(platform: Platform, clock: FrozenClock) -> None:
    _event_with_people(platform, _organisation(platform))
    clock.advance(timedelta(days=9))
    report = _engine(platform).run(clock.now(), dry_run=True)
    assert report.outcomes["participants / participation"].due == 6
    assert report.outcomes["participants / participation"].disposed == 0
    assert _count(platform, Participant) == 6


def test_two_runners_never_run_at_once(platform: Platform, tmp_path: object) -> None:
    from pathlib import Path

    first = platform.retention_engine(lock_dir=Path(str(tmp_path)))
    second = platform.retention_engine(lock_dir=Path(str(tmp_path)))
    with first._exclusive(), pytest.raises(retention.RetentionBusy), second._exclusive():
        pass


def test_purged_event_keeps_its_row_for_statistics(platform: Platform, clock: FrozenClock) -> None:
    event_id = _event_with_people(platform, _organisation(platform))
    clock.advance(timedelta(days=8))
    _engine(platform).run(clock.now())
    with platform.sessions() as db:
        assert db.get(Event, event_id) is not None


def test_p31_p32_objecting_people_are_left_out_of_the_statistics(
    platform: Platform, clock: FrozenClock, tmp_path: object
) -> None:
    from pathlib import Path

    from interpreta.mail import OutboxMailer
    from interpreta.privacy.rights.models import RequestKind
    from interpreta.privacy.rights.requests import Rights

    event = _event_with_people(platform, _organisation(platform), listeners=6)
    rights = Rights.of(platform, OutboxMailer(Path(str(tmp_path)) / "outbox", "dpo@x.org"))
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=1, kind=RequestKind.OBJECTION, email="l0@example.org"
        )
        for part in list(request.parts):
            rights.execute(db, part, actor_user_id=1)
    clock.advance(timedelta(days=8))
    _engine(platform).run(clock.now())
    with platform.sessions() as db:
        listeners = db.scalar(
            select(EventStatistic.value).where(
                EventStatistic.event_id == event, EventStatistic.metric == "listeners"
            )
        )
    assert listeners == 5


def test_each_run_is_recorded_in_the_audit_trail(platform: Platform, clock: FrozenClock) -> None:
    from interpreta.privacy import audit

    _event_with_people(platform, _organisation(platform))
    clock.advance(timedelta(days=9))
    _engine(platform).run(clock.now())
    with platform.sessions() as db:
        (entry,) = [e for e in audit.entries(db, limit=20) if e.action == "retention.run"]
        assert audit.verify(db).ok
    assert entry.actor == "system:retention"
    assert json.loads(entry.detail)["disposed"]["participants / participation"] == 6


def test_p15_holds_from_the_command_line(settings: object, platform: Platform) -> None:
    from typer.testing import CliRunner

    from interpreta.cli import app
    from interpreta.privacy import audit

    runner = CliRunner()
    env = {"INTERPRETA_DATABASE_URL": platform.settings.resolved_database_url}
    data = ["--data-dir", str(platform.settings.data_dir)]
    placed = runner.invoke(
        app,
        [
            "holds",
            "place",
            "--scope",
            "event",
            "--target",
            "7",
            "--reason",
            "audit 2026",
            "--by",
            "DPO",
            *data,
        ],
        env=env,
    )
    assert placed.exit_code == 0, placed.output
    refused = runner.invoke(
        app,
        ["holds", "place", "--scope", "user", "--target", "x", "--reason", "r", "--by", "d", *data],
        env=env,
    )
    assert refused.exit_code == 2 and "numeric" in refused.output
    assert "audit 2026" in runner.invoke(app, ["holds", "list", *data], env=env).output
    released = runner.invoke(
        app, ["holds", "release", "1", "--reason", "done", "--by", "DPO", *data], env=env
    )
    assert released.exit_code == 0, released.output
    with platform.sessions() as db:
        actions = {e.action for e in audit.entries(db, limit=20)}
        assert not holds.active(db)
    assert {"hold.place", "hold.release"} <= actions


def test_p16_recordings_sound_and_video_follow_the_customer_period(
    platform: Platform, clock: FrozenClock
) -> None:
    organisation = _organisation(platform)
    event_id = _event_with_people(platform, organisation, listeners=1)
    with platform.transaction() as db:
        db.get(Organisation, organisation).content_retention_days = 10  # type: ignore[union-attr]
    with processing(RECORDING), platform.transaction() as db:
        floor = db.scalar(
            select(Channel.id)
            .join(Topic, Channel.topic_id == Topic.id)
            .where(Topic.event_id == event_id, Channel.kind == ChannelKind.FLOOR)
        )
        assert floor is not None
        now = clock.now()
        sound = recordings.begin(db, event_id, [(floor, "floor")], now)[floor]
        video = recordings.begin(db, event_id, [(floor, "floor video")], now, "video/webm")[floor]
        for recording_id in (sound, video):
            recordings.append(db, recording_id, 0, b"recorded", 1000)
    engine = _engine(platform)
    clock.advance(timedelta(hours=1) + timedelta(days=10) - SECOND)
    engine.run(clock.now())
    assert (_count(platform, Recording), _count(platform, RecordingChunk)) == (2, 2)
    clock.advance(SECOND)
    engine.run(clock.now())
    assert (_count(platform, Recording), _count(platform, RecordingChunk)) == (0, 0)


def test_p09_p16_the_booths_data_follows_its_rules(platform: Platform, clock: FrozenClock) -> None:
    """Stints on air go with the participation data a week after the event (P09); the
    glossary, meeting content, after the customer's period (30 days by default, P16)."""
    event_id = _event_with_people(platform, _organisation(platform), listeners=1)
    now = clock.now()
    with platform.transaction() as db:
        interpreter = join(db, event_id=event_id, role=ParticipantRole.INTERPRETER, now=now)
        channel = db.scalars(
            select(Channel.id)
            .join(Topic)
            .where(Topic.event_id == event_id, Channel.language_code == "de")
        ).one()
        on_air.record_changes(db, event_id, {channel: interpreter.anonymous_id}, now)
        glossary.add(db, event_id, [glossary.TermIn("de", "Bund", "en", "federation")], None, now)
    engine = _engine(platform)
    clock.advance(timedelta(hours=1, days=7) - SECOND)
    engine.run(clock.now())
    assert (_count(platform, OnAirStint), _count(platform, GlossaryTerm)) == (1, 1)
    clock.advance(SECOND)
    engine.run(clock.now())
    assert (_count(platform, OnAirStint), _count(platform, GlossaryTerm)) == (0, 1)
    clock.advance(timedelta(days=23))
    engine.run(clock.now())
    assert _count(platform, GlossaryTerm) == 0
