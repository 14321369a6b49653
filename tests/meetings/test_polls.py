"""Polls: asking, voting (once, changeable), results shown when they may be, closing."""

from __future__ import annotations

from typing import Any

import pytest

from interpreta.meetings import polls
from interpreta.meetings.people import ContentRefused, Person
from interpreta.platform import Platform
from tests.meetings.conftest import Room


def _open(platform: Platform, room: Room, *, multiple: bool = False, live: bool = False) -> Any:
    return room.poll(platform, multiple=multiple, live=live)


def _vote(platform: Platform, room: Room, voter: Person, poll_id: object, choice: object) -> Any:
    with platform.transaction() as db:
        return polls.vote(db, room.event_id, voter, poll_id, choice, platform.clock.now())


def test_votes_count_once_per_person_and_may_change(platform: Platform, room: Room) -> None:
    poll = _open(platform, room)
    coffee, tea, _water = (o["id"] for o in poll["options"])
    _vote(platform, room, room.ada, poll["id"], [coffee])
    _vote(platform, room, room.ben, poll["id"], [coffee])
    result = _vote(platform, room, room.ada, poll["id"], [tea])  # Ada changes her mind
    assert [o["votes"] for o in result["options"]] == [1, 1, 0]
    assert result["voters"] == 2
    with platform.sessions() as db:
        mine = polls.current(db, room.event_id, room.ada)
    assert mine[0]["mine"] == [tea]


def test_results_are_hidden_from_voters_until_the_poll_closes(
    platform: Platform, room: Room
) -> None:
    poll = _open(platform, room)
    voted = _vote(platform, room, room.ada, poll["id"], [poll["options"][0]["id"]])
    hidden = polls.for_viewer(voted, room.ada)
    assert hidden["results"] is False and hidden["voters"] is None
    assert all(o["votes"] is None for o in hidden["options"])
    assert polls.for_viewer(voted, room.host)["options"][0]["votes"] == 1
    with platform.transaction() as db:
        closed = polls.close(db, room.event_id, room.host, poll["id"], platform.clock.now())
    assert closed["status"] == "closed"
    assert polls.for_viewer(closed, room.ben)["options"][0]["votes"] == 1
    with pytest.raises(ContentRefused) as refused:
        _vote(platform, room, room.ben, poll["id"], [poll["options"][0]["id"]])
    assert refused.value.code == "closed"


def test_live_results_show_to_everyone_while_open(platform: Platform, room: Room) -> None:
    poll = _open(platform, room, live=True)
    voted = _vote(platform, room, room.ada, poll["id"], [poll["options"][1]["id"]])
    assert polls.for_viewer(voted, room.ben)["options"][1]["votes"] == 1


def test_multiple_choice_takes_several_options(platform: Platform, room: Room) -> None:
    poll = _open(platform, room, multiple=True)
    ids = [o["id"] for o in poll["options"]]
    result = _vote(platform, room, room.ada, poll["id"], ids[:2])
    assert [o["votes"] for o in result["options"]] == [1, 1, 0]


@pytest.mark.parametrize(
    "choice",
    [[], [1, 1], "1", [True], [999_999], None],
)
def test_bad_votes_are_refused_and_change_nothing(
    platform: Platform, room: Room, choice: object
) -> None:
    poll = _open(platform, room)
    first = poll["options"][0]["id"]
    _vote(platform, room, room.ada, poll["id"], [first])
    with pytest.raises(ContentRefused):
        _vote(platform, room, room.ada, poll["id"], choice)
    with pytest.raises(ContentRefused):  # one option only
        _vote(platform, room, room.ada, poll["id"], [first, poll["options"][1]["id"]])
    with platform.sessions() as db:
        assert polls.current(db, room.event_id, room.ada)[0]["mine"] == [first]


@pytest.mark.parametrize(
    ("question", "options"),
    [
        ("", ["a", "b"]),
        ("Q?", ["only one"]),
        ("Q?", [f"o{n}" for n in range(11)]),
        ("Q?", ["Same", "same"]),
        ("Q?", ["fine", ""]),
        ("Q?", "a,b"),
    ],
)
def test_bad_polls_are_refused(
    platform: Platform, room: Room, question: str, options: object
) -> None:
    with platform.transaction() as db, pytest.raises(ContentRefused):
        polls.open_poll(
            db,
            room.event_id,
            room.host,
            question,
            options,
            multiple=False,
            live_results=False,
            now=platform.clock.now(),
        )
    with platform.sessions() as db:
        assert polls.current(db, room.event_id, room.host) == []


def test_only_hosts_ask_and_close_polls(platform: Platform, room: Room) -> None:
    with pytest.raises(ContentRefused) as refused:
        room.poll(platform, "Mine?", ("a", "b"), by=room.ada)
    assert refused.value.code == "forbidden"
    poll = _open(platform, room)
    with platform.transaction() as db, pytest.raises(ContentRefused):
        polls.close(db, room.event_id, room.ada, poll["id"], platform.clock.now())
