"""A recogniser in its own process: Opus packets in, captions out, at a lower priority
than the platform; a quiet channel closes the utterance; a packet stream the child cannot
keep up with is thinned, never waited for; a child that dies ends the captions."""

from __future__ import annotations

import asyncio
import io
import os
import signal
from fractions import Fraction

import av
import numpy as np
import pytest

from interpreta.speech.engines import NoEngine
from interpreta.speech.pcm import RATE
from interpreta.speech.recognition import Caption
from interpreta.speech.worker import NICENESS, CaptionProcess, _Stream
from tests.conftest import POSTGRES_URL
from tests.speech.conftest import readings, silence

pytestmark = [
    pytest.mark.speech,
    pytest.mark.skipif(bool(POSTGRES_URL), reason="no database here: run once, on SQLite"),
]


def opus_packets(pcm: bytes) -> list[tuple[int, bytes]]:
    """16 kHz PCM as the 20 ms Opus packets of a channel, with their RTP timestamps."""
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=48_000)
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48_000, "stereo", "s16"
    encoder.time_base = Fraction(1, 48_000)
    frame = av.AudioFrame.from_ndarray(
        np.frombuffer(pcm, dtype=np.int16).reshape(1, -1), format="s16", layout="mono"
    )
    frame.sample_rate = RATE
    stereo = np.concatenate([f.to_ndarray() for f in resampler.resample(frame)], axis=1)
    packets: list[tuple[int, bytes]] = []
    for start in range(0, stereo.shape[1] // 2 - 959, 960):
        chunk = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(stereo[:, start * 2 : (start + 960) * 2]),
            format="s16",
            layout="stereo",
        )
        chunk.sample_rate, chunk.pts = 48_000, start
        packets += [(start, bytes(p)) for p in encoder.encode(chunk)]
    return packets


async def _collect(process: CaptionProcess, into: list[Caption]) -> None:
    async for caption in process.captions():
        into.append(caption)


async def test_packets_in_captions_out_at_a_lower_priority() -> None:
    process = CaptionProcess(engine="pocketsphinx", max_behind=60)  # sent all at once
    await process.start()
    assert process.pid is not None
    lower = min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
    for _ in range(100):  # (nice and chrt lower it, then run the child in its place)
        pid = process.pid
        idle = os.sched_getscheduler(pid) == os.SCHED_IDLE
        if os.getpriority(os.PRIO_PROCESS, pid) == lower and idle:
            break
        await asyncio.sleep(0.05)
    assert os.getpriority(os.PRIO_PROCESS, process.pid) == lower
    assert os.sched_getscheduler(process.pid) == os.SCHED_IDLE  # only on an idle core
    captions: list[Caption] = []
    reader = asyncio.create_task(_collect(process, captions))
    await asyncio.wait_for(process.ready.wait(), 60)
    for timestamp, payload in opus_packets(silence(0.5) + readings()[0].pcm):
        process.packet(timestamp, payload)
        await asyncio.sleep(0)
    process.silence(1000)  # nobody on air: the utterance closes before the stream ends
    await asyncio.sleep(0)
    assert await process.close() == 0
    await reader
    finals = [c for c in captions if c.final]
    assert any(not c.final for c in captions) and finals
    assert "dashwood" in " ".join(c.text for c in finals) or len(finals[0].text.split()) > 8
    assert process.dropped == 0 and process.unready == 0


async def test_audio_before_the_child_is_ready_waits_for_it() -> None:
    """What is said while the model loads is heard once it has loaded."""
    process = CaptionProcess(engine="pocketsphinx", max_behind=60)  # keeps the last 30 s
    await process.start()
    assert process.pid is not None
    os.kill(process.pid, signal.SIGSTOP)  # a child still loading its model
    try:
        for timestamp, payload in opus_packets(silence(0.5) + readings()[0].pcm):
            process.packet(timestamp, payload)
        assert not process.ready.is_set() and process.unready == 0
    finally:
        os.kill(process.pid, signal.SIGCONT)
    captions: list[Caption] = []
    reader = asyncio.create_task(_collect(process, captions))
    await asyncio.wait_for(process.ready.wait(), 60)
    process.silence(1000)
    await asyncio.sleep(0)
    assert await process.close() == 0
    await reader
    finals = " ".join(c.text for c in captions if c.final)
    assert "dashwood" in finals or len(finals.split()) > 8


async def test_older_audio_before_the_child_is_ready_is_dropped_and_its_wait_is_silence() -> None:
    """Only the last moments before the child is ready are kept (the rest would put it
    behind from its first word); the captions' times still count from the start."""
    process = CaptionProcess(engine="pocketsphinx", max_behind=0.2)  # keeps 0.1 s
    await process.start()
    assert process.pid is not None
    os.kill(process.pid, signal.SIGSTOP)
    try:
        packets = opus_packets(readings()[1].pcm)
        for timestamp, payload in packets:
            process.packet(timestamp, payload)
        process.silence(5000)  # not sent: the wait is told once, when it is ready
        assert process.unready == len(packets) - 5 and process.dropped == 0
        await asyncio.sleep(1.5)
    finally:
        os.kill(process.pid, signal.SIGCONT)
    captions: list[Caption] = []
    reader = asyncio.create_task(_collect(process, captions))
    await asyncio.wait_for(process.ready.wait(), 60)
    process.max_behind = 60  # the reading below is sent all at once
    last = packets[-1][0] + 960
    for timestamp, payload in opus_packets(readings()[0].pcm):
        process.packet(last + timestamp, payload)
        await asyncio.sleep(0)
    process.silence(1000)
    await asyncio.sleep(0)
    assert await process.close() == 0
    await reader
    said = [c for c in captions if c.final and len(c.text.split()) > 3]
    assert said and said[0].start >= 1.3  # after 1.5 s of waiting, less the 0.1 s kept


async def test_a_child_that_falls_behind_is_thinned_not_waited_for() -> None:
    process = CaptionProcess(engine="pocketsphinx", max_behind=0.1)
    await process.start()
    assert process.pid is not None
    captions: list[Caption] = []
    reader = asyncio.create_task(_collect(process, captions))
    await asyncio.wait_for(process.ready.wait(), 60)
    os.kill(process.pid, signal.SIGSTOP)  # a child that takes nothing in
    try:
        for timestamp, payload in opus_packets(readings()[1].pcm) * 20:
            process.packet(timestamp, payload)  # never blocks
        assert process.dropped > 0
    finally:
        os.kill(process.pid, signal.SIGCONT)
    await process.close()
    await reader


async def test_a_child_that_dies_ends_the_captions() -> None:
    process = CaptionProcess(engine="pocketsphinx")
    await process.start()
    assert process.pid is not None
    captions: list[Caption] = []
    reader = asyncio.create_task(_collect(process, captions))
    os.kill(process.pid, signal.SIGKILL)
    await asyncio.wait_for(reader, 10)
    assert captions == []
    assert await process.close() == -signal.SIGKILL
    process.packet(0, b"x")  # after the end: nothing to write to, no error


def test_a_language_without_an_engine_is_refused_before_any_process() -> None:
    with pytest.raises(NoEngine):
        CaptionProcess(language="de")


class _Counting:
    """A recogniser that counts the audio it hears (the stream's timing is what is
    tested here, not recognition)."""

    def __init__(self) -> None:
        self.heard = 0

    def feed(self, pcm: bytes) -> list[Caption]:
        self.heard += len(pcm)
        return []

    def finish(self) -> list[Caption]:
        return []


def test_the_child_hears_the_channel_s_timeline() -> None:
    recogniser = _Counting()
    stream = _Stream(recogniser, io.BytesIO())
    packets = opus_packets(readings()[1].pcm)[:50]  # one second
    for timestamp, payload in packets[:25]:
        stream.packet(timestamp, payload)
    stream.silence(300)  # nobody on air for 300 ms, then the rest comes as it was sent
    for timestamp, payload in packets[25:]:
        stream.packet(timestamp + 300 * 48, payload)
    stream.packet(packets[10][0], packets[10][1])  # late: dropped
    heard = recogniser.heard / (RATE * 2)
    assert 1.25 <= heard <= 1.32, heard  # one second of packets and 300 ms of silence, once
    resumed = packets[49][0] + 300 * 48 + 960 + 2_000 * 48
    stream.packet(resumed, packets[0][1])  # 2 s after the last packet ended: a gap
    assert 3.2 <= recogniser.heard / (RATE * 2) <= 3.35


def test_a_new_source_far_behind_in_time_is_heard_not_dropped_as_late() -> None:
    recogniser = _Counting()
    stream = _Stream(recogniser, io.BytesIO())
    packets = opus_packets(readings()[1].pcm)[:50]
    for timestamp, payload in packets[:25]:
        stream.packet(timestamp + 20 * 48_000, payload)  # the first interpreter's clock
    before = recogniser.heard
    for timestamp, payload in packets[25:]:  # their booth mate's: 20 s behind
        stream.packet(timestamp, payload)
    assert recogniser.heard - before >= 24 * 320 * 2  # heard, with no silence made up
    assert recogniser.heard - before <= 26 * 320 * 2
