"""Polls: a host asks, participants choose one option or several, everyone sees the
final results.

While a poll is open the hosts see the results live; the others see them live only
when the host chose so (``live_results``), and every participant sees them once the
poll closes. A participant may change their choice while the poll is open.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import SHARING
from interpreta.meetings.models import Poll, PollOption, PollStatus, PollVote
from interpreta.meetings.people import ContentRefused, Person, clean_text
from interpreta.privacy.processing import runs_in

QUESTION_LIMIT = 500
OPTION_LIMIT = 200
MOST_OPTIONS = 10


@runs_in(SHARING)
def open_poll(
    db: Session,
    event_id: int,
    author: Person,
    question: object,
    options: object,
    *,
    multiple: bool,
    live_results: bool,
    now: Any,
) -> dict[str, Any]:
    """Ask a poll (hosts only) and return it with its (empty) results."""
    if not author.host:
        raise ContentRefused("forbidden", "Only the hosts can ask polls.")
    asked = clean_text(question, limit=QUESTION_LIMIT, what="poll question")
    if not isinstance(options, list) or not 2 <= len(options) <= MOST_OPTIONS:
        raise ContentRefused("bad_request", f"A poll offers between 2 and {MOST_OPTIONS} options.")
    texts = [clean_text(o, limit=OPTION_LIMIT, what="poll option") for o in options]
    if len({t.casefold() for t in texts}) != len(texts):
        raise ContentRefused("bad_request", "Two poll options are the same.")
    poll = Poll(
        event_id=event_id,
        author_id=author.participant_id,
        question=asked,
        multiple=bool(multiple),
        live_results=bool(live_results),
        status=PollStatus.OPEN,
        opened_at=now,
        options=[PollOption(position=i, text=t) for i, t in enumerate(texts)],
    )
    db.add(poll)
    db.flush()
    return _results(db, poll)


def _poll(db: Session, event_id: int, poll_id: object, *, lock: bool = False) -> Poll:
    if not isinstance(poll_id, int) or isinstance(poll_id, bool):
        raise ContentRefused("bad_request", "Name the poll by its ID.")
    query = select(Poll).where(Poll.id == poll_id, Poll.event_id == event_id)
    poll = db.scalar(query.with_for_update() if lock else query)
    if poll is None:
        raise ContentRefused("not_found", "There is no such poll in this event.")
    return poll


def _results(db: Session, poll: Poll) -> dict[str, Any]:
    counts = Counter(
        dict(
            db.execute(
                select(PollVote.option_id, func.count())
                .where(PollVote.poll_id == poll.id)
                .group_by(PollVote.option_id)
            ).all()
        )
    )
    voters = db.scalar(
        select(func.count(func.distinct(PollVote.voter_id))).where(PollVote.poll_id == poll.id)
    )
    return {
        "id": poll.id,
        "question": poll.question,
        "multiple": poll.multiple,
        "live_results": poll.live_results,
        "status": poll.status.value,
        "options": [{"id": o.id, "text": o.text, "votes": counts[o.id]} for o in poll.options],
        "voters": voters or 0,
    }


@runs_in(SHARING)
def vote(
    db: Session, event_id: int, voter: Person, poll_id: object, choice: object, now: Any
) -> dict[str, Any]:
    """Record `voter`'s choice (option IDs), replacing an earlier one; returns the poll."""
    poll = _poll(db, event_id, poll_id, lock=True)
    if poll.status is not PollStatus.OPEN:
        raise ContentRefused("closed", "This poll is closed.")
    if not isinstance(choice, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) for c in choice
    ):
        raise ContentRefused("bad_request", "Choose options by their IDs.")
    chosen = set(choice)
    if not chosen or len(chosen) != len(choice):
        raise ContentRefused("bad_request", "Choose each option at most once, and at least one.")
    if len(chosen) > 1 and not poll.multiple:
        raise ContentRefused("bad_request", "This poll takes one option.")
    if not chosen <= {o.id for o in poll.options}:
        raise ContentRefused("bad_request", "That option is not in this poll.")
    db.execute(
        delete(PollVote).where(
            PollVote.poll_id == poll.id, PollVote.voter_id == voter.participant_id
        )
    )
    for option in sorted(chosen):
        db.add(
            PollVote(poll_id=poll.id, option_id=option, voter_id=voter.participant_id, voted_at=now)
        )
    db.flush()
    return _results(db, poll)


@runs_in(SHARING)
def close(db: Session, event_id: int, by: Person, poll_id: object, now: Any) -> dict[str, Any]:
    """Close a poll (hosts only): its final results go to everyone."""
    if not by.host:
        raise ContentRefused("forbidden", "Only the hosts can close polls.")
    poll = _poll(db, event_id, poll_id, lock=True)
    if poll.status is PollStatus.OPEN:
        poll.status, poll.closed_at = PollStatus.CLOSED, now
        db.flush()
    return _results(db, poll)


def for_viewer(poll: dict[str, Any], viewer: Person) -> dict[str, Any]:
    """`poll` as `viewer` sees it: without its counts while they may not see them."""
    if viewer.host or poll["live_results"] or poll["status"] == PollStatus.CLOSED:
        return {**poll, "results": True}
    hidden = [{**o, "votes": None} for o in poll["options"]]
    return {**poll, "options": hidden, "voters": None, "results": False}


@runs_in(SHARING)
def current(db: Session, event_id: int, viewer: Person) -> list[dict[str, Any]]:
    """Every poll of the event as `viewer` sees it, with ``mine``: the options they chose."""
    polls = db.scalars(select(Poll).where(Poll.event_id == event_id).order_by(Poll.id)).all()
    mine: dict[int, list[int]] = {}
    for poll_id, option_id in db.execute(
        select(PollVote.poll_id, PollVote.option_id)
        .where(PollVote.voter_id == viewer.participant_id)
        .order_by(PollVote.option_id)
    ):
        mine.setdefault(poll_id, []).append(option_id)
    return [{**for_viewer(_results(db, p), viewer), "mine": mine.get(p.id, [])} for p in polls]
