"""Video through real signaling: cameras, the active speaker's stage, the sign-language
interpreter a listener pins, booth cameras, and who may send what."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from interpreta.events.models import Event, EventMode, ListenerDetails
from interpreta.platform import Platform
from tests.live.conftest import Stage
from tests.live.live_client import LiveClient, SignalingError, VideoSignaling
from tests.media.media_testkit import start_publisher, start_subscriber
from tests.media.video_testkit import start_camera, start_viewer


def _video(state: dict[str, Any]) -> dict[str, Any]:
    return state["video"]


def _feed(state: dict[str, Any], kind: str, name: str | None = None) -> str | None:
    for feed in _video(state)["feeds"]:
        if feed["kind"] == kind and (name is None or feed["name"] == name):
            return str(feed["id"])
    return None


async def _speaker(stage: Stage) -> LiveClient:
    return await LiveClient.join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)


async def _listener(stage: Stage, name: str = "Lea") -> LiveClient:
    return await LiveClient.join(stage.base_url, stage.code, role="listener", name=name)


async def _interpreter(stage: Stage, name: str) -> LiveClient:
    return await LiveClient.join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters[name]
    )


async def test_a_listener_keeps_the_speakers_video_while_switching_language(
    stage: Stage, closing: list[Any]
) -> None:
    speaker, lea = await _speaker(stage), await _listener(stage)
    closing += [speaker, lea]
    closing.append(await start_camera(VideoSignaling(speaker), "", "", "red"))
    state = await lea.latest_state(lambda s: _video(s)["stage"])
    assert _feed(state, "camera") == _video(state)["stage"]
    viewer = await start_viewer(VideoSignaling(lea), _video(state)["stage"], "stage")
    closing.append(viewer)
    await viewer.wait_for("red", timeout=8)
    await lea.latest_state(lambda s: _video(s)["watching"] == {"stage": _video(s)["stage"]})

    ear = await start_subscriber(lea, str(stage.floor), "")
    closing.append(ear)
    switched = time.monotonic()
    await lea.request({"type": "switch", "channel_id": stage.german})
    await asyncio.sleep(1.0)
    after = [s for s in viewer.seen if s.at > switched]
    assert len(after) >= 15 and {s.colour for s in after} == {"red"}  # 30 frames/s went on


async def test_the_stage_follows_whoever_speaks_in_a_meeting(
    platform: Platform, stage: Stage, closing: list[Any]
) -> None:
    with platform.transaction() as db:
        event = db.get_one(Event, stage.event_id)
        event.mode, event.listener_details = EventMode.MEETING, ListenerDetails.NAME
    lea, max_, viewer_client = (
        await _listener(stage, "Lea"),
        await _listener(stage, "Max"),
        await _listener(stage, "Vera"),
    )
    closing += [lea, max_, viewer_client]
    closing.append(await start_camera(VideoSignaling(lea), "", "", "red"))
    closing.append(await start_camera(VideoSignaling(max_), "", "", "blue"))
    state = await viewer_client.latest_state(lambda s: len(_video(s)["feeds"]) == 2)
    lea_cam, max_cam = _feed(state, "camera", "Lea"), _feed(state, "camera", "Max")
    assert _video(state)["stage"] in {lea_cam, max_cam}  # nobody speaks yet: a camera

    closing.append(await start_publisher(max_, "", "", 440))  # Max takes the floor
    state = await viewer_client.latest_state(lambda s: _video(s)["stage"] == max_cam)
    viewer = await start_viewer(VideoSignaling(viewer_client), max_cam or "", "stage")
    closing.append(viewer)
    await viewer.wait_for("blue", timeout=8)

    closing.append(await start_publisher(lea, "", "", 660))  # then Lea speaks
    await viewer_client.latest_state(lambda s: _video(s)["stage"] == lea_cam)
    shown = time.monotonic()
    await viewer_client.request({"type": "video.show", "slot": "stage", "feed": lea_cam})
    await viewer.wait_for("red", after=shown, timeout=5)


async def test_a_listener_pins_the_sign_language_interpreter_beside_the_speaker(
    stage: Stage, closing: list[Any]
) -> None:
    speaker, anna, lea = (
        await _speaker(stage),
        await _interpreter(stage, "anna"),
        await _listener(stage),
    )
    closing += [speaker, anna, lea]
    closing.append(await start_camera(VideoSignaling(speaker), "", "", "red"))
    closing.append(await start_camera(VideoSignaling(anna, "sign"), "", "", "green"))
    state = await lea.latest_state(lambda s: _feed(s, "sign") and _video(s)["stage"])
    stage_view = await start_viewer(VideoSignaling(lea), _video(state)["stage"], "stage")
    pinned = await start_viewer(VideoSignaling(lea), _feed(state, "sign") or "", "pin")
    closing += [stage_view, pinned]
    await stage_view.wait_for("red", timeout=8)
    await pinned.wait_for("green", timeout=8)


async def test_booth_mates_see_each_other_and_nobody_else_does(
    stage: Stage, closing: list[Any]
) -> None:
    anna, bernd, chloe = (
        await _interpreter(stage, "anna"),
        await _interpreter(stage, "bernd"),
        await _interpreter(stage, "chloe"),
    )
    lea = await _listener(stage)
    closing += [anna, bernd, chloe, lea]
    closing.append(await start_camera(VideoSignaling(anna, "booth"), "", "", "green"))
    state = await bernd.latest_state(lambda s: _feed(s, "booth"))
    mate = await start_viewer(VideoSignaling(bernd), _feed(state, "booth") or "", "mate")
    closing.append(mate)
    await mate.wait_for("green", timeout=8)
    booth_feed = _feed(state, "booth")
    for outsider in (chloe, lea):  # another booth, a listener
        seen = await outsider.latest_state(lambda s: True)
        assert _feed(seen, "booth") is None
        with pytest.raises(SignalingError) as refused:
            await start_viewer(VideoSignaling(outsider), booth_feed or "", "mate")
        assert refused.value.code == "unknown_feed"


async def test_who_may_send_video_and_bad_requests(stage: Stage, closing: list[Any]) -> None:
    lea = await _listener(stage)
    speaker = await _speaker(stage)
    closing += [lea, speaker]
    for kind in ("camera", "screen", "sign", "booth"):  # an attendee of a webinar
        with pytest.raises(SignalingError) as refused:
            await start_camera(VideoSignaling(lea, kind), "", "", "red")
        assert refused.value.code == "forbidden"
    with pytest.raises(SignalingError) as refused:  # a speaker has no booth
        await start_camera(VideoSignaling(speaker, "booth"), "", "", "red")
    assert refused.value.code == "forbidden"
    for bad in (
        {"type": "video.send", "kind": "hologram", "sdp": "v=0"},
        {"type": "video.send", "kind": "camera", "sdp": "nonsense"},
        {"type": "video.watch", "slot": "Stage!", "feed": "x", "sdp": "v=0"},
        {"type": "video.watch", "slot": "stage", "feed": 7, "sdp": "v=0"},
        {"type": "video.show", "slot": "stage", "feed": "nobody:camera"},
        {"type": "video.unwatch", "slot": ""},
    ):
        with pytest.raises(SignalingError) as refused:
            await lea.request(bad)
        assert refused.value.code in ("bad_request", "unknown_feed", "not_watching")
    with pytest.raises(SignalingError) as refused:
        await lea.request(
            {"type": "video.watch", "slot": "stage", "feed": "nobody:camera", "sdp": "v=0"}
        )
    assert refused.value.code == "unknown_feed"


class _Layered(VideoSignaling):
    """Watches a feed with a ``layer`` chosen in ``video.watch``."""

    def __init__(self, client: LiveClient, layer: str) -> None:
        super().__init__(client)
        self.layer = layer

    async def subscribe(self, feed: str, slot: str, offer_sdp: str) -> str:
        reply = await self.client.request(
            {
                "type": "video.watch",
                "slot": slot,
                "feed": feed,
                "sdp": offer_sdp,
                "layer": self.layer,
            }
        )
        return str(reply["sdp"])


async def test_a_listener_chooses_the_layer_of_each_slot(stage: Stage, closing: list[Any]) -> None:
    """``layer`` on ``video.watch`` and ``video.show``, and ``video.layer``; the embedded
    plane has no simulcast (the view says so), so the picture stays the camera's one."""
    speaker, lea = await _speaker(stage), await _listener(stage)
    closing += [speaker, lea]
    closing.append(await start_camera(VideoSignaling(speaker), "", "", "red"))
    state = await lea.latest_state(lambda s: _video(s)["stage"])
    assert _video(state)["simulcast"] is False
    feed = _video(state)["stage"]
    for slot in ("stage", "tile-1"):
        with pytest.raises(SignalingError) as refused:  # nothing watched in it yet
            await lea.request({"type": "video.layer", "slot": slot, "layer": "low"})
        assert refused.value.code == "not_watching"
    viewer = await start_viewer(_Layered(lea, "low"), feed, "tile-1")
    closing.append(viewer)
    await viewer.wait_for("red", timeout=8)
    chosen = time.monotonic()
    for layer in ("medium", "high"):
        reply = await lea.request({"type": "video.layer", "slot": "tile-1", "layer": layer})
        assert reply["type"] == "ok"
    await lea.request({"type": "video.show", "slot": "tile-1", "feed": feed, "layer": "low"})
    await viewer.wait_for("red", after=chosen, timeout=5)
    layer_refused = "The layer must be one of low, medium, high."
    slot_refused = "Name the slot with up to 32 lower-case letters, digits or dashes."
    for bad, why in (
        ({"type": "video.layer", "slot": "tile-1"}, layer_refused),
        ({"type": "video.layer", "slot": "tile-1", "layer": "huge"}, layer_refused),
        ({"type": "video.layer", "slot": "tile-1", "layer": 2}, layer_refused),
        ({"type": "video.layer", "slot": "tile-1", "layer": "HIGH"}, layer_refused),
        ({"type": "video.layer", "slot": "Tile!", "layer": "low"}, slot_refused),
        ({"type": "video.show", "slot": "tile-1", "feed": feed, "layer": ["low"]}, layer_refused),
        (
            {"type": "video.watch", "slot": "tile-2", "feed": feed, "sdp": "v=0", "layer": ""},
            layer_refused,
        ),
    ):
        with pytest.raises(SignalingError) as refused:
            await lea.request(bad)
        assert refused.value.code == "bad_request", bad
        assert refused.value.reply["message"] == why, bad
    await lea.latest_state(lambda s: _video(s)["watching"] == {"tile-1": feed})


async def test_a_feed_ends_when_its_sender_stops_or_leaves(
    stage: Stage, closing: list[Any]
) -> None:
    speaker, lea = await _speaker(stage), await _listener(stage)
    closing.append(lea)
    camera = await start_camera(VideoSignaling(speaker), "", "", "red")
    screen = await start_camera(VideoSignaling(speaker, "screen"), "", "", "white")
    closing += [camera, screen]
    await lea.latest_state(lambda s: _feed(s, "screen") and _feed(s, "camera"))
    await speaker.request({"type": "video.stop", "kind": "screen"})
    await lea.latest_state(lambda s: _feed(s, "screen") is None and _feed(s, "camera"))
    await speaker.close()
    state = await lea.latest_state(lambda s: not _video(s)["feeds"])
    assert _video(state)["stage"] is None


async def test_a_feed_tells_nothing_that_would_let_others_act_as_its_sender(
    stage: Stage, closing: list[Any]
) -> None:
    """The session (the bearer token of file sharing) and the participant key (what a
    page resumes with) of whoever sends video reach no one else."""
    speaker, lea = await _speaker(stage), await _listener(stage)
    closing += [speaker, lea]
    closing.append(await start_camera(VideoSignaling(speaker), "", "", "red"))
    state = await lea.latest_state(lambda s: _feed(s, "camera"))
    shown = str(_video(state))
    assert speaker.welcome["content_token"] not in shown
    assert speaker.welcome["participant"] not in shown
    assert set(_video(state)["feeds"][0]) == {"id", "kind", "name", "mine"}


async def test_the_waiting_room_sees_no_video(
    platform: Platform, stage: Stage, closing: list[Any]
) -> None:
    with platform.transaction() as db:
        event = db.get_one(Event, stage.event_id)
        event.waiting_room, event.listener_details = True, ListenerDetails.NAME
    speaker = await _speaker(stage)
    closing.append(speaker)
    closing.append(await start_camera(VideoSignaling(speaker), "", "", "red"))
    waiting = await _listener(stage, "Wendy")
    closing.append(waiting)
    state = await waiting.latest_state(lambda s: s["you"]["waiting"])
    assert _video(state)["feeds"] == [] and _video(state)["stage"] is None
    with pytest.raises(SignalingError) as refused:
        await start_viewer(VideoSignaling(waiting), "anything", "stage")
    assert refused.value.code == "waiting"
