"""The speaker's sound check: measured on the server, heard by nobody."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.live.conftest import Stage
from tests.live.live_client import LiveClient, SignalingError
from tests.media.media_testkit import start_publisher


class _SoundCheck:
    """A plane-like face of a live session whose ``publish`` starts a sound check."""

    def __init__(self, client: LiveClient) -> None:
        self.client = client

    async def publish(self, _channel_id: str, _peer_id: str, offer_sdp: str) -> str:
        reply = await self.client.request({"type": "soundcheck.start", "sdp": offer_sdp})
        return str(reply["sdp"])


async def test_a_sound_check_is_measured_and_nobody_hears_it(
    stage: Stage, closing: list[Any]
) -> None:
    speaker = await LiveClient.join(
        stage.base_url, stage.code, role="speaker", key=stage.speaker_key
    )
    listener = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing += [speaker, listener]
    with pytest.raises(SignalingError) as early:
        await speaker.request({"type": "soundcheck.result"})
    assert early.value.code == "not_checking"
    closing.append(await start_publisher(_SoundCheck(speaker), "", "", 440))
    result = None
    for _ in range(50):
        result = (await speaker.request({"type": "soundcheck.result"}))["result"]
        if result is not None:
            break
        await asyncio.sleep(0.2)
    assert result is not None
    assert -25 < result["lufs"] < -10 and result["clipped"] == 0
    assert result["verdicts"]["loudness"] is True and result["verdicts"]["bandwidth"] is False
    state = await listener.latest_state(lambda s: True)
    assert not any(c["on_air"] for c in state["channels"])  # the floor stays quiet
    await speaker.request({"type": "soundcheck.stop"})
    with pytest.raises(SignalingError):
        await speaker.request({"type": "soundcheck.result"})
    with pytest.raises(SignalingError) as bad:
        await speaker.request({"type": "soundcheck.start"})
    assert bad.value.code == "bad_request"
