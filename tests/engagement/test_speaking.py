"""Speaking time and turns (engagement/speaking.py) on real speech: espeak-ng's reading
of known sentences, between known silences, raw and through an Ogg Opus recording."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from interpreta.engagement.speaking import Speech, pcm_of, speaking
from tests.speech.speech_testkit import at_48k, speak

RATE = 16_000
FIRST = "The committee will now vote on the second amendment to the budget."
SECOND = "Thank you all for coming, and see you at the next meeting in March."


def silence(seconds: float) -> bytes:
    """`seconds` of digital silence at 16 kHz."""
    return bytes(round(RATE * seconds) * 2)


def duration(pcm: bytes) -> float:
    """How long 16 kHz `pcm` lasts (seconds)."""
    return len(pcm) / (RATE * 2)


def voiced(pcm: bytes) -> float:
    """How long `pcm` lasts from its first to its last sound above near-silence."""
    loud = np.flatnonzero(np.abs(np.frombuffer(pcm, dtype=np.int16)) > 300)
    return (loud[-1] - loud[0]) / RATE


def two_sentences(tmp_path: Path, pause: float) -> tuple[bytes, bytes, bytes]:
    """1 s of silence, a sentence, `pause` seconds, another, 0.5 s: the audio and both
    sentences."""
    first, second = speak(FIRST, tmp_path), speak(SECOND, tmp_path)
    return silence(1) + first + silence(pause) + second + silence(0.5), first, second


def ogg_opus(pcm: bytes) -> bytes:
    """16 kHz `pcm` recorded as Ogg Opus (48 kHz mono, 20 ms frames), as a recording is."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48_000)
        stream.layout = "mono"
        samples = at_48k(pcm)
        samples = np.pad(samples, (0, -len(samples) % 960))
        for start in range(0, len(samples), 960):
            frame = av.AudioFrame.from_ndarray(
                samples[start : start + 960].reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts = 48_000, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def test_two_sentences_three_seconds_apart_are_two_turns_of_their_voiced_length(
    tmp_path: Path,
) -> None:
    audio, first, second = two_sentences(tmp_path, pause=3)
    speech = speaking(audio)
    assert speech.turns == 2
    truth = voiced(first) + voiced(second)
    assert 0.75 * truth <= speech.seconds <= 1.25 * truth
    assert speech.seconds <= duration(first) + duration(second)
    (start1, end1), (start2, end2) = speech.stretches[0], speech.stretches[-1]
    assert start1 == pytest.approx(1, abs=0.15)
    assert end1 == pytest.approx(1 + voiced(first), abs=0.3)
    assert start2 == pytest.approx(1 + duration(first) + 3, abs=0.15)
    assert end2 <= duration(audio) - 0.5 + 0.1


def test_clean_speech_is_a_clear_cut_decision(tmp_path: Path) -> None:
    speech = speaking(two_sentences(tmp_path, pause=3)[0])
    assert 0.8 < speech.confidence <= 1


def test_a_pause_under_a_second_and_a_half_does_not_end_a_turn(tmp_path: Path) -> None:
    speech = speaking(two_sentences(tmp_path, pause=0.8)[0])
    assert speech.turns == 1
    assert len(speech.stretches) >= 2  # the pause is still not speaking time


def test_silence_and_empty_audio_are_no_speaking_at_all() -> None:
    assert speaking(silence(3)) == Speech(seconds=0.0, turns=0, confidence=1.0, stretches=())
    assert speaking(b"") == Speech(seconds=0.0, turns=0, confidence=0.0, stretches=())


def test_a_short_sound_is_no_turn(tmp_path: Path) -> None:
    sound = speak("Oh.", tmp_path)[: round(0.2 * RATE) * 2]  # a fifth of a second of voice
    speech = speaking(silence(1) + sound + silence(1))
    assert speech.turns == 0 and 0 < speech.seconds < 0.4


def test_other_rates_are_measured_and_unknown_ones_refused(tmp_path: Path) -> None:
    audio = two_sentences(tmp_path, pause=3)[0]
    at_48 = at_48k(audio).tobytes()
    speech = speaking(at_48, rate=48_000)
    assert speech.turns == 2
    assert speech.seconds == pytest.approx(speaking(audio).seconds, abs=0.3)
    with pytest.raises(ValueError):
        speaking(audio, rate=44_100)


def test_an_ogg_opus_recording_decodes_whole_and_its_speech_survives(tmp_path: Path) -> None:
    audio = two_sentences(tmp_path, pause=3)[0]
    pcm = pcm_of(ogg_opus(audio))
    assert duration(pcm) == pytest.approx(duration(audio), abs=0.04)
    speech, truth = speaking(pcm), speaking(audio)
    assert speech.turns == 2
    assert speech.seconds == pytest.approx(truth.seconds, abs=0.2)


def test_a_span_of_a_recording_is_cut_to_its_length_by_timestamps(tmp_path: Path) -> None:
    audio, first, _ = two_sentences(tmp_path, pause=3)
    media = ogg_opus(audio)
    assert duration(pcm_of(media, 500, 2_500)) == pytest.approx(2.0, abs=0.04)
    second_only = pcm_of(media, from_ms=round((1 + duration(first) + 1) * 1000))
    assert duration(second_only) == pytest.approx(duration(audio) - duration(first) - 2, abs=0.04)
    speech = speaking(second_only)
    assert speech.turns == 1 and speech.stretches[0][0] == pytest.approx(2, abs=0.15)
    assert pcm_of(media, 60_000) == b""


def test_a_span_is_resampled_to_the_rate_asked(tmp_path: Path) -> None:
    media = ogg_opus(two_sentences(tmp_path, pause=3)[0])
    assert len(pcm_of(media, 1_000, 2_000, rate=8_000)) == pytest.approx(16_000, abs=2 * 8 * 40)
