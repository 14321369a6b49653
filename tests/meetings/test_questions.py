"""Q&A: asking (named or anonymous), upvotes, moderation."""

from __future__ import annotations

from typing import Any

import pytest

from interpreta.meetings import questions
from interpreta.meetings.people import ContentRefused, Person
from interpreta.platform import Platform
from tests.meetings.conftest import Room


def _ask(platform: Platform, room: Room, who: Person, text: object, anonymous: bool = False) -> Any:
    with platform.transaction() as db:
        return questions.ask(db, room.event_id, who, text, anonymous, platform.clock.now())


def _seen(platform: Platform, room: Room, viewer: Person) -> list[dict[str, Any]]:
    with platform.sessions() as db:
        return questions.current(db, room.event_id, viewer)


def test_upvotes_count_once_and_can_be_taken_back(platform: Platform, room: Room) -> None:
    asked = _ask(platform, room, room.ada, "When is the break?")
    now = platform.clock.now()
    with platform.transaction() as db:
        questions.upvote(db, room.event_id, room.ben, asked["id"], True, now)
        questions.upvote(db, room.event_id, room.ben, asked["id"], True, now)
        after = questions.upvote(db, room.event_id, room.host, asked["id"], True, now)
    assert after["votes"] == 2
    assert [q["voted"] for q in _seen(platform, room, room.ben)] == [True]
    with platform.transaction() as db:
        taken = questions.upvote(db, room.event_id, room.ben, asked["id"], False, now)
    assert taken["votes"] == 1


def test_an_anonymous_question_names_nobody_but_is_its_askers(
    platform: Platform, room: Room
) -> None:
    asked = _ask(platform, room, room.ada, "Is this recorded?", anonymous=True)
    for viewer in (room.host, room.ben):
        shown = questions.for_viewer(asked, viewer)
        assert shown is not None
        assert shown["from"] == "Anonymous" and "asker_key" not in shown and not shown["mine"]
    own = questions.for_viewer(asked, room.ada)
    assert own is not None and own["mine"]


def test_dismissed_questions_show_only_to_hosts_and_asker(platform: Platform, room: Room) -> None:
    asked = _ask(platform, room, room.ada, "Spam?")
    with platform.transaction() as db:
        dismissed = questions.moderate(db, room.event_id, room.host, asked["id"], "dismissed")
    assert questions.for_viewer(dismissed, room.ben) is None
    assert _seen(platform, room, room.ben) == []
    assert [q["status"] for q in _seen(platform, room, room.ada)] == ["dismissed"]
    assert [q["status"] for q in _seen(platform, room, room.host)] == ["dismissed"]
    with platform.transaction() as db:
        answered = questions.moderate(db, room.event_id, room.host, asked["id"], "answered")
    assert questions.for_viewer(answered, room.ben) is not None


def test_only_hosts_moderate_and_bad_input_is_refused(platform: Platform, room: Room) -> None:
    asked = _ask(platform, room, room.ada, "Fine question")
    with platform.transaction() as db, pytest.raises(ContentRefused) as refused:
        questions.moderate(db, room.event_id, room.ben, asked["id"], "dismissed")
    assert refused.value.code == "forbidden"
    for status, question_id in (("deleted", asked["id"]), ("answered", "1"), ("answered", 999)):
        with platform.transaction() as db, pytest.raises(ContentRefused):
            questions.moderate(db, room.event_id, room.host, question_id, status)
    for text in ("", " \n ", "q" * 1001, None):
        with pytest.raises(ContentRefused):
            _ask(platform, room, room.ben, text)
    assert len(_seen(platform, room, room.host)) == 1
