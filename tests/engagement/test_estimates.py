"""Making an event's engagement estimates (P37): speaking time and turns from the sound
recording, a face on camera from the stage video, chat, poll answers and questions
counted; only where the customer turned them on, never about a person who opted out of
automated assessment (P33); a sample queued for human review; reviewed estimates kept
when they are made again; in the person's access export and gone with their erasure."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, select

from interpreta.accounts.models import Organisation
from interpreta.engagement import review
from interpreta.engagement.estimates import EstimatesOff, estimate_event
from interpreta.engagement.models import EngagementEstimate, Measure, ReviewState
from interpreta.platform import Platform
from interpreta.privacy.rights.models import RequestKind
from interpreta.privacy.rights.requests import Rights
from tests.conftest import RecordingMailer
from tests.engagement.conftest import Recorded
from tests.privacy.rights.answers import erased, exported


def _estimate(platform: Platform, recorded: Recorded, seed: int = 1) -> int:
    with platform.transaction() as db:
        return estimate_event(db, recorded.room.event_id, platform.clock.now(), random.Random(seed))


def _values(platform: Platform) -> dict[tuple[int, Measure], EngagementEstimate]:
    with platform.sessions() as db:
        rows = db.scalars(select(EngagementEstimate)).all()
        db.expunge_all()
    return {(row.participant_id, row.measure): row for row in rows}


def test_estimates_of_speaking_a_face_on_camera_and_participation(
    platform: Platform, recorded: Recorded
) -> None:
    ada, ben = recorded.room.ada.participant_id, recorded.room.ben.participant_id
    made = _estimate(platform, recorded)
    found = _values(platform)
    assert made == 8, sorted((p, m.value, r.value) for (p, m), r in found.items())

    spoke = found[(ada, Measure.SPEAKING_TIME)]
    assert 0.6 * recorded.ada_speech_s <= spoke.value <= 1.2 * recorded.ada_speech_s
    assert found[(ada, Measure.SPEAKING_TURNS)].value == 1
    assert 0.6 * recorded.ben_speech_s <= found[(ben, Measure.SPEAKING_TIME)].value
    assert found[(ben, Measure.SPEAKING_TIME)].value <= 1.2 * recorded.ben_speech_s
    assert found[(ben, Measure.SPEAKING_TURNS)].value == 2  # two sentences, 3 s apart
    assert spoke.recording_id == recorded.sound and spoke.evidence_from_ms == 0
    assert "WebRTC VAD" in spoke.method and 0.5 < spoke.confidence <= 1

    camera = found[(ada, Measure.CAMERA_PRESENCE)]
    assert camera.value == 0.5  # a face in 2 of the 4 frames sampled, one a second
    assert 0 < camera.confidence < 0.5  # four frames say little
    assert camera.recording_id == recorded.video and "Haar" in camera.method
    assert (ben, Measure.CAMERA_PRESENCE) not in found  # never on the stage

    assert found[(ada, Measure.CHAT_MESSAGES)].value == 2
    assert found[(ben, Measure.QUESTIONS)].value == 1
    assert found[(ben, Measure.POLL_VOTES)].value == 1
    assert found[(ben, Measure.POLL_VOTES)].confidence == 1.0  # counted, not detected
    assert (ada, Measure.QUESTIONS) not in found

    queued = [row for row in found.values() if row.review is ReviewState.QUEUED]
    assert len(queued) == 1 and queued[0].measure.automatic  # 10 % of 5, at least one


def test_nothing_is_estimated_while_the_customer_has_them_off(
    platform: Platform, recorded: Recorded
) -> None:
    with platform.transaction() as db:
        db.get_one(Organisation, recorded.organisation_id).engagement_estimates = False
    with pytest.raises(EstimatesOff):
        _estimate(platform, recorded)
    assert _values(platform) == {}


def test_nothing_is_estimated_about_a_person_who_opted_out(
    platform: Platform, recorded: Recorded
) -> None:
    _estimate(platform, recorded)  # before Ada opts out
    rights = Rights.of(platform, RecordingMailer())
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db,
            staff_user_id=9,
            kind=RequestKind.AUTOMATED_OPT_OUT,
            email=recorded.room.seeded["ada"].email,
        )
        rights.execute(db, request.parts[0], actor_user_id=9)
    with platform.sessions() as db:  # what was made before is no longer shown or used
        listed = {row["participant_id"] for row in review.estimates(db, recorded.room.event_id)}
    assert listed == {recorded.room.ben.participant_id}
    with platform.transaction() as db:
        db.execute(delete(EngagementEstimate))
    _estimate(platform, recorded)
    about = {participant for participant, _ in _values(platform)}
    assert about == {recorded.room.ben.participant_id}  # Ben's, none of Ada's


def test_reviewed_estimates_stand_when_estimates_are_made_again(
    platform: Platform, recorded: Recorded
) -> None:
    _estimate(platform, recorded)
    ada = recorded.room.ada.participant_id
    first = _values(platform)[(ada, Measure.SPEAKING_TIME)]
    with platform.transaction() as db:
        review.decide(
            db,
            recorded.room.event_id,
            first.id,
            confirmed=False,
            value=3.0,
            note="checked against the recording",
            now=platform.clock.now(),
        )
    _estimate(platform, recorded, seed=2)
    again = _values(platform)[(ada, Measure.SPEAKING_TIME)]
    assert again.id == first.id and again.review is ReviewState.CORRECTED
    assert again.reviewed_value == 3.0 and again.value == first.value


def test_a_person_s_estimates_are_in_their_export_and_gone_with_their_erasure(
    platform: Platform, recorded: Recorded
) -> None:
    _estimate(platform, recorded)
    ada, ben = recorded.room.ada.participant_id, recorded.room.ben.participant_id
    values, _archive = exported(platform, recorded.room.seeded["ada"])
    mine = _values(platform)
    assert mine[(ada, Measure.CHAT_MESSAGES)].value in values

    erased(platform, recorded.room.seeded["ada"])
    left = {participant for participant, _ in _values(platform)}
    assert left == {ben}
