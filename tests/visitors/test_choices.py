"""Answers to the cookie banner: kept in the consent cookie, each one recorded, and a
withdrawal recorded as one (P05)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from interpreta.clock import FrozenClock
from interpreta.datamap.storage import BANNER_VERSION
from interpreta.errors import Problem
from interpreta.platform import Platform
from interpreta.visitors import choices
from interpreta.visitors.choices import Choice
from interpreta.visitors.models import CookieConsent


def _answer(platform: Platform, previous: Choice | None, preferences: bool) -> Choice:
    with platform.transaction() as db:
        return choices.answer(
            db,
            previous,
            version=BANNER_VERSION,
            preferences=preferences,
            user_id=None,
            now=platform.clock.now(),
        )


def test_p05_each_answer_is_recorded_and_turning_preferences_off_is_a_withdrawal(
    platform: Platform, clock: FrozenClock
) -> None:
    first = _answer(platform, None, True)
    clock.advance(timedelta(days=3))
    second = _answer(platform, first, False)
    clock.advance(timedelta(days=3))
    third = _answer(platform, second, False)
    assert first.visitor_key == second.visitor_key == third.visitor_key
    assert choices.read(second.cookie_value()) == second
    with platform.sessions() as db:
        rows = db.scalars(select(CookieConsent).order_by(CookieConsent.id)).all()
    assert [(r.preferences, r.withdrawal) for r in rows] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert {r.banner_version for r in rows} == {BANNER_VERSION}
    assert rows[1].decided_at - rows[0].decided_at == timedelta(days=3)


def test_an_answer_to_another_banner_is_refused_and_an_old_one_asks_again(
    platform: Platform,
) -> None:
    with pytest.raises(Problem) as refused, platform.transaction() as db:
        choices.answer(
            db, None, version="2020-01", preferences=True, user_id=None, now=platform.clock.now()
        )
    assert refused.value.status == 409
    old = Choice("a" * 16, "2020-01", True)
    assert not old.current and not choices.allowed(old.cookie_value())
    with platform.sessions() as db:
        assert db.scalars(select(CookieConsent)).all() == []


@pytest.mark.parametrize(
    "value",
    ["", "x", "a" * 16, f"{'a' * 16}.{BANNER_VERSION}.2", f"{'a' * 15}.{BANNER_VERSION}.1", None],
)
def test_a_cookie_that_is_not_ours_is_no_answer(value: str | None) -> None:
    assert choices.read(value) is None and not choices.allowed(value)


def test_answers_are_kept_three_years_as_proof_then_deleted(
    platform: Platform, clock: FrozenClock
) -> None:
    _answer(platform, None, True)
    engine = platform.retention_engine()
    clock.advance(timedelta(days=3 * 365))
    engine.run(clock.now())
    with platform.sessions() as db:
        assert len(db.scalars(select(CookieConsent)).all()) == 1  # 2029-11-23: a day short
    clock.advance(timedelta(days=2))
    engine.run(clock.now())
    with platform.sessions() as db:
        assert db.scalars(select(CookieConsent)).all() == []
