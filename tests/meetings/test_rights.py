"""Meeting content in the access export of its author, and gone with their erasure
(P27, P28, P30), while everyone else's stays."""

from __future__ import annotations

import base64

from sqlalchemy import func, select

from interpreta.meetings import chat, files, polls, questions
from interpreta.meetings.models import (
    ChatAudience,
    ChatMessage,
    Poll,
    PollOption,
    PollVote,
    Question,
    QuestionVote,
    SharedFile,
)
from interpreta.meetings.people import Person
from interpreta.platform import Platform
from tests.meetings.conftest import Room
from tests.privacy.rights.answers import erased, exported

PDF = b"%PDF-1.4\n"


def _everything_from(platform: Platform, room: Room, who: Person, tag: str, poll_id: int) -> None:
    now = platform.clock.now()
    with platform.transaction() as db:
        chat.send(db, room.event_id, who, f"chat-{tag}", ChatAudience.EVERYONE, None, now)
        asked = questions.ask(db, room.event_id, who, f"question-{tag}", True, now)
        other = room.ben if who is room.ada else room.ada
        questions.upvote(db, room.event_id, other, asked["id"], True, now)
        files.share(
            db, room.event_id, who, f"file-{tag}.pdf", PDF + tag.encode(), max_bytes=1024, now=now
        )
        option = db.scalars(select(PollOption.id).where(PollOption.poll_id == poll_id)).first()
        polls.vote(db, room.event_id, who, poll_id, [option], now)


def _count(platform: Platform, model: type) -> int:
    with platform.sessions() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_content_is_exported_to_its_author_and_erased_with_them(
    platform: Platform, room: Room
) -> None:
    poll = room.poll(platform, "poll-question", ("yes", "no"))
    _everything_from(platform, room, room.ada, "ada", poll["id"])
    _everything_from(platform, room, room.ben, "ben", poll["id"])
    with platform.transaction() as db:
        chat.send(
            db,
            room.event_id,
            room.ben,
            "private-to-ada",
            ChatAudience.PRIVATE,
            room.ada.key,
            platform.clock.now(),
        )

    values, _archive = exported(platform, room.seeded["ada"])
    found = {str(v) for v in values}
    ada_file = base64.b64encode(PDF + b"ada").decode()
    assert {"chat-ada", "question-ada", "file-ada.pdf", ada_file} <= found
    assert "private-to-ada" in found  # a private message is also its recipient's
    assert not {"chat-ben", "question-ben", "file-ben.pdf"} & found

    erased(platform, room.seeded["ada"])
    with platform.sessions() as db:
        # (entities: the encrypted columns are decrypted as rows load)
        assert [m.body for m in db.scalars(select(ChatMessage))] == ["chat-ben"]
        assert [q.body for q in db.scalars(select(Question))] == ["question-ben"]
        assert [f.name for f in db.scalars(select(SharedFile))] == ["file-ben.pdf"]
        voters = set(db.scalars(select(PollVote.voter_id)))
        upvoters = set(db.scalars(select(QuestionVote.voter_id)))
    assert voters == {room.ben.participant_id}
    assert room.ada.participant_id not in upvoters
    # the host's poll belongs to the event: it stays while Ben's vote is in it
    assert _count(platform, Poll) == 1 and _count(platform, PollOption) == 2


def test_erasing_the_host_unlinks_the_poll_and_keeps_the_votes(
    platform: Platform, room: Room
) -> None:
    poll = room.poll(platform, "Keep me?", ("yes", "no"))
    _everything_from(platform, room, room.ada, "ada", poll["id"])
    erased(platform, room.seeded["host"])
    with platform.sessions() as db:
        kept = db.scalars(select(Poll)).one()
        assert kept.author_id is None and kept.question == "Keep me?"
        assert db.scalar(select(func.count()).select_from(PollVote)) == 1
