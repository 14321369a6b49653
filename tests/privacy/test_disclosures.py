"""P20: a disclosure without consent is recorded with its ground; the person finds it in
their access report, unless the law forbids telling them yet, in which case no answer
reveals it until the DPO releases it; records go three years after they are made."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from interpreta.clock import FrozenClock
from interpreta.datamap import retention_rules as rules
from interpreta.errors import Problem
from interpreta.platform import Platform
from interpreta.privacy import disclosures
from interpreta.privacy.disclosures import Disclosure, Ground
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person

RITA = Person(0, None, "rita@example.org")
ORDER = "Amtsgericht Köln, 502 Gs 123/26"


def _record(platform: Platform, withheld: str | None = None, email: str = RITA.email) -> int:
    with platform.transaction() as db:
        disclosure = disclosures.record(
            db,
            subject_email=email,
            recipient="Staatsanwaltschaft Köln",
            ground=Ground.LAW,
            reference=ORDER,
            data_disclosed="sign-in times and IP addresses, November 2026",
            disclosed_on=platform.clock.now().date(),
            withheld_reason=withheld,
            now=platform.clock.now(),
        )
        return disclosure.id


def _count(platform: Platform) -> int:
    with platform.sessions() as db:
        return db.scalar(select(func.count()).select_from(Disclosure)) or 0


def test_p20_a_disclosure_is_in_the_person_s_access_report(platform: Platform) -> None:
    _record(platform)
    _record(platform, email="otto@example.org")
    values, _archive = exported(platform, RITA)
    assert "Staatsanwaltschaft Köln" in values and ORDER in values
    assert "law" in values  # the ground
    assert values.count("Staatsanwaltschaft Köln") == 1  # not Otto's


def test_p20_an_erasure_keeps_the_record_and_says_why(platform: Platform) -> None:
    _record(platform)
    reports = erased(platform, RITA)
    kept = {k["table"]: k["reason"] for report in reports for k in report["kept"]}
    assert kept["disclosures"].startswith("kept because the law obliges us to")
    assert _count(platform) == 1


def test_p20_a_withheld_disclosure_is_in_no_answer_until_it_is_released(
    platform: Platform,
) -> None:
    disclosure_id = _record(platform, withheld="confidentiality order of the court")
    values, _archive = exported(platform, RITA)
    assert "Staatsanwaltschaft Köln" not in values and ORDER not in values
    reports = erased(platform, RITA)
    assert not any("disclosures" in str(report) for report in reports)
    assert _count(platform) == 1  # kept, and not mentioned

    with platform.transaction() as db:
        found = db.get(Disclosure, disclosure_id)
        assert found is not None
        disclosures.release(db, found, platform.clock.now())
    values, _archive = exported(platform, RITA)
    assert "Staatsanwaltschaft Köln" in values
    with platform.sessions() as db:
        kept = db.get(Disclosure, disclosure_id)
        assert kept is not None and kept.withheld_reason == "confidentiality order of the court"


def test_p20_a_withheld_record_is_kept_until_three_years_after_its_release(
    platform: Platform, clock: FrozenClock
) -> None:
    disclosure_id = _record(platform, withheld="confidentiality order of the court")
    engine = platform.retention_engine()
    clock.advance(timedelta(days=4 * 365))
    engine.run(clock.now())
    assert _count(platform) == 1  # never gone before the person could be told
    with platform.transaction() as db:
        found = db.get(Disclosure, disclosure_id)
        assert found is not None
        disclosures.release(db, found, clock.now())
    released = clock.now()
    clock.advance(rules.DISCLOSURES.due(released) - released - timedelta(days=1))
    engine.run(clock.now())
    assert _count(platform) == 1
    clock.advance(timedelta(days=2))
    engine.run(clock.now())
    assert _count(platform) == 0


def test_p20_records_go_three_years_after_they_are_made(
    platform: Platform, clock: FrozenClock
) -> None:
    _record(platform)
    made = clock.now()
    engine = platform.retention_engine()
    clock.advance(rules.DISCLOSURES.due(made) - made - timedelta(days=1))
    engine.run(clock.now())
    assert _count(platform) == 1
    clock.advance(timedelta(days=2))
    engine.run(clock.now())
    assert _count(platform) == 0


def test_a_disclosure_in_the_future_is_refused(
    platform: Platform,
) -> None:
    with platform.transaction() as db, pytest.raises(Problem) as refused:
        disclosures.record(
            db,
            subject_email=RITA.email,
            recipient="Polizei",
            ground=Ground.FRAUD,
            reference="case 7",
            data_disclosed="the account's name",
            disclosed_on=date(2099, 1, 1),
            withheld_reason=None,
            now=platform.clock.now(),
        )
    assert refused.value.status == 422
    assert _count(platform) == 0
