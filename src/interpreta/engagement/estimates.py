"""Making an event's engagement estimates, after it, for its organiser (P37).

For each participant, from what the event kept:

- **speaking time and turns**: WebRTC's voice detector (:mod:`.speaking`) on the sound
  recordings, in the stretches the person was on air (``recording_voices``);
- **a face on camera**: OpenCV's face detector (:mod:`.faces`) on one frame a second of
  the stage's video recordings, while the person was on the stage;
- **chat messages, poll answers and questions**: counted.

Nothing is estimated unless the organiser's customer account turned estimates on, and
nothing about a person who opted out of automated assessment (P33): the processing
engine leaves them out of every query this activity makes. Live reactions are not
stored, so they are not counted. Nothing infers emotions.

Each detected estimate carries its confidence and where in the recording a reviewer can
check it; a share of them (:data:`SAMPLE_SHARE`, at least one an event) is queued for
human review (:mod:`.review`). Estimates a person already reviewed are kept as they are
when the estimates are made again.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from interpreta.accounts.models import Organisation
from interpreta.datamap.activities import ENGAGEMENT_ESTIMATES
from interpreta.engagement import faces, speaking
from interpreta.engagement.models import EngagementEstimate, Measure, ReviewState
from interpreta.events.models import Channel, ChannelKind, Event, Participant
from interpreta.meetings.models import ChatMessage, Poll, PollVote, Question
from interpreta.privacy.processing import runs_in
from interpreta.recordings import store
from interpreta.recordings.models import Recording, RecordingStatus, RecordingVoice

__all__ = ["SAMPLE_SHARE", "EstimatesOff", "estimate_event"]

SAMPLE_SHARE = 0.1
"""The share of an event's detected estimates queued for human review (at least one)."""

RATE = 16_000
"""The sample rate the voice detector hears recordings at."""

EVIDENCE_MS = 30_000
"""The longest stretch of a recording a reviewer is given to check an estimate."""


class EstimatesOff(Exception):
    """The event's customer account has not turned engagement estimates on."""


@dataclass
class _Found:
    """What the detectors found about one participant, before it is stored."""

    value: float
    confidence: float
    method: str
    recording_id: int | None = None
    evidence: tuple[int, int] | None = None


@dataclass
class _Heard:
    seconds: float = 0.0
    turns: int = 0
    weighted_confidence: float = 0.0
    weight: float = 0.0
    best: tuple[float, int, int, int] | None = None
    "The stretch with most voice: (seconds, recording, from ms, to ms)."
    recordings: set[str] = field(default_factory=set)


@runs_in(ENGAGEMENT_ESTIMATES)
def estimate_event(
    db: Session, event_id: int, now: datetime, rng: random.Random | None = None
) -> int:
    """Make (again) the estimates of `event_id`'s participants; how many were made.

    :raises EstimatesOff: when the event's customer has not turned them on.
    :raises LookupError: when there is no such event.
    """
    event = db.scalar(select(Event).where(Event.id == event_id).with_for_update())
    if event is None:  # (locked: two runs, or a run and a review, take turns)
        raise LookupError(f"no event {event_id}")
    if not db.scalar(
        select(Organisation.engagement_estimates).where(Organisation.id == event.organisation_id)
    ):
        raise EstimatesOff(event.organisation_id)
    assessed = set(db.scalars(select(Participant.id).where(Participant.event_id == event_id)))
    found: dict[tuple[int, Measure], _Found] = {}
    found |= _speaking(db, event_id, assessed)
    found |= _camera(db, event_id, assessed)
    found |= _counts(db, event_id, assessed)
    return _store(db, event_id, found, now, rng or random.Random())


@dataclass(frozen=True)
class _Recording:
    id: int
    label: str
    duration_ms: int


def _recordings(db: Session, event_id: int, video: bool) -> list[_Recording]:
    """The event's finished stage videos, or the finished sound recordings of its floors.

    Only floors are heard: a booth's channel carries interpreters (whose work is not
    assessed) and, during a retour, the floor again (which would count twice)."""
    kind = Recording.media_type.startswith("video/")
    query = select(Recording.id, Recording.label, Recording.duration_ms).where(
        Recording.event_id == event_id,
        Recording.status == RecordingStatus.DONE,
        kind if video else ~kind,
    )
    if not video:
        query = query.join(Channel, Channel.id == Recording.channel_id).where(
            Channel.kind == ChannelKind.FLOOR
        )
    return [_Recording(*row) for row in db.execute(query.order_by(Recording.id))]


def _spans(
    db: Session, recording: _Recording, assessed: set[int]
) -> dict[int, list[tuple[int, int]]]:
    """Per participant, the stretches of `recording` they were heard or seen in."""
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for voice in db.scalars(
        select(RecordingVoice)
        .where(RecordingVoice.recording_id == recording.id)
        .order_by(RecordingVoice.from_ms)
    ):
        if voice.participant_id in assessed:
            end = voice.to_ms if voice.to_ms is not None else recording.duration_ms
            if end > voice.from_ms:
                spans[voice.participant_id].append((voice.from_ms, end))
    return spans


def _speaking(db: Session, event_id: int, assessed: set[int]) -> dict[tuple[int, Measure], _Found]:
    heard: dict[int, _Heard] = defaultdict(_Heard)
    for recording in _recordings(db, event_id, video=False):
        spans = _spans(db, recording, assessed)
        content = store.media(db, event_id, recording.id) if spans else None
        if content is None:
            continue
        pcm = speaking.pcm_of(content[2], rate=RATE)
        per_ms = RATE * 2 // 1000
        for participant_id, stretches in spans.items():
            mine = heard[participant_id]
            mine.recordings.add(recording.label)
            for start, end in stretches:
                speech = speaking.speaking(pcm[start * per_ms : end * per_ms], RATE)
                mine.seconds += speech.seconds
                mine.turns += speech.turns
                seconds = (end - start) / 1000
                mine.weighted_confidence += speech.confidence * seconds
                mine.weight += seconds
                if mine.best is None or speech.seconds > mine.best[0]:
                    mine.best = (speech.seconds, recording.id, start, min(end, start + EVIDENCE_MS))
    found: dict[tuple[int, Measure], _Found] = {}
    for participant_id, mine in heard.items():
        confidence = mine.weighted_confidence / mine.weight if mine.weight else 0.0
        where = ", ".join(sorted(mine.recordings))
        recording_id, evidence = (
            (mine.best[1], (mine.best[2], mine.best[3])) if mine.best else (None, None)
        )
        found[(participant_id, Measure.SPEAKING_TIME)] = _Found(
            round(mine.seconds, 1),
            round(confidence, 3),
            f"voice detector (WebRTC VAD) on the recording of {where}, while on air",
            recording_id,
            evidence,
        )
        found[(participant_id, Measure.SPEAKING_TURNS)] = _Found(
            float(mine.turns),
            round(confidence, 3),
            f"stretches of voice (WebRTC VAD) on the recording of {where}, while on air",
            recording_id,
            evidence,
        )
    return found


def _camera(db: Session, event_id: int, assessed: set[int]) -> dict[tuple[int, Measure], _Found]:
    sampled: dict[int, list[tuple[int, bool, int]]] = defaultdict(list)
    "Per participant: each sampled frame's time, whether it shows a face, its recording."
    for recording in _recordings(db, event_id, video=True):
        spans = _spans(db, recording, assessed)
        content = store.media(db, event_id, recording.id) if spans else None
        if content is None:
            continue
        start = min(a for stretches in spans.values() for a, _ in stretches)
        end = max(b for stretches in spans.values() for _, b in stretches)
        for ms, frame in faces.sampled_frames(content[2], start, end):  # one decode
            present = [
                p for p, stretches in spans.items() if any(a <= ms < b for a, b in stretches)
            ]
            if present:
                face = faces.has_face(frame)
                for participant_id in present:
                    sampled[participant_id].append((ms, face, recording.id))
    found: dict[tuple[int, Measure], _Found] = {}
    for participant_id, seen in sampled.items():
        if not seen:
            continue
        with_face = sum(1 for _, face, _ in seen if face)
        ms, _, recording_id = seen[len(seen) // 2]
        found[(participant_id, Measure.CAMERA_PRESENCE)] = _Found(
            round(with_face / len(seen), 3),
            round(_wilson_confidence(with_face, len(seen)), 3),
            f"face detector (OpenCV Haar cascade) on {len(seen)} frames of the stage video, "
            "one a second, while on the stage",
            recording_id,
            (ms, ms),
        )
    return found


def _wilson_confidence(hits: int, total: int) -> float:
    """1 minus the width of the 95 % Wilson interval of hits/total."""
    if total == 0:
        return 0.0
    z = 1.96
    share = hits / total
    spread = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return max(0.0, 1 - 2 * spread / (1 + z * z / total))


def _counts(db: Session, event_id: int, assessed: set[int]) -> dict[tuple[int, Measure], _Found]:
    queries = {
        Measure.CHAT_MESSAGES: select(ChatMessage.author_id, func.count())
        .where(ChatMessage.event_id == event_id)
        .group_by(ChatMessage.author_id),
        Measure.POLL_VOTES: select(PollVote.voter_id, func.count(func.distinct(PollVote.poll_id)))
        .join(Poll, Poll.id == PollVote.poll_id)
        .where(Poll.event_id == event_id)
        .group_by(PollVote.voter_id),
        Measure.QUESTIONS: select(Question.author_id, func.count())
        .where(Question.event_id == event_id)
        .group_by(Question.author_id),
    }
    found: dict[tuple[int, Measure], _Found] = {}
    for measure, query in queries.items():
        for participant_id, count in db.execute(query):
            if participant_id in assessed:
                found[(participant_id, measure)] = _Found(float(count), 1.0, "counted")
    return found


def _store(
    db: Session,
    event_id: int,
    found: dict[tuple[int, Measure], _Found],
    now: datetime,
    rng: random.Random,
) -> int:
    existing = {
        (e.participant_id, e.measure): e
        for e in db.scalars(
            select(EngagementEstimate).where(EngagementEstimate.event_id == event_id)
        )
    }
    made: list[EngagementEstimate] = []
    for key, estimate in found.items():
        row = existing.pop(key, None)
        if row is not None and row.review in (ReviewState.CONFIRMED, ReviewState.CORRECTED):
            continue  # a person checked it: theirs stands
        if row is None:
            row = EngagementEstimate(event_id=event_id, participant_id=key[0], measure=key[1])
            db.add(row)
        row.value, row.confidence, row.method = estimate.value, estimate.confidence, estimate.method
        row.recording_id = estimate.recording_id
        row.evidence_from_ms, row.evidence_to_ms = estimate.evidence or (None, None)
        row.computed_at = now
        row.review = ReviewState.QUEUED if row.review_requested else ReviewState.NONE
        made.append(row)
    for gone in existing.values():
        if gone.review not in (ReviewState.CONFIRMED, ReviewState.CORRECTED):
            db.delete(gone)  # nothing found any more (a recording deleted meanwhile)
    _sample(made, rng)
    db.flush()
    return len(made)


def _sample(made: list[EngagementEstimate], rng: random.Random) -> None:
    """Queue :data:`SAMPLE_SHARE` of the detected estimates (at least one) for review."""
    detected = [row for row in made if row.measure.automatic and row.review is ReviewState.NONE]
    if not detected:
        return
    for row in rng.sample(detected, max(1, math.ceil(len(detected) * SAMPLE_SHARE))):
        row.review = ReviewState.QUEUED
