"""The Ogg Opus recorder: packets as they came, silence where none came, on the
recording's timeline; and a channel tap recording a tone on either backend."""

from __future__ import annotations

import asyncio
import io

import av
import numpy as np

from interpreta.media.plane import MediaPlane
from interpreta.media.recording import ChannelTap, OggOpusRecorder
from tests.media.conftest import Backend, Peers

FRAME = 960


def _tone_packets(seconds: float, frequency: float = 660.0) -> list[bytes]:
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48000, "mono", "s16"
    encoder.open()
    t = np.arange(int(seconds * 48000)) / 48000
    pcm = (0.4 * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2")
    packets = []
    for start in range(0, len(pcm), FRAME):
        frame = av.AudioFrame.from_ndarray(
            pcm[start : start + FRAME].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = 48000, start
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets


def _decoded(ogg: bytes) -> np.ndarray:
    with av.open(io.BytesIO(ogg)) as container:
        return np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])


def test_gaps_become_silence_and_the_timeline_holds() -> None:
    recorder = OggOpusRecorder()
    packets = _tone_packets(1.0)
    base = 123_456
    for n, payload in enumerate(packets[:25]):  # half a second of tone...
        recorder.add(payload, base + n * FRAME, at_ms=200)
    recorder.add(packets[3], base + 3 * FRAME)  # a late duplicate: its time is written
    for n, payload in enumerate(packets[25:]):  # ...then a one-second gap, then the rest
        recorder.add(payload, base + (75 + n) * FRAME)
    recorder.pad_to(3000)
    ogg = recorder.take() + recorder.finish()
    samples = _decoded(ogg)
    assert ogg[:4] == b"OggS"
    assert recorder.packets == 50 and recorder.duration_ms == 3000
    assert abs(len(samples) / 48000 - 3.0) < 0.05
    level = [
        float(np.abs(samples[int(s * 48000) : int((s + 0.1) * 48000)]).mean())
        for s in (0.05, 0.45, 1.2, 1.9, 2.8)
    ]
    quiet, tone, gap, tone_again, end = level
    assert tone > 0.1 and tone_again > 0.1  # first 200 ms silent, tone from 0.2 s
    assert quiet < 0.005 and gap < 0.005 and end < 0.005  # decoded floats, full scale 1


def test_a_channel_nobody_speaks_on_is_silence_as_long_as_the_recording() -> None:
    recorder = OggOpusRecorder()
    recorder.pad_to(1000)
    samples = _decoded(recorder.finish())
    assert abs(len(samples) / 48000 - 1.0) < 0.05
    assert float(np.abs(samples).max()) < 0.005


async def test_a_tap_records_the_channel_on_each_backend(
    plane: MediaPlane, peers: Peers, backend: Backend
) -> None:
    await plane.open_channel("en")
    speaker = await peers.publisher("en", "speaker", 660)
    await plane.set_source("en", "speaker")
    recorder = OggOpusRecorder()
    tap = ChannelTap(plane, "recorder")
    await tap.start("en", lambda p: recorder.add(p.payload, p.timestamp), backend.addresses)
    await asyncio.sleep(2)
    await tap.close()
    await speaker.close()
    samples = _decoded(recorder.take() + recorder.finish())
    window = samples[-48000:].astype(float)
    spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
    assert abs(np.argmax(spectrum) * 48000 / len(window) - 660) < 10
    assert recorder.packets > 50
