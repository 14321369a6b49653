"""Output timestamps, Opus durations, and the subscriber queue, without a network."""

from __future__ import annotations

import asyncio

import pytest

from interpreta.media.forwarder.opus import packet_samples
from interpreta.media.forwarder.timeline import Timeline
from interpreta.media.forwarder.track import ForwardedPacket, ForwardingTrack


def test_same_stream_keeps_the_source_spacing() -> None:
    line = Timeline()
    a = object()
    assert line.place(a, 1000, 960, 0.0) == 0
    assert line.place(a, 1960, 960, 0.02) == 960
    assert line.place(a, 3880, 960, 0.06) == 2880  # one packet lost: the gap stays
    assert line.place(a, 3880, 960, 0.07) is None  # duplicate
    assert line.place(a, 2920, 960, 0.07) is None  # late
    assert line.place(a, 4840, 960, 0.08) == 3840


def test_same_stream_across_the_timestamp_wrap() -> None:
    line = Timeline()
    a = object()
    line.place(a, 0xFFFFFFFF - 479, 960, 0.0)
    assert line.place(a, 480, 960, 0.02) == 960


def test_new_stream_continues_by_the_wall_clock() -> None:
    line = Timeline()
    a, b = object(), object()
    line.place(a, 5_000_000, 960, 10.0)
    # handover 20 ms later: one packet on
    assert line.place(b, 77, 960, 10.02) == 960
    # back to A after half a second of B going quiet
    assert line.place(a, 9_000_000, 960, 10.52) == 960 + 24000
    # a new stream arriving sooner than one packet still moves on by one packet
    assert line.place(b, 5, 960, 10.521) == 960 + 24000 + 960


def test_same_stream_far_jump_is_a_discontinuity() -> None:
    line = Timeline()
    a = object()
    line.place(a, 0, 960, 0.0)
    assert line.place(a, 48000 * 60, 960, 0.02) == 960  # source restarted its clock
    assert line.place(a, 100, 960, 1.02) == 960 + 48000  # stepped far back: restarted


@pytest.mark.parametrize(
    ("payload", "samples"),
    [
        (bytes([0xFC, 0xFF, 0xFE]), 960),  # CELT FB 20 ms, one frame (browsers)
        (bytes([0x78, 0x00]), 960),  # Hybrid FB 20 ms
        (bytes([0x08]), 960),  # SILK NB 20 ms
        (bytes([0x18]), 2880),  # SILK NB 60 ms
        (bytes([0xF9, 0, 0]), 1920),  # CELT FB 20 ms, two frames
        (bytes([0xE3, 0x03]), 360),  # CELT FB 2.5 ms, code 3, three frames
        (b"", 960),
        (bytes([0x1B]), 960),  # code 3 without its count byte
    ],
)
def test_packet_samples(payload: bytes, samples: int) -> None:
    assert packet_samples(payload) == samples


def _packet(stream: object, ts: int, arrival: float) -> ForwardedPacket:
    return ForwardedPacket(bytes([0xFC, ts & 0xFF]), stream, ts, 960, arrival)


@pytest.mark.asyncio
async def test_full_queue_drops_the_oldest() -> None:
    now = [0.0]
    track = ForwardingTrack(max_queue=3, late_after=0.02, clock=lambda: now[0])
    stream = object()
    for i in range(10):
        track.push(_packet(stream, i * 960, i * 0.02))
    assert track.queued == 3
    assert track.packets_dropped == 7
    now[0] = 0.19
    packets = [await track.recv() for _ in range(3)]
    assert [p.pts for p in packets] == [7 * 960, 8 * 960, 9 * 960]
    assert bytes(packets[0]) == bytes([0xFC, (7 * 960) & 0xFF])
    assert track.packets_sent == 3
    assert track.packets_late == 2  # waited 50 and 30 ms; the last one 10 ms


@pytest.mark.asyncio
async def test_recv_waits_for_a_packet_and_ends_with_the_track() -> None:
    from aiortc.mediastreams import MediaStreamError

    track = ForwardingTrack()
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    assert not pending.done()
    track.push(_packet(object(), 0, 0.0))
    assert (await pending).pts == 0
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    track.stop()
    with pytest.raises(MediaStreamError):
        await pending


def test_queue_must_hold_something() -> None:
    with pytest.raises(ValueError):
        ForwardingTrack(max_queue=0)
