"""A language interpreted by machine in a live event: the floor's English sentence is
recognised, translated by Apertium and spoken by espeak-ng into the machine channel,
which listeners subscribe to like any other; the channel is live only while its voice
runs, carries "machine" for the staff, and its voice is not counted as a listener."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from interpreta.events import actions
from interpreta.events.models import Event
from interpreta.live import hub as live_hub
from interpreta.platform import Platform
from tests.live.conftest import Stage
from tests.live.live_client import LiveClient
from tests.media.media_testkit import start_sound_publisher, start_subscriber
from tests.speech.speech_testkit import at_48k, speak

pytestmark = pytest.mark.speech

SAID = "Good morning everyone and welcome to the summit."


def _add_machine_spanish(platform: Platform, stage: Stage) -> int:
    with platform.transaction() as db:
        event = db.get_one(Event, stage.event_id)
        event.floor_language = "en"
        actions.add_language(db, event, actions.LanguageSpec("es", machine=True))
        db.flush()
        topic = event.topics[0]
        return next(c.id for c in topic.channels if c.language_code == "es")


async def _until(condition: Any, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "still not"
        await asyncio.sleep(0.1)


async def test_a_listener_hears_the_floor_interpreted_by_machine(
    platform: Platform,
    stage: Stage,
    closing: list[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_hub, "KEEP_ALIVE", 0.3)
    spanish = _add_machine_spanish(platform, stage)
    join = LiveClient.join
    speaker = await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
    lea = await join(stage.base_url, stage.code, role="listener")
    organiser = await join(stage.base_url, stage.code, role="moderator", cookie=stage.owner)
    closing += [speaker, lea, organiser]
    assert stage.hub is not None

    def ready() -> bool:
        stream = stage.hub.caption_stream(stage.event_id, stage.floor) if stage.hub else None
        return stream is not None and stream.ready

    await _until(ready, 60)  # the floor's recogniser runs for the machine channel
    state = await organiser.latest_state(
        lambda s: {c["id"]: c for c in s["channels"]}[spanish]["live"], timeout=15
    )
    channel = {c["id"]: c for c in state["channels"]}[spanish]
    assert channel["machine"] is True and channel["carrier"] == {"kind": "machine"}

    ear = await start_subscriber(lea, str(spanish), "")
    closing.append(ear)
    await asyncio.sleep(1)
    quiet_before = sum(1 for h in ear.heard if h.frequency is not None)
    closing.append(await start_sound_publisher(speaker, "", "", at_48k(speak(SAID, tmp_path))))
    await _until(lambda: sum(1 for h in ear.heard if h.frequency is not None) > 50, 45)
    assert quiet_before < 5  # silence until the sentence is spoken

    counted = await organiser.latest_state(
        lambda s: {c["id"]: c for c in s["channels"]}[spanish]["listeners"] == 1, timeout=10
    )
    assert {c["id"]: c["listeners"] for c in counted["channels"]}[spanish] == 1  # Lea alone
