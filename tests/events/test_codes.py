"""Event codes: unambiguous alphabet, 6-8 characters, unique among unpurged events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from interpreta.accounts.models import Organisation
from interpreta.events import codes
from interpreta.events.actions import create_event
from interpreta.events.models import Event
from interpreta.platform import Platform


@given(st.integers(codes.MIN_LENGTH, codes.MAX_LENGTH))
def test_codes_use_only_the_unambiguous_alphabet(length: int) -> None:
    code = codes.new_code(length)
    assert len(code) == length
    assert not set(code) & set("01OIL")
    assert codes.is_well_formed(code)


def test_code_lengths_outside_6_to_8_are_refused() -> None:
    with pytest.raises(ValueError):
        codes.new_code(5)
    with pytest.raises(ValueError):
        codes.new_code(9)


def test_typed_codes_are_normalised() -> None:
    assert codes.normalise(" abc-d 234 ") == "ABCD234"


def _event(platform: Platform, organisation_id: int) -> Event:
    now = platform.clock.now()
    with platform.transaction() as db:
        return create_event(
            db,
            organisation_id=organisation_id,
            title="E",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            timezone="UTC",
            now=now,
        )


def test_codes_are_unique_among_events_not_yet_purged(platform: Platform) -> None:
    with platform.transaction() as db:
        organisation = Organisation(name="O", created_at=platform.clock.now())
        db.add(organisation)
    first, second = _event(platform, organisation.id), _event(platform, organisation.id)
    assert first.code != second.code
    with pytest.raises(IntegrityError), platform.transaction() as db:
        db.execute(update(Event).where(Event.id == second.id).values(code=first.code))
    with platform.transaction() as db:
        db.execute(update(Event).where(Event.id == first.id).values(purged_at=platform.clock.now()))
        db.execute(update(Event).where(Event.id == second.id).values(code=first.code))
