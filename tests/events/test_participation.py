"""What a joining participant must or may tell us, and nothing more (P03)."""

from __future__ import annotations

import pytest

from interpreta.events.models import ListenerDetails, ParticipantRole
from interpreta.events.participation import Details, DetailsRefused, details_asked

LISTENER, SPEAKER = ParticipantRole.LISTENER, ParticipantRole.SPEAKER


def test_an_anonymous_event_keeps_nothing_a_listener_sends() -> None:
    given = {"name": "Ann", "email": "ann@example.org", "phone": "+49 30 123456"}
    assert details_asked(ListenerDetails.NONE, LISTENER, given) == Details()


def test_listeners_give_what_the_organiser_asks() -> None:
    given = {"name": "  Ann\x00  Lee ", "email": "Ann@Example.ORG", "phone": "+49 30 123456"}
    assert details_asked(ListenerDetails.NAME, LISTENER, given) == Details(name="Ann Lee")
    assert details_asked(ListenerDetails.NAME_AND_EMAIL, LISTENER, given) == Details(
        name="Ann Lee", email="ann@example.org"
    )


@pytest.mark.parametrize(
    ("asked", "given", "message"),
    [
        (ListenerDetails.NAME, {}, "your name"),
        (ListenerDetails.NAME, {"name": 42}, "your name"),
        (ListenerDetails.NAME_AND_EMAIL, {"name": "Ann"}, "valid email"),
        (ListenerDetails.NAME_AND_EMAIL, {"name": "Ann", "email": "ann@"}, "valid email"),
    ],
)
def test_missing_or_malformed_details_are_refused(
    asked: ListenerDetails, given: dict[str, object], message: str
) -> None:
    with pytest.raises(DetailsRefused, match=message):
        details_asked(asked, LISTENER, given)


def test_a_speaker_may_leave_a_phone_number_and_nothing_odd() -> None:
    assert details_asked(ListenerDetails.NONE, SPEAKER, {"phone": "+44 (20) 7946-0321"}) == (
        Details(phone="+44 (20) 7946-0321")
    )
    assert details_asked(ListenerDetails.NONE, SPEAKER, {}) == Details()
    for bad in ("call me", "12", "+1 555 0100; DROP"):
        with pytest.raises(DetailsRefused, match="phone number"):
            details_asked(ListenerDetails.NONE, SPEAKER, {"phone": bad})
