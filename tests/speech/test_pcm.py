"""The recognisers' audio: a channel's Opus packets and sound files become 16 kHz mono
PCM that keeps the sound (its length and its pitch)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from interpreta.speech.pcm import RATE, OpusToPcm, pcm_from_file, seconds


def _tone(hertz: float, length: float, rate: int = 48_000) -> np.ndarray:
    t = np.arange(int(length * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hertz * t) * 32767).astype(np.int16)


def _pitch(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[int(np.argmax(spectrum))])


def _opus_packets(samples: np.ndarray) -> list[bytes]:
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48_000, "stereo", "s16"
    encoder.time_base = Fraction(1, 48_000)
    stereo = np.repeat(samples, 2).reshape(1, -1)
    packets: list[bytes] = []
    for offset in range(0, stereo.shape[1] // 2 - 959, 960):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(stereo[:, offset * 2 : (offset + 960) * 2]),
            format="s16",
            layout="stereo",
        )
        frame.sample_rate, frame.pts = 48_000, offset
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets


def test_opus_packets_become_16_khz_pcm_of_the_same_sound() -> None:
    decoder = OpusToPcm()
    pcm = b"".join(decoder.decode(p) for p in _opus_packets(_tone(440, 2.0)))
    assert 1.8 <= seconds(pcm) <= 2.0
    assert abs(_pitch(pcm) - 440) < 5


def test_a_broken_packet_is_skipped() -> None:
    decoder = OpusToPcm()
    assert decoder.decode(b"\xff\xff\xff\xff" * 10) == b""
    assert decoder.decode(_opus_packets(_tone(440, 0.1))[0])  # and decoding goes on


def test_a_sound_file_becomes_16_khz_pcm(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=22_050, layout="mono")
        frame = av.AudioFrame.from_ndarray(_tone(1000, 1.5, 22_050).reshape(1, -1), layout="mono")
        frame.sample_rate = 22_050
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    pcm = pcm_from_file(path)
    assert abs(seconds(pcm) - 1.5) < 0.02 and abs(_pitch(pcm) - 1000) < 5
