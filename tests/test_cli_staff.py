"""``interpreta staff``: grant, revoke and list the operator's staff roles, audited; an
unknown address or role exits non-zero and changes nothing."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner, Result

from interpreta.accounts.models import StaffRole, User
from interpreta.cli import app
from interpreta.cli.common import CommandContext
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.platform import Platform
from interpreta.privacy.models import AuditEntry


def _staff(settings: Settings, clock: FrozenClock, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["staff", *args, "--data-dir", str(settings.data_dir)],
        env={"INTERPRETA_DATABASE_URL": settings.resolved_database_url},
        obj=CommandContext(clock=clock),
    )


def _role(platform: Platform) -> StaffRole | None:
    with platform.sessions() as db:
        return db.scalar(select(User.staff_role).where(User.email == "bill@example.org"))


def test_a_role_is_granted_listed_and_revoked(
    platform: Platform, settings: Settings, clock: FrozenClock
) -> None:
    with platform.transaction() as db:
        db.add(
            User(email="bill@example.org", name="Bill", password_hash="-", created_at=clock.now())
        )
    granted = _staff(settings, clock, "grant", "Bill@Example.org", "--role", "billing")
    assert granted.exit_code == 0, granted.output
    assert "counts once two-factor sign-in is on" in granted.output
    assert _role(platform) is StaffRole.BILLING
    assert "billing  needs 2FA" in _staff(settings, clock, "list").output
    assert _staff(settings, clock, "revoke", "bill@example.org").exit_code == 0
    assert _role(platform) is None
    with platform.sessions() as db:
        actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-2:] == ["staff.role.grant", "staff.role.revoke"]


def test_bad_input_exits_non_zero_and_changes_nothing(
    platform: Platform, settings: Settings, clock: FrozenClock
) -> None:
    assert _staff(settings, clock, "grant", "nobody@example.org", "--role", "dpo").exit_code != 0
    with platform.transaction() as db:
        db.add(
            User(email="bill@example.org", name="Bill", password_hash="-", created_at=clock.now())
        )
    assert _staff(settings, clock, "grant", "bill@example.org", "--role", "king").exit_code != 0
    assert _role(platform) is None
