"""``interpreta marks``: list restrictions and objections, record overriding grounds (P32)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner, Result

from interpreta.cli import app
from interpreta.cli.common import CommandContext
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.platform import Platform
from interpreta.privacy.marks import MarkKind, ProcessingMark
from interpreta.privacy.models import AuditEntry
from interpreta.privacy.processing import processing
from interpreta.privacy.rights import restrict
from interpreta.privacy.rights.subjects import Identity
from tests.conftest import Account, make_staff


def _marks(settings: Settings, clock: FrozenClock, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["marks", *args, "--data-dir", str(settings.data_dir)],
        env={"INTERPRETA_DATABASE_URL": settings.resolved_database_url},
        obj=CommandContext(clock=clock),
    )


def _place(platform: Platform, kind: MarkKind, **who: Any) -> int:
    with platform.transaction() as db, processing(PRIVACY_REQUESTS, session=db):
        return restrict.place(db, Identity.of(**who), kind, now=platform.clock.now()).id


def _grounds(platform: Platform, mark_id: int) -> str | None:
    with platform.sessions() as db:
        mark = db.get(ProcessingMark, mark_id)
        assert mark is not None
        return mark.overriding_grounds


def _entries(platform: Platform) -> list[AuditEntry]:
    with platform.sessions() as db:
        query = select(AuditEntry).where(AuditEntry.action == "mark.overriding_grounds")
        return list(db.scalars(query.order_by(AuditEntry.seq)))


def test_p32_cli_lists_marks_and_records_overriding_grounds(
    settings: Settings, platform: Platform, clock: FrozenClock
) -> None:
    objection = _place(platform, MarkKind.OBJECTION, user_id=12)
    by_email = _place(platform, MarkKind.MARKETING_OBJECTION, email="quiet@example.org")
    lifted = _place(platform, MarkKind.RESTRICTION, user_id=13)
    with platform.transaction() as db, processing(PRIVACY_REQUESTS, session=db):
        restrict.lift(db, Identity.of(user_id=13), MarkKind.RESTRICTION, now=clock.now())
    listed = _marks(settings, clock, "list")
    assert listed.exit_code == 0, listed.output
    assert "user 12" in listed.output and "digest" in listed.output
    assert "quiet@example.org" not in listed.output and "2 mark(s)" in listed.output
    everything = _marks(settings, clock, "list", "--all")
    assert "3 mark(s)" in everything.output and "restriction" in everything.output
    assert {objection, by_email, lifted} == {1, 2, 3}

    done = _marks(settings, clock, "override", str(objection), "--grounds", "Fraud case 12")
    assert done.exit_code == 0, done.output
    assert f"mark {objection}: overriding grounds recorded" in done.output
    assert _grounds(platform, objection) == "Fraud case 12"
    (entry,) = _entries(platform)
    with platform.sessions() as db:
        assert entry.subject == platform.keyring.pseudonyms(db.connection()).user(12)
    assert entry.actor == "system:cli" and entry.at == clock.now()
    assert "Fraud" not in str(entry.detail)
    assert "recorded" in _marks(settings, clock, "list").output


def test_p32_cli_names_the_dpo_by_pseudonym(
    settings: Settings, platform: Platform, clock: FrozenClock, sign_up: Any
) -> None:
    dora: Account = sign_up("dora")
    make_staff(platform, dora)
    objection = _place(platform, MarkKind.OBJECTION, email="obj@example.org")
    nobody = _marks(settings, clock, "override", str(objection), "--grounds", "x", "--by", "nobody")
    assert nobody.exit_code == 2 and "--by names no DPO or admin account" in nobody.output
    done = _marks(settings, clock, "override", str(objection), "--grounds", "Fraud", "--by", "Dora")
    assert done.exit_code == 0, done.output
    (entry,) = _entries(platform)
    with platform.sessions() as db:
        assert entry.actor == platform.keyring.pseudonyms(db.connection()).user(dora.user_id)
    assert entry.subject is None and "Dora" not in str(entry.detail)


def test_p32_cli_refuses_bad_input_and_changes_nothing(
    settings: Settings, platform: Platform, clock: FrozenClock
) -> None:
    objection = _place(platform, MarkKind.OBJECTION, user_id=12)
    restriction = _place(platform, MarkKind.RESTRICTION, user_id=14)
    empty = _marks(settings, clock, "override", str(objection), "--grounds", "  ")
    assert empty.exit_code == 2 and "Give the overriding grounds." in empty.output
    unknown = _marks(settings, clock, "override", "999", "--grounds", "fraud")
    assert unknown.exit_code == 2 and "No such processing mark." in unknown.output
    wrong = _marks(settings, clock, "override", str(restriction), "--grounds", "fraud")
    assert wrong.exit_code == 2 and "only to an objection" in wrong.output
    assert len(unknown.output.strip().splitlines()) == 1
    assert _grounds(platform, objection) is None and _grounds(platform, restriction) is None
    assert _entries(platform) == []
