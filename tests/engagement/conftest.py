"""Shared set-up of the engagement estimates' tests: the meeting room (a host, Ada and
Ben) with its customer's estimates turned on, a sound recording of the floor in which
Ada and then Ben are heard (espeak-ng's speech), a stage video in which Ada is seen
(a photograph of a face, then a grey picture), and Ada's and Ben's chat, poll answers
and questions."""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from sqlalchemy import select

from interpreta.accounts.models import Organisation
from interpreta.events.models import Channel, ChannelKind, Event, Topic
from interpreta.meetings import chat, polls, questions
from interpreta.meetings.models import ChatAudience
from interpreta.platform import Platform
from interpreta.recordings import store
from interpreta.recordings.models import AUDIO
from tests.meetings.conftest import Room, room
from tests.speech.speech_testkit import speak

__all__ = ["Recorded", "face_picture", "ogg_opus", "record", "recorded", "room", "webm"]

RATE = 16_000
ADA_SAYS = "Good morning everyone and welcome to the budget meeting."
BEN_SAYS = "Thank you. I have two questions about the numbers."


@dataclass
class Recorded:
    """The room once its recordings and its chat, polls and questions exist."""

    room: Room
    organisation_id: int
    sound: int
    """The floor's sound recording: Ada on air from 0 to 5 s, Ben from 5 s to its end."""
    video: int
    """The stage video: Ada seen for its 4 s, a face in its first 2 s."""
    ada_speech_s: float
    ben_speech_s: float


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def ogg_opus(samples: np.ndarray) -> bytes:
    """16 kHz mono samples as an Ogg Opus file (48 kHz, as the recorder writes)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48_000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        for resampled in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def webm(pictures: list[np.ndarray], fps: int = 10) -> bytes:
    """A VP8 WebM showing each BGR picture for one second."""
    buffer = io.BytesIO()
    height, width = pictures[0].shape[:2]
    with av.open(buffer, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        index = 0
        for picture in pictures:
            for _ in range(fps):
                frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
                frame.pts, frame.time_base = index, Fraction(1, fps)
                index += 1
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def face_picture() -> np.ndarray:
    """A photograph of a face (NASA's portrait of Eileen Collins, in scikit-image),
    as a 320 by 320 BGR picture."""
    from skimage import data

    rgb = data.astronaut()[::2, ::2, :][:320, :320]
    return np.ascontiguousarray(rgb[:, :, ::-1])


def record(
    platform: Platform,
    event_id: int,
    content: bytes,
    media_type: str,
    duration_ms: int,
    voices: list[tuple[int, int, int]],
) -> int:
    """A finished recording of the event's floor, in which each participant is
    heard (or seen) from and to the milliseconds given; its ID."""
    with platform.transaction() as db:
        channel = db.scalars(
            select(Channel.id)
            .join(Topic, Topic.id == Channel.topic_id)
            .where(Topic.event_id == event_id, Channel.kind == ChannelKind.FLOOR)
        ).first()
        if channel is None:  # the seeded world's event has only a booth's channel
            topic = db.scalars(select(Topic.id).where(Topic.event_id == event_id)).one()
            floor = Channel(topic_id=topic, kind=ChannelKind.FLOOR, language_code=None)
            db.add(floor)
            db.flush()
            channel = floor.id
        now = platform.clock.now()
        recording_id = store.begin(db, event_id, [(channel, "floor")], now, media_type)[channel]
        store.append(db, recording_id, 0, content, duration_ms)
        for participant_id, from_ms, to_ms in voices:
            store.unheard(db, store.heard(db, recording_id, participant_id, from_ms), to_ms)
        store.finish(db, recording_id, now)
    return recording_id


@pytest.fixture
def recorded(platform: Platform, room: Room, tmp_path: Path) -> Recorded:
    """The room with its recordings, chat, poll answers and questions, and estimates
    turned on for its customer."""
    ada = np.frombuffer(speak(ADA_SAYS, tmp_path), dtype=np.int16)
    ben = np.frombuffer(speak(BEN_SAYS, tmp_path), dtype=np.int16)
    sound = np.concatenate(
        [_silence(0.5), ada, _silence(5 - 0.5 - len(ada) / RATE), ben, _silence(3), ben]
    )
    assert len(ada) / RATE < 4.4  # Ada is heard within her five seconds
    length_ms = len(sound) * 1000 // RATE
    ada_p, ben_p = room.ada.participant_id, room.ben.participant_id
    sound_id = record(
        platform,
        room.event_id,
        ogg_opus(sound),
        AUDIO,
        length_ms,
        [(ada_p, 0, 5000), (ben_p, 5000, length_ms)],
    )
    grey = np.full((320, 320, 3), 128, dtype=np.uint8)
    video_id = record(
        platform,
        room.event_id,
        webm([face_picture(), face_picture(), grey, grey]),
        "video/webm",
        4000,
        [(ada_p, 0, 4000)],
    )
    now = platform.clock.now()
    with platform.transaction() as db:
        for text in ("Hello all", "Can you hear me?"):
            chat.send(db, room.event_id, room.ada, text, ChatAudience.EVERYONE, None, now)
        questions.ask(db, room.event_id, room.ben, "What about the numbers?", False, now)
    poll = room.poll(platform)
    with platform.transaction() as db:
        option = poll["options"][0]["id"]
        polls.vote(db, room.event_id, room.ben, poll["id"], [option], now)
        event = db.get_one(Event, room.event_id)
        organisation = db.get_one(Organisation, event.organisation_id)
        organisation.engagement_estimates = True
        organisation_id = organisation.id
    return Recorded(room, organisation_id, sound_id, video_id, len(ada) / RATE, 2 * len(ben) / RATE)
