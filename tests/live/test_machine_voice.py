"""A machine channel's voice track: speech queued in order, sent in real time, silence
between sentences, and the oldest speech dropped once too much waits."""

from __future__ import annotations

import numpy as np

from interpreta.live.machine_voice import DROP_AFTER, FRAME, SpokenTrack


def _speech(seconds: float, level: int = 1000) -> bytes:
    return np.full(int(seconds * 16_000), level, dtype=np.int16).tobytes()


async def test_speech_is_sent_in_order_at_48_khz_then_silence() -> None:
    track = SpokenTrack()
    track.say(_speech(0.01, 100))
    track.say(_speech(0.01, 200))
    assert track.backlog() == 960 / 48_000  # 20 ms of speech waits, at 48 kHz
    frame = await track.recv()
    samples = frame.to_ndarray().reshape(-1)
    assert frame.sample_rate == 48_000 and len(samples) == FRAME
    assert list(samples[:480]) == [100] * 480 and list(samples[480:]) == [200] * 480
    assert len(track.spoken_at) == 2
    quiet = (await track.recv()).to_ndarray().reshape(-1)
    assert not quiet.any() and track.backlog() == 0
    track.stop()


async def test_the_oldest_speech_is_dropped_once_too_much_waits() -> None:
    track = SpokenTrack()
    for level in (1, 2, 3):
        track.say(_speech(DROP_AFTER / 2, level))
    assert track.dropped == 1 and track.backlog() <= DROP_AFTER
    first = (await track.recv()).to_ndarray().reshape(-1)
    assert first[0] == 2  # the first sentence went
    track.say(b"")  # nothing to say: nothing queued
    assert track.dropped == 1
    track.stop()


async def test_a_voice_whose_node_stopped_beating_is_not_named_and_stopped_ones_are_unnamed() -> (
    None
):
    from interpreta.bus.memory_backend import MemoryBus
    from interpreta.live import shared_state

    bus = MemoryBus("a")
    await shared_state.save(bus, 7, {}, {}, {1: "machine:7:1:1"}, None, {1: "a"})
    await shared_state.save(bus, 7, {}, {}, {2: "machine:7:2:5"}, None, {2: "gone"})
    state = await shared_state.load(bus, 7)
    assert state.machines == {1: "machine:7:1:1"}  # node "gone" never beat: its voice is out
    assert state.machine_nodes == {1: "a"}

    await shared_state.drop_machines(bus, 7, {1: "machine:7:1:0"})  # an older voice of 1
    assert (await shared_state.load(bus, 7)).machines == {1: "machine:7:1:1"}
    await shared_state.drop_machines(bus, 7, {1: "machine:7:1:1"})
    assert (await shared_state.load(bus, 7)).machines == {}
    await bus.close()
