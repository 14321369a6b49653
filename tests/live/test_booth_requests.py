"""The booth's work end to end, through signaling with real aiortc peers and tones:
talkback heard only in the booth, preset messages, a retour with the floor standing in
at home, a countdown handover, a takeover, and the on-air time they add up to.

The speaker sends 440 Hz, Anna (German booth) 880 Hz, her mate Bernd 1320 Hz; Chloe
interprets into French.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from interpreta.clock import FrozenClock
from tests.live.conftest import Stage
from tests.live.live_client import LiveClient, SignalingError
from tests.media.media_testkit import ListeningSubscriber, start_publisher, start_subscriber

SPEAKER, ANNA, BERND = 440, 880, 1320


class TalkbackSignaling:
    """A plane-like face of a session for the test peer that hears the booth's talkback."""

    def __init__(self, client: LiveClient) -> None:
        self.client = client

    async def subscribe(self, _channel: str, _peer: str, offer_sdp: str) -> str:
        """Hear the booth's talkback."""
        reply = await self.client.request({"type": "talkback.subscribe", "sdp": offer_sdp})
        return str(reply["sdp"])


async def _quiet(ear: ListeningSubscriber, frequency: float, seconds: float) -> bool:
    """Whether `frequency` stays unheard for `seconds` from now."""
    start = time.monotonic()
    await asyncio.sleep(seconds)
    return not any(
        h.at >= start and h.frequency is not None and abs(h.frequency - frequency) <= 60
        for h in ear.heard
    )


async def _people(stage: Stage, closing: list[Any]) -> dict[str, LiveClient]:
    join = LiveClient.join
    people = {
        "speaker": await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key),
        **{
            name: await join(
                stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters[name]
            )
            for name in ("anna", "bernd", "chloe")
        },
        "german": await join(stage.base_url, stage.code, role="listener"),
        "french": await join(stage.base_url, stage.code, role="listener"),
    }
    closing += people.values()
    for name, tone in (("speaker", SPEAKER), ("anna", ANNA), ("bernd", BERND)):
        closing.append(await start_publisher(people[name], "", "", tone))
    return people


async def test_talkback_presets_retour_countdown_and_takeover(
    stage: Stage, closing: list[Any], clock: FrozenClock
) -> None:
    people = await _people(stage, closing)
    anna, bernd, chloe = people["anna"], people["bernd"], people["chloe"]
    await anna.request({"type": "mic", "on": True})
    german = await start_subscriber(people["german"], str(stage.german), "")
    french = await start_subscriber(people["french"], str(stage.french), "")
    mate = await start_subscriber(TalkbackSignaling(bernd), "", "")  # type: ignore[arg-type]
    other_booth = await start_subscriber(TalkbackSignaling(chloe), "", "")  # type: ignore[arg-type]
    closing += [german, french, mate, other_booth]
    await german.wait_for_tone(ANNA, timeout=8)

    # talkback: Anna's voice goes to her mate only, and off the air meanwhile
    pressed = time.monotonic()
    await anna.request({"type": "talkback", "held": True})
    await mate.wait_for_tone(ANNA, after=pressed, timeout=5)
    assert await _quiet(german, ANNA, 1.0), "listeners must not hear the talkback"
    assert not any(h.frequency and abs(h.frequency - ANNA) <= 60 for h in other_booth.heard)
    with pytest.raises(SignalingError) as refused:
        await bernd.request({"type": "talkback", "held": True})
    assert refused.value.code == "mate_talking"
    released = time.monotonic()
    await anna.request({"type": "talkback", "held": False})
    await german.wait_for_tone(ANNA, after=released, timeout=5)

    # preset messages reach the booth mate, in no other booth
    await anna.request({"type": "preset", "code": "coffee"})
    preset = await bernd.next_message("preset")
    assert (preset["code"], preset["from"]) == ("coffee", "Anna")
    with pytest.raises(SignalingError) as refused:
        await anna.request({"type": "preset", "code": "<script>"})
    assert refused.value.code == "bad_request"
    assert not [m for m in chloe.messages if m.get("type") == "preset"]

    # retour: the German booth works into French; German listeners hear the floor
    switched = time.monotonic()
    await anna.request({"type": "output", "channel": stage.french})
    await french.wait_for_tone(ANNA, after=switched, timeout=5)
    await german.wait_for_tone(SPEAKER, after=switched, timeout=5)
    state = await chloe.latest_state(
        lambda s: any(
            c["id"] == stage.french and c["carrier"]["kind"] == "retour" for c in s["channels"]
        )
    )
    carried = next(c for c in state["channels"] if c["id"] == stage.french)["carrier"]
    assert carried == {"kind": "retour", "booth": "de"}  # the relay indicator
    for wrong in (stage.floor, stage.german + 1000, "fr"):
        with pytest.raises(SignalingError):
            await anna.request({"type": "output", "channel": wrong})
    with pytest.raises(SignalingError) as refused:
        await anna.request({"type": "retour.fill", "booth": stage.german, "channel": None})
    assert refused.value.code == "forbidden"  # the organiser chooses the relay
    back = time.monotonic()
    await bernd.request({"type": "output", "channel": None})
    await german.wait_for_tone(ANNA, after=back, timeout=5)

    # a countdown handover passes by itself
    with pytest.raises(SignalingError):
        await anna.request({"type": "handover", "action": "request", "countdown": 99})
    offered = time.monotonic()
    await anna.request({"type": "handover", "action": "request", "countdown": 1})
    requested = await bernd.next_message("handover.requested")
    assert requested["due"] is not None and requested["taker"] == bernd.welcome["participant"]
    passed = await german.wait_for_tone(BERND, after=offered, timeout=5)
    assert passed - offered >= 0.9, "not before the countdown ends"

    # a takeover needs nobody's consent
    clock.advance(timedelta(minutes=10))  # (the platform's clock dates the stints)
    taken = time.monotonic()
    await anna.request({"type": "takeover"})
    await german.wait_for_tone(ANNA, after=taken, timeout=5)
    notice = await bernd.next_message("booth.takeover")
    assert notice["from"] == "Anna"

    # the organiser's on-air report counts both interpreters
    clock.advance(timedelta(minutes=5))
    await anna.request({"type": "mic", "on": False})
    async with httpx.AsyncClient(
        base_url=stage.base_url, cookies={"interpreta_session": stage.owner}
    ) as http:
        report = (await http.get(f"/api/events/{stage.event_id}/on-air")).json()
        csv = await http.get(f"/api/events/{stage.event_id}/on-air.csv")
        refused_http = await http.get(f"/api/events/{stage.event_id + 999}/on-air")
    lines = {line["interpreter"]: line for line in report}
    assert set(lines) == {"Anna", "Bernd"}
    # talkback and a retour do not end a stint: a handover or a takeover does
    assert (lines["Anna"]["stints"], lines["Anna"]["seconds"]) == (2, 300)
    assert (lines["Bernd"]["stints"], lines["Bernd"]["seconds"]) == (1, 600)
    assert all(line["language"] == "de" for line in report)
    assert csv.text.startswith("interpreter,language,minutes_on_air")
    assert refused_http.status_code == 404


async def test_an_organiser_chooses_the_relay_that_stands_in_during_a_retour(
    stage: Stage, closing: list[Any]
) -> None:
    people = await _people(stage, closing)
    owner = await LiveClient.join(stage.base_url, stage.code, role="moderator", cookie=stage.owner)
    closing.append(owner)
    chloe = people["chloe"]
    closing.append(await start_publisher(chloe, "", "", 1760))
    await chloe.request({"type": "mic", "on": True})
    await people["anna"].request({"type": "mic", "on": True})
    german = await start_subscriber(people["german"], str(stage.german), "")
    closing.append(german)
    await owner.request({"type": "retour.fill", "booth": stage.german, "channel": stage.french})
    switched = time.monotonic()
    await people["anna"].request({"type": "output", "channel": stage.french})
    await german.wait_for_tone(1760, after=switched, timeout=5)  # the French booth as relay
    with pytest.raises(SignalingError):
        await owner.request({"type": "retour.fill", "booth": stage.german, "channel": stage.german})
