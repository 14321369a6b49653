"""EventCaptions on its own (live/captions.py): which channels get captions, the lease a
stream runs under, a recogniser that cannot start is tried again later and later, and a
closed one starts nothing."""

from __future__ import annotations

from typing import Any

import pytest

from interpreta.bus import MemoryBus
from interpreta.live import captions
from interpreta.live.captions import EventCaptions, caption_lease, captioned

pytestmark = pytest.mark.speech


def test_the_floor_and_english_channels_are_captioned_when_offered() -> None:
    channels = [(1, None), (2, "de"), (3, "en-GB"), (4, "EN")]
    assert captioned(True, "en", channels) == {1: "en", 3: "en", 4: "en"}
    assert captioned(True, None, channels) == {3: "en", 4: "en"}  # a mixed floor: none
    assert captioned(True, "fr", channels) == {3: "en", 4: "en"}  # no French recogniser
    assert captioned(False, "en", channels) == {}


class _RefusingPlane:
    """A media plane whose channels cannot be tapped (the subscribe fails)."""

    def __init__(self) -> None:
        self.subscribed = 0

    async def subscribe(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        self.subscribed += 1
        raise RuntimeError("no such channel")

    async def close_peer(self, peer_id: str) -> None:
        return None


async def _nothing(*_args: Any) -> None:
    return None


async def test_a_stream_that_cannot_start_is_tried_again_later_and_its_lease_let_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(captions.time, "monotonic", lambda: now[0])
    plane, bus = _RefusingPlane(), MemoryBus("a")
    running = EventCaptions(plane, bus, 7, _nothing)  # type: ignore[arg-type]
    await running.keep({12: "en"}, room=1)
    assert plane.subscribed == 1 and running.streams == {}
    assert await bus.holder(caption_lease(12)) is None  # another node may take it
    await running.keep({12: "en"}, room=1)  # at the next beat: not yet
    assert plane.subscribed == 1
    now[0] += captions.RETRY_AFTER[0]
    await running.keep({12: "en"}, room=1)
    assert plane.subscribed == 2
    now[0] += captions.RETRY_AFTER[0]  # the second failure waits longer
    await running.keep({12: "en"}, room=1)
    assert plane.subscribed == 2
    now[0] += captions.RETRY_AFTER[1]
    await running.keep({12: "en"}, room=1)
    assert plane.subscribed == 3

    await running.close()
    now[0] += 3600
    await running.keep({12: "en"}, room=1)  # closed: nothing starts again
    assert plane.subscribed == 3


async def test_a_channel_another_node_captions_is_left_to_it() -> None:
    plane, bus = _RefusingPlane(), MemoryBus("a")
    assert await bus.acquire(caption_lease(12), "b", 10)
    running = EventCaptions(plane, bus, 7, _nothing)  # type: ignore[arg-type]
    await running.keep({12: "en"}, room=1)
    assert plane.subscribed == 0 and running.streams == {}
    await running.keep({12: "en"}, room=0)  # and no room: nothing either
    assert plane.subscribed == 0
