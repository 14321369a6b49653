"""Automatic captions in a live event: a speaker's words reach the listeners who turned
captions on, partial words first, then the sentence; translated by machine for those who
asked for another language; made only while somebody wants them, or while the event
keeps a transcript, which records each sentence with who was on air."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from interpreta.datamap.ties import email_digest
from interpreta.events.models import Event, Participant, ParticipantRole
from interpreta.live import hub as live_hub
from interpreta.meetings.models import TranscriptSegment
from interpreta.platform import Platform
from interpreta.privacy.marks import MarkKind, ProcessingMark
from tests.live.conftest import Stage
from tests.live.live_client import LiveClient, SignalingError
from tests.media.media_testkit import start_sound_publisher
from tests.speech.conftest import word_error_rate
from tests.speech.speech_testkit import at_48k, speak

pytestmark = pytest.mark.speech

SAID = "Good morning everyone and welcome to the summit on water and energy."


def _offer_captions(platform: Platform, stage: Stage, floor_language: str | None = "en") -> None:
    with platform.transaction() as db:
        event = db.get_one(Event, stage.event_id)
        event.captions, event.floor_language = True, floor_language


def _recognisers() -> list[int]:
    """The caption processes this test process started (children running the worker)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            continue
        if parent == os.getpid() and b"interpreta.speech.worker" in command:
            found.append(int(pid))
    return found


def _recogniser_ready(stage: Stage) -> bool:
    """The floor's recogniser has loaded its model: the sentence is played from then on."""
    assert stage.hub is not None
    stream = stage.hub.caption_stream(stage.event_id, stage.floor)
    return stream is not None and stream.ready


async def _until(condition: Any, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "still not"
        await asyncio.sleep(0.1)


def _captions(client: LiveClient) -> list[dict[str, Any]]:
    return [m for m in client.messages if m.get("type") == "caption"]


async def test_listeners_see_the_floor_s_words_as_they_are_said_and_translated(
    platform: Platform,
    stage: Stage,
    closing: list[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_hub, "KEEP_ALIVE", 0.3)
    _offer_captions(platform, stage)
    join = LiveClient.join
    speaker = await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
    lea = await join(stage.base_url, stage.code, role="listener")
    teo = await join(stage.base_url, stage.code, role="listener")
    closing += [speaker, lea, teo]

    state = await lea.latest_state(lambda s: True)
    offered = {c["id"]: c["captions"] for c in state["channels"]}
    assert offered[stage.floor][0] == "en" and "es" in offered[stage.floor]
    assert offered[stage.german] == [] and offered[stage.french] == []  # no recogniser
    assert _recognisers() == []  # nobody wants captions yet: nothing runs

    await lea.request({"type": "captions", "channel_id": stage.floor, "language": "en"})
    await teo.request({"type": "captions", "channel_id": stage.floor, "language": "es"})
    await _until(lambda: len(_recognisers()) == 1, 10)  # one for the channel, not one each
    chosen = await teo.latest_state(lambda s: s["captions"] is not None)
    assert chosen["captions"] == [stage.floor, "es"]

    await _until(lambda: _recogniser_ready(stage), 60)  # its model loaded
    closing.append(await start_sound_publisher(speaker, "", "", at_48k(speak(SAID, tmp_path))))

    final = await _next_final(lea, timeout=30)
    heard = await _sentence(lea)
    assert word_error_rate([SAID], [heard]) <= 0.25, heard
    assert final["language"] == "en" and final["automatic"] is True
    assert final["machine_translated"] is False
    partials = [c for c in _captions(lea) if not c["final"]]
    assert partials and partials[0]["utterance"] == final["utterance"]  # words came first
    assert partials[0]["stream"] == final["stream"] != ""
    assert _captions(lea).index(partials[0]) < _captions(lea).index(final)

    translated = await _next_final(teo, timeout=15)
    assert translated["language"] == "es" and translated["machine_translated"] is True
    assert translated["source_text"] == final["text"]
    assert "buenos días" in translated["text"].lower(), translated["text"]
    assert all(c["final"] for c in _captions(teo))  # partial words are not translated

    # the recogniser's tap is not a listener of the floor
    counted = await speaker.latest_state(lambda s: True)
    assert {c["id"]: c["listeners"] for c in counted["channels"]}.get(stage.floor, 0) == 0

    # captions off for everyone: the recogniser stops
    await lea.request({"type": "captions", "language": None})
    await teo.request({"type": "captions", "language": None})
    await _until(lambda: _recognisers() == [], 15)
    assert (await lea.latest_state(lambda s: s["captions"] is None))["captions"] is None


SETTLE = 3.0
"""Seconds after the first final sentence for the rest of what was said: on a loaded
machine the recogniser may hear one sentence as two (a pause, or audio it had to drop)."""


async def _sentence(client: LiveClient) -> str:
    """Every final caption the client got by :data:`SETTLE` seconds from now, joined."""
    await asyncio.sleep(SETTLE)
    return " ".join(c["text"] for c in _captions(client) if c["final"] and c["text"])


async def _next_final(client: LiveClient, timeout: float) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        finals = [c for c in _captions(client) if c["final"] and c["text"]]
        if finals:
            return finals[0]
        assert asyncio.get_running_loop().time() < deadline, _captions(client)
        await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({"channel_id": "floor", "language": "en"}, "bad_request"),
        ({"channel_id": True, "language": "en"}, "bad_request"),
        ({"channel_id": 999_999, "language": "en"}, "not_captioned"),
        ({"channel_id": "GERMAN", "language": "de"}, "not_captioned"),
        ({"channel_id": "FLOOR", "language": "de"}, "unknown_language"),
        ({"channel_id": "FLOOR", "language": "x" * 10_000}, "unknown_language"),
    ],
)
async def test_a_captions_request_for_what_is_not_offered_is_refused(
    platform: Platform,
    stage: Stage,
    closing: list[Any],
    request_: dict[str, Any],
    code: str,
) -> None:
    _offer_captions(platform, stage)
    lea = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing.append(lea)
    names = {"FLOOR": stage.floor, "GERMAN": stage.german}
    request_ = {**request_, "channel_id": names.get(request_["channel_id"], request_["channel_id"])}
    with pytest.raises(SignalingError) as refused:
        await lea.request({"type": "captions", **request_})
    assert refused.value.code == code and refused.value.reply["message"]
    state = await lea.latest_state(lambda s: True)
    assert state["captions"] is None and _recognisers() == []


async def test_no_captions_where_the_organiser_offers_none_or_the_floor_mixes_languages(
    platform: Platform, stage: Stage, closing: list[Any]
) -> None:
    lea = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing.append(lea)
    refused = {"type": "captions", "channel_id": stage.floor, "language": "en"}
    with pytest.raises(SignalingError) as off:  # captions not offered (the default)
        await lea.request(refused)
    assert off.value.code == "not_captioned"

    _offer_captions(platform, stage, floor_language=None)  # a floor in several languages
    with pytest.raises(SignalingError) as mixed:
        await lea.request(refused)
    assert mixed.value.code == "not_captioned"

    _offer_captions(platform, stage, floor_language="en-GB")  # turned on while live
    await lea.request(refused)
    state = await lea.latest_state(lambda s: s["captions"] is not None)
    assert state["captions"] == [stage.floor, "en"]
    assert {c["id"]: c["captions"] for c in state["channels"]}[stage.floor][0] == "en"


async def test_a_kept_transcript_records_the_floor_with_its_speaker_though_nobody_reads_it(
    platform: Platform,
    stage: Stage,
    closing: list[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_hub, "KEEP_ALIVE", 0.3)
    with platform.transaction() as db:  # a transcript, and no captions for listeners
        event = db.get_one(Event, stage.event_id)
        event.keep_transcript, event.floor_language = True, "en"
    join = LiveClient.join
    speaker = await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
    lea = await join(stage.base_url, stage.code, role="listener")
    closing += [speaker, lea]
    state = await lea.latest_state(lambda s: True)
    assert state["transcript"] is True  # everyone sees that a transcript is kept
    assert {c["id"]: c["captions"] for c in state["channels"]}[stage.floor] == []
    await _until(lambda: len(_recognisers()) == 1, 10)

    await _until(lambda: _recogniser_ready(stage), 60)  # its model loaded
    closing.append(await start_sound_publisher(speaker, "", "", at_48k(speak(SAID, tmp_path))))

    def kept() -> list[TranscriptSegment]:
        with platform.sessions() as db:
            return list(db.scalars(select(TranscriptSegment)))

    await _until(lambda: bool(kept()), 30)
    await asyncio.sleep(SETTLE)
    segments = kept()
    heard = " ".join(s.text for s in segments)
    assert word_error_rate([SAID], [heard]) <= 0.25, heard
    assert {(s.channel_id, s.language) for s in segments} == {(stage.floor, "en")}
    with platform.sessions() as db:
        speakers = list(
            db.scalars(select(Participant.id).where(Participant.role == ParticipantRole.SPEAKER))
        )
    assert {s.speaker_id for s in segments} == set(speakers)  # who was on air
    assert 2_000 <= sum(s.duration_ms for s in segments) <= 8_000
    assert not _captions(lea)  # nobody asked for captions: none were sent


async def test_the_words_of_a_speaker_who_restricted_processing_are_not_kept(
    platform: Platform,
    stage: Stage,
    closing: list[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_hub, "KEEP_ALIVE", 0.3)
    with platform.transaction() as db:
        event = db.get_one(Event, stage.event_id)
        event.keep_transcript, event.captions, event.floor_language = True, True, "en"
    join = LiveClient.join
    speaker = await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
    lea = await join(stage.base_url, stage.code, role="listener")
    closing += [speaker, lea]
    with platform.transaction() as db:  # the speaker, known by address, restricted (P31)
        participant = db.scalars(
            select(Participant).where(Participant.role == ParticipantRole.SPEAKER)
        ).one()
        participant.email = "sam@example.org"
        db.add(
            ProcessingMark(
                kind=MarkKind.RESTRICTION,
                email_digest=email_digest("sam@example.org"),
                purposes="",
                created_at=platform.clock.now(),
            )
        )
    await lea.request({"type": "captions", "channel_id": stage.floor, "language": "en"})
    await _until(lambda: len(_recognisers()) == 1, 10)

    await _until(lambda: _recogniser_ready(stage), 60)  # its model loaded
    closing.append(await start_sound_publisher(speaker, "", "", at_48k(speak(SAID, tmp_path))))

    await _next_final(lea, timeout=30)  # the captions are shown live, as to anyone
    await asyncio.sleep(1)
    with platform.sessions() as db:
        assert list(db.scalars(select(TranscriptSegment))) == []


async def test_captions_turned_on_and_off_quickly_leave_one_recogniser_then_none(
    platform: Platform, stage: Stage, closing: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_hub, "KEEP_ALIVE", 0.3)
    _offer_captions(platform, stage)
    lea = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing.append(lea)
    on = {"type": "captions", "channel_id": stage.floor, "language": "en"}
    off = {"type": "captions", "language": None}
    for request in (on, off, on, off, on):
        await lea.request(request)
    await _until(lambda: len(_recognisers()) == 1, 10)
    for _ in range(10):  # several beats: still one (no stream started twice)
        await asyncio.sleep(0.2)
        assert len(_recognisers()) == 1
    await lea.request(off)
    await _until(lambda: _recognisers() == [], 15)
