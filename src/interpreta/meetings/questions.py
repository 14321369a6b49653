"""Q&A: participants ask questions and upvote others'; hosts mark them answered or
dismiss them.

A dismissed question is shown only to the hosts and its asker. A question asked as
anonymous shows no name to anyone (the hosts included); the platform still knows who
asked, so the asker finds it in their access export and it goes with their erasure.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import SHARING
from interpreta.meetings.models import Question, QuestionStatus, QuestionVote
from interpreta.meetings.people import ContentRefused, Person, clean_text, named
from interpreta.privacy.processing import runs_in

QUESTION_LIMIT = 1000

ANONYMOUS = "Anonymous"


@runs_in(SHARING)
def ask(
    db: Session, event_id: int, author: Person, text: object, anonymous: bool, now: Any
) -> dict[str, Any]:
    """Store a question; returns it as delivered (with the asker's key for filtering)."""
    body = clean_text(text, limit=QUESTION_LIMIT, what="question")
    question = Question(
        event_id=event_id,
        author_id=author.participant_id,
        body=body,
        anonymous=bool(anonymous),
        status=QuestionStatus.OPEN,
        asked_at=now,
    )
    db.add(question)
    db.flush()
    return _shown(db, question)


def _question(db: Session, event_id: int, question_id: object) -> Question:
    if not isinstance(question_id, int) or isinstance(question_id, bool):
        raise ContentRefused("bad_request", "Name the question by its ID.")
    found = db.scalar(
        select(Question).where(Question.id == question_id, Question.event_id == event_id)
    )
    if found is None:
        raise ContentRefused("not_found", "There is no such question in this event.")
    return found


def _shown(db: Session, question: Question) -> dict[str, Any]:
    votes = db.scalar(
        select(func.count())
        .select_from(QuestionVote)
        .where(QuestionVote.question_id == question.id)
    )
    author = named(db, [question.author_id]).get(question.author_id or 0)
    return {
        "id": question.id,
        "text": question.body,
        "from": ANONYMOUS if question.anonymous or author is None else author.name,
        "anonymous": question.anonymous,
        "status": question.status.value,
        "votes": votes or 0,
        "asker_key": author.key if author else None,
        "asked_at": question.asked_at.isoformat(),
    }


@runs_in(SHARING)
def upvote(
    db: Session, event_id: int, voter: Person, question_id: object, on: bool, now: Any
) -> dict[str, Any]:
    """Add (or take back) `voter`'s upvote; returns the question."""
    question = _question(db, event_id, question_id)
    if question.status is QuestionStatus.DISMISSED:
        raise ContentRefused("not_found", "There is no such question in this event.")
    db.execute(
        delete(QuestionVote).where(
            QuestionVote.question_id == question.id,
            QuestionVote.voter_id == voter.participant_id,
        )
    )
    if on:
        db.add(QuestionVote(question_id=question.id, voter_id=voter.participant_id, voted_at=now))
    db.flush()
    return _shown(db, question)


@runs_in(SHARING)
def moderate(
    db: Session, event_id: int, by: Person, question_id: object, status: object
) -> dict[str, Any]:
    """Mark a question open, answered or dismissed (hosts only)."""
    if not by.host:
        raise ContentRefused("forbidden", "Only the hosts can moderate questions.")
    try:
        wanted = QuestionStatus(str(status))
    except ValueError as exc:
        raise ContentRefused(
            "bad_request", "The status must be open, answered or dismissed."
        ) from exc
    question = _question(db, event_id, question_id)
    question.status = wanted
    db.flush()
    return _shown(db, question)


def for_viewer(question: dict[str, Any], viewer: Person) -> dict[str, Any] | None:
    """`question` as `viewer` sees it (``mine`` when they asked it), or None when hidden;
    the asker's key never leaves for anyone but the asker."""
    own = question["asker_key"] == viewer.key
    if question["status"] == QuestionStatus.DISMISSED and not (viewer.host or own):
        return None
    shown = {k: v for k, v in question.items() if k != "asker_key"}
    return {**shown, "mine": own}


@runs_in(SHARING)
def current(db: Session, event_id: int, viewer: Person) -> list[dict[str, Any]]:
    """The event's questions `viewer` may see, with ``voted`` for their own upvotes."""
    rows = db.scalars(
        select(Question).where(Question.event_id == event_id).order_by(Question.id)
    ).all()
    voted = set(
        db.scalars(
            select(QuestionVote.question_id).where(QuestionVote.voter_id == viewer.participant_id)
        )
    )
    found = []
    for question in rows:
        shown = for_viewer(_shown(db, question), viewer)
        if shown is not None:
            found.append({**shown, "voted": question.id in voted})
    return found
