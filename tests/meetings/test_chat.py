"""The event chat: audiences, history, moderation and bad input."""

from __future__ import annotations

import pytest

from interpreta.meetings import chat
from interpreta.meetings.models import ChatAudience
from interpreta.meetings.people import ContentRefused
from interpreta.platform import Platform
from tests.meetings.conftest import Room


def _send(platform: Platform, room: Room, author, text, audience=ChatAudience.EVERYONE, to=None):  # type: ignore[no-untyped-def]
    with platform.transaction() as db:
        return chat.send(db, room.event_id, author, text, audience, to, platform.clock.now())


def _history(platform: Platform, room: Room, viewer) -> list[str]:  # type: ignore[no-untyped-def]
    with platform.sessions() as db:
        return [m["text"] for m in chat.history(db, room.event_id, viewer)]


def test_each_message_reaches_its_audience_and_its_author(platform: Platform, room: Room) -> None:
    everyone = _send(platform, room, room.ada, "  Hello all  ")
    hosts = _send(platform, room, room.ada, "To the hosts", ChatAudience.HOSTS)
    private = _send(platform, room, room.host, "Just Ben", ChatAudience.PRIVATE, room.ben.key)
    assert everyone["text"] == "Hello all"
    assert private["to_key"] == room.ben.key and private["from_key"] == room.host.key

    assert _history(platform, room, room.ada) == ["Hello all", "To the hosts"]
    assert _history(platform, room, room.ben) == ["Hello all", "Just Ben"]
    assert _history(platform, room, room.host) == ["Hello all", "To the hosts", "Just Ben"]
    for message, viewer, sees in (
        (hosts, room.ben, False),
        (hosts, room.host, True),
        (private, room.ada, False),
        (private, room.ben, True),
        (everyone, room.ben, True),
    ):
        assert chat.may_see(message, viewer) is sees


def test_hosts_delete_messages_and_nobody_else_does(platform: Platform, room: Room) -> None:
    sent = _send(platform, room, room.ada, "Off topic")
    with platform.transaction() as db, pytest.raises(ContentRefused) as refused:
        chat.remove(db, room.event_id, sent["id"], room.ben)
    assert refused.value.code == "forbidden"
    with platform.transaction() as db:
        assert chat.remove(db, room.event_id, sent["id"], room.host) == sent["id"]
    assert _history(platform, room, room.ada) == []
    with platform.transaction() as db, pytest.raises(ContentRefused) as refused:
        chat.remove(db, room.event_id, sent["id"], room.host)
    assert refused.value.code == "not_found"


@pytest.mark.parametrize(
    ("text", "audience", "to", "code"),
    [
        ("   ", ChatAudience.EVERYONE, None, "empty"),
        ("x" * 2001, ChatAudience.EVERYONE, None, "too_long"),
        ("bell\x07", ChatAudience.EVERYONE, None, "bad_request"),
        (42, ChatAudience.EVERYONE, None, "bad_request"),
        ("hi", ChatAudience.PRIVATE, None, "bad_request"),
        ("hi", ChatAudience.PRIVATE, "p_nobody", "unknown_participant"),
    ],
)
def test_bad_messages_are_refused_and_store_nothing(
    platform: Platform, room: Room, text: object, audience: ChatAudience, to: str | None, code: str
) -> None:
    with pytest.raises(ContentRefused) as refused:
        _send(platform, room, room.ada, text, audience, to)
    assert refused.value.code == code
    assert _history(platform, room, room.host) == []


def test_a_private_message_to_oneself_and_an_unknown_audience_are_refused(
    platform: Platform, room: Room
) -> None:
    with pytest.raises(ContentRefused):
        _send(platform, room, room.ada, "me", ChatAudience.PRIVATE, room.ada.key)
    with pytest.raises(ContentRefused):
        chat.audience_of("the press")
    assert chat.audience_of(None) is ChatAudience.EVERYONE
