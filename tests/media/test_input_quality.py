"""The input-quality meter against generated signals whose figures are known."""

from __future__ import annotations

import numpy as np
import pytest

from interpreta.media.input_quality import (
    InputQuality,
    NetworkQuality,
    measure,
    network_verdicts,
    verdicts,
)

RATE = 48000
RNG = np.random.default_rng(20)


def _sine(amplitude: float, seconds: float = 3.0, hz: float = 1000.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * hz * t)


def _noise(rms: float, seconds: float = 4.0, below_hz: float | None = None) -> np.ndarray:
    noise = RNG.standard_normal(int(seconds * RATE))
    if below_hz is not None:  # a brick-wall low-pass: nothing carried above `below_hz`
        spectrum = np.fft.rfft(noise)
        spectrum[np.fft.rfftfreq(len(noise), 1 / RATE) > below_hz] = 0
        noise = np.fft.irfft(spectrum, len(noise))
    return noise * rms / np.sqrt(np.mean(noise**2))


@pytest.mark.parametrize("level_dbfs", [-10.0, -20.0, -30.0])
def test_loudness_of_a_sine_is_its_level_as_bs1770_says(level_dbfs: float) -> None:
    """A 1 kHz sine in one channel measures its peak level less 3.01 dB (EBU Tech 3341's
    -23 LUFS stereo sine at -23 dBFS, heard on one channel)."""
    found = measure(_sine(10 ** (level_dbfs / 20)))
    assert found.loudness_lufs == pytest.approx(level_dbfs - 3.01, abs=0.2)
    assert found.peak_dbfs == pytest.approx(level_dbfs, abs=0.01)
    assert found.clipped == 0.0


def test_clipping_is_the_share_of_flattened_samples() -> None:
    clipped = np.clip(_sine(1.5), -1.0, 1.0)  # |1.5 sin| >= 1 for 1 - 2/pi asin(2/3)
    expected = 1 - 2 / np.pi * np.arcsin(1 / 1.5)
    assert measure(clipped).clipped == pytest.approx(expected, abs=0.01)
    single_peaks = _sine(0.5)
    single_peaks[::4800] = 1.0  # lone full-scale samples are peaks, not clipping
    assert measure(single_peaks).clipped == 0.0


@pytest.mark.parametrize(
    ("band_hz", "telephone"), [(3400.0, True), (7000.0, False), (15000.0, False)]
)
def test_bandwidth_is_where_the_sound_stops(band_hz: float, telephone: bool) -> None:
    found = measure(_noise(0.1, below_hz=band_hz))
    assert found.bandwidth_hz == pytest.approx(band_hz, rel=0.03)
    assert found.telephone_band is telephone


@pytest.mark.parametrize("snr_db", [10.0, 20.0, 30.0])
def test_snr_of_speech_like_bursts_over_steady_noise_within_3_db(snr_db: float) -> None:
    seconds = 6.0
    bursts = _noise(0.1, seconds, below_hz=4000)
    on = (np.arange(len(bursts)) // (RATE // 2)) % 2 == 0  # half a second on, half off
    speech = np.where(on, bursts, 0.0)
    noise = _noise(0.1 / 10 ** (snr_db / 20), seconds)
    found = measure(speech + noise)
    assert found.snr_db is not None
    assert abs(found.snr_db - snr_db) <= 3.0


def test_a_sound_without_pauses_gives_no_snr() -> None:
    assert measure(_sine(0.3)).snr_db is None


def test_silence_is_measured_as_silence() -> None:
    found = measure(np.zeros(RATE))
    assert found.loudness_lufs == float("-inf") and found.snr_db is None
    assert [(v.criterion, v.passed) for v in verdicts(found)] == [("loudness", False)]


def test_a_sound_check_passes_or_fails_each_criterion_with_advice() -> None:
    good = InputQuality(-24.0, -6.0, 0.0, 16000.0, 35.0, 5.0)
    assert all(v.passed and v.advice is None for v in verdicts(good))
    phone = InputQuality(-40.0, -20.0, 0.01, 3400.0, 12.0, 5.0)
    failed = {v.criterion: v.advice for v in verdicts(phone) if not v.passed}
    assert set(failed) == {"loudness", "clipping", "bandwidth", "noise"}
    assert "closer" in (failed["loudness"] or "") and "phone" in (failed["bandwidth"] or "")


def test_too_short_a_stretch_is_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.4 s"):
        measure(np.zeros(1000))


@pytest.mark.parametrize(
    ("loss", "jitter", "passed"),
    [
        (0.0, 2.0, [True, True]),
        (0.01, 30.0, [True, True]),
        (0.05, 5.0, [False, True]),
        (0.0, 80.0, [True, False]),
        (0.0, None, [True, True]),
    ],
)
def test_the_network_is_judged_on_loss_and_jitter(
    loss: float, jitter: float | None, passed: list[bool]
) -> None:
    found = network_verdicts(NetworkQuality(loss, jitter))
    assert [v.criterion for v in found] == ["loss", "jitter"]
    assert [v.passed for v in found] == passed
    assert all((v.advice is None) == v.passed for v in found)
