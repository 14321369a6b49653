"""Borrowed sources, end to end between real aiortc peers, on every backend.

A channel's source may be a publisher of another channel of the same kind: a booth doing
a *retour* puts its interpreter's microphone (a publisher of the German channel) on the
English channel while the German channel carries the floor; a *talkback* channel between
booth mates carries one interpreter's microphone. Listeners tell the sources apart by
their tones.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from conftest import Peers
from media_testkit import ListeningSubscriber, assert_continuous

from interpreta.media import (
    MediaKind,
    MediaPlane,
    MediaPlaneError,
    UnknownPeerError,
)

FLOOR, GERMAN, ENGLISH = 500.0, 1500.0, 1000.0


async def _booth(plane: MediaPlane, peers: Peers, closing: list[Any]) -> None:
    """The floor, a German and an English channel, each with its publisher (not on air)."""
    for channel in ("floor", "de", "en"):
        await plane.open_channel(channel)
    closing.append(await peers.publisher("floor", "speaker", FLOOR))
    closing.append(await peers.publisher("de", "de-mic", GERMAN))
    closing.append(await peers.publisher("en", "en-mic", ENGLISH))


async def _silent_after(listener: ListeningSubscriber, settle: float = 0.3) -> None:
    """Assert that `listener` gets no packet once `settle` seconds have passed."""
    await asyncio.sleep(settle)
    quiet = len(listener.rtp)
    await asyncio.sleep(0.3)
    assert len(listener.rtp) == quiet, "packets still forwarded"


async def test_a_retour_channel_forwards_another_channel_s_publisher(
    plane: MediaPlane, peers: Peers, closing: list[Any]
) -> None:
    """The German booth works into English (retour): its microphone is on the English
    channel, while the German channel carries the floor."""
    await _booth(plane, peers, closing)
    await plane.set_source("en", "de-mic")
    await plane.set_source("de", "speaker")
    english = await peers.subscriber("en", "en-listener")
    german = await peers.subscriber("de", "de-listener")
    closing += [english, german]

    await english.wait_for_tone(GERMAN)
    await german.wait_for_tone(FLOOR)
    stats = plane.channel_stats("en")
    assert stats.source == "de-mic"
    assert [p.peer_id for p in stats.publishers] == ["en-mic"]  # its own publishers
    assert [p.on_air for p in stats.publishers] == [False]
    assert plane.channel_stats("de").source == "speaker"
    assert [p.on_air for p in plane.channel_stats("de").publishers] == [False]
    deadline = time.monotonic() + 3  # Janus's counters are read in the background
    while plane.channel_stats("en").packets_forwarded == 0:
        assert time.monotonic() < deadline, "the borrowed source's packets are not counted"
        await asyncio.sleep(0.05)


async def test_one_publisher_feeds_its_own_channel_and_a_borrowing_one_then_hands_back(
    plane: MediaPlane, peers: Peers, closing: list[Any]
) -> None:
    """The German microphone is on air in German and on the talkback channel at once;
    then the talkback channel is handed to its own publisher, gaplessly."""
    await _booth(plane, peers, closing)
    await plane.open_channel("talkback")
    closing.append(await peers.publisher("talkback", "mate-mic", ENGLISH))
    await plane.set_source("de", "de-mic")
    await plane.set_source("talkback", "de-mic")
    german = await peers.subscriber("de", "de-listener")
    mate = await peers.subscriber("talkback", "mate-ear")
    closing += [german, mate]
    await german.wait_for_tone(GERMAN)
    await mate.wait_for_tone(GERMAN)

    handed = time.monotonic()
    await plane.set_source("talkback", "mate-mic")
    heard = await mate.wait_for_tone(ENGLISH, after=handed)
    assert heard - handed < 0.5
    await german.wait_for_tone(GERMAN, after=heard)  # the German channel is untouched
    await asyncio.sleep(0.3)
    for listener in (german, mate):
        assert_continuous(listener.rtp, max_step=3 * 960)
    assert plane.channel_stats("de").source == "de-mic"
    assert plane.channel_stats("talkback").source == "mate-mic"


async def test_closing_the_borrowed_publisher_silences_every_channel_it_fed(
    plane: MediaPlane, peers: Peers, closing: list[Any]
) -> None:
    await _booth(plane, peers, closing)
    await plane.open_channel("talkback")
    await plane.set_source("de", "de-mic")
    await plane.set_source("en", "de-mic")
    await plane.set_source("talkback", "de-mic")
    english = await peers.subscriber("en", "en-listener")
    german = await peers.subscriber("de", "de-listener")
    closing += [english, german]
    await english.wait_for_tone(GERMAN)

    await plane.close_channel("talkback")  # a borrowing channel goes: the others hear on
    await english.wait_for_tone(GERMAN, after=time.monotonic())
    await german.wait_for_tone(GERMAN, after=time.monotonic())

    await plane.close_peer("de-mic")
    assert plane.channel_stats("en").source is None
    assert plane.channel_stats("de").source is None
    await _silent_after(english)
    with pytest.raises(UnknownPeerError):
        await plane.set_source("en", "de-mic")
    await plane.set_source("en", "speaker")  # borrowing another works as before
    await english.wait_for_tone(FLOOR)


async def test_closing_the_publisher_s_channel_silences_the_borrowing_channel(
    plane: MediaPlane, peers: Peers, closing: list[Any]
) -> None:
    await _booth(plane, peers, closing)
    await plane.set_source("en", "de-mic")
    english = await peers.subscriber("en", "en-listener")
    closing.append(english)
    await english.wait_for_tone(GERMAN)

    await plane.close_channel("de")
    assert plane.channel_stats("en").source is None
    await _silent_after(english)


async def test_a_publisher_of_the_other_kind_is_refused(
    plane: MediaPlane, peers: Peers, closing: list[Any]
) -> None:
    await plane.open_channel("en")
    await plane.open_channel("cam", MediaKind.VIDEO)
    closing.append(await peers.publisher("en", "en-mic", ENGLISH))
    closing.append(await peers.camera("cam", "speaker:cam", "red"))
    for channel, peer in (("en", "speaker:cam"), ("cam", "en-mic")):
        with pytest.raises(MediaPlaneError) as refused:
            await plane.set_source(channel, peer)
        assert not isinstance(refused.value, UnknownPeerError)
    with pytest.raises(UnknownPeerError):
        await plane.set_source("en", "nobody")
    assert plane.channel_stats("en").source is None
    assert plane.channel_stats("cam").source is None


async def test_a_video_channel_shows_a_borrowed_camera(
    plane: MediaPlane, peers: Peers, closing: list[Any]
) -> None:
    """A booth's camera, on air in the booth's own video channel, is borrowed by the
    stage: the stage's viewer gets a key frame (its request reaches the camera)."""
    for channel in ("booth-video", "stage"):
        await plane.open_channel(channel, MediaKind.VIDEO)
    closing.append(await peers.camera("booth-video", "booth:cam", "red"))
    await plane.set_source("booth-video", "booth:cam")
    mate = await peers.viewer("booth-video", "mate:video")
    closing.append(mate)
    await mate.wait_for("red", timeout=8)
    await asyncio.sleep(1.0)  # long after the camera's first key frame

    stage = await peers.viewer("stage", "listener:video")
    closing.append(stage)
    borrowed = time.monotonic()
    await plane.set_source("stage", "booth:cam")
    shown = await stage.wait_for("red", after=borrowed, timeout=5)
    assert shown - borrowed < 2.0
    assert plane.channel_stats("stage").source == "booth:cam"
