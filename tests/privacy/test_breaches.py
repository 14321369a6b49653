"""The breach register (P25): discovery time, scope, and the 72-hour deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from interpreta.cli import app
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.errors import Problem
from interpreta.platform import Platform
from interpreta.privacy import audit, breaches
from interpreta.privacy.breaches import Recipient, Risk
from tests.conftest import make_staff


def _report(platform: Platform, risk: Risk = Risk.RISK, processor: bool = False) -> int:
    with platform.transaction() as db:
        return breaches.report(
            db,
            title="Lost laptop",
            description="An unencrypted export of 40 listeners' emails",
            discovered_at=platform.clock.now(),
            categories=["identifiers", "connection"],
            people_affected=40,
            risk=risk,
            processor_scope=processor,
            reported_by="Dana",
            now=platform.clock.now(),
        ).id


def test_p25_the_authority_deadline_is_72_hours_after_discovery(
    platform: Platform, clock: FrozenClock
) -> None:
    breach_id = _report(platform)
    clock.advance(timedelta(hours=70, minutes=30))
    with platform.sessions() as db:
        breach = db.get(breaches.Breach, breach_id)
        assert breach is not None
        countdown = breaches.countdown(breach, clock.now())
    assert countdown.deadline == clock.now() - timedelta(hours=70, minutes=30) + timedelta(hours=72)
    assert countdown.words() == "1 h 30 min left" and not countdown.overdue
    clock.advance(timedelta(hours=3))
    with platform.sessions() as db:
        late = breaches.countdown(db.get(breaches.Breach, breach_id), clock.now())  # type: ignore[arg-type]
    assert late.overdue and late.words() == "overdue by 1 h 30 min"


def test_p25_what_is_owed_depends_on_risk_and_scope(platform: Platform) -> None:
    high = _report(platform, Risk.HIGH, processor=True)
    unlikely = _report(platform, Risk.UNLIKELY)
    with platform.sessions() as db:
        assert db.get(breaches.Breach, high).owed() == [  # type: ignore[union-attr]
            Recipient.AUTHORITY,
            Recipient.PEOPLE,
            Recipient.CUSTOMER,
        ]
        assert db.get(breaches.Breach, unlikely).owed() == []  # type: ignore[union-attr]


def test_p25_closing_is_refused_while_a_notification_is_owed(platform: Platform) -> None:
    breach_id = _report(platform)
    with pytest.raises(Problem, match="authority"), platform.transaction() as db:
        breaches.close(db, breach_id, now=platform.clock.now())
    with platform.transaction() as db:
        breaches.notify(
            db,
            breach_id,
            recipient=Recipient.AUTHORITY,
            reference="case 77",
            now=platform.clock.now(),
        )
        breaches.close(db, breach_id, now=platform.clock.now())
    with platform.sessions() as db:
        assert breaches.open_breaches(db) == []


def test_unknown_categories_are_refused(platform: Platform) -> None:
    with pytest.raises(Problem, match="horoscopes"), platform.transaction() as db:
        breaches.report(
            db,
            title="x",
            description="x",
            discovered_at=platform.clock.now(),
            categories=["horoscopes"],
            people_affected=1,
            risk=Risk.RISK,
            processor_scope=False,
            reported_by="x",
            now=platform.clock.now(),
        )


def test_p25_cli_records_lists_notifies_and_closes(settings: Settings, platform: Platform) -> None:
    runner = CliRunner()
    env = {"INTERPRETA_DATABASE_URL": settings.resolved_database_url}
    data = ["--data-dir", str(settings.data_dir)]
    reported = runner.invoke(
        app,
        [
            "breach",
            "report",
            "--title",
            "Misdirected email",
            "--categories",
            "identifiers",
            "--people",
            "3",
            "--risk",
            "risk",
            "--by",
            "DPO",
            *data,
        ],
        env=env,
    )
    assert reported.exit_code == 0, reported.output
    assert "notify the authority by" in reported.output
    listed = runner.invoke(app, ["breach", "list", *data], env=env)
    assert "Misdirected" in listed.output and "authority" in listed.output
    refused = runner.invoke(app, ["breach", "close", "1", *data], env=env)
    assert refused.exit_code == 2 and "Still owed: authority" in refused.output
    notified = runner.invoke(
        app, ["breach", "notify", "1", "--to", "authority", "--reference", "AP-1", *data], env=env
    )
    assert notified.exit_code == 0, notified.output
    assert runner.invoke(app, ["breach", "close", "1", *data], env=env).exit_code == 0
    with platform.sessions() as db:
        actions = [e.action for e in audit.entries(db, limit=10)]
    assert {"breach.report", "breach.notify", "breach.close"} <= set(actions)


def test_p25_staff_page_is_for_the_dpo_only(platform: Platform, sign_up: Any) -> None:
    customer = sign_up("carl")
    assert customer.client.get("/staff/breaches").status_code == 404
    dpo = sign_up("dora")
    make_staff(platform, dpo)
    page = dpo.client.get("/staff/breaches")
    assert page.status_code == 200 and "Breach register" in page.text
    posted = dpo.client.post(
        "/staff/breaches",
        data={
            "title": "Exposed log file",
            "description": "IPs in a public log",
            "categories": ["technical"],
            "people_affected": "12",
            "risk": "risk",
        },
        follow_redirects=True,
    )
    assert posted.status_code == 200
    assert "Exposed log file" in posted.text and "72 h 0 min left" in posted.text
    assert (
        customer.client.post("/staff/breaches/1/close", follow_redirects=False).status_code == 404
    )
