"""How good a speaker's sound is, measured on the decoded signal: the input-quality meter.

Interpreters judge a speaker's feed by ear; :func:`measure` puts numbers on what they
hear, from a few seconds of mono PCM (float, -1..1, 48 kHz):

* **loudness**: integrated loudness in LUFS (ITU-R BS.1770-4, K-weighted and gated,
  computed by pyloudnorm), and the sample peak in dBFS;
* **clipping**: the share of samples in runs of at least :data:`CLIP_RUN` samples at
  full scale (one full-scale sample is a peak, a run of them is a flattened wave);
* **bandwidth**: the highest frequency whose level, in a smoothed long-term spectrum, is
  within :data:`BANDWIDTH_FLOOR_DB` of the spectrum's peak. A telephone-band feed
  (a phone line, a Bluetooth headset in hands-free mode) stops near 3.4 kHz; a good
  microphone through Opus fullband reaches 15 kHz or more;
* **signal-to-noise ratio**: speech comes and goes, the noise stays. The power of 20 ms
  frames is sorted: the quietest tenth is the noise, the loudest tenth is speech plus
  noise, and the SNR is the speech's power (noise taken out) over the noise's. A sound
  without pauses (the two within 3 dB) gives no estimate.

The network's part is measured by the media plane on the publisher's packets
(:class:`NetworkQuality`): the share of packets lost and the RFC 3550 interarrival
jitter; :func:`network_verdicts` judges them (at most 1 % lost, which Opus's
concealment hides; at most 30 ms of jitter, which a browser's jitter buffer absorbs
without adding audible delay).

:class:`Thresholds` turns the figures into pass or fail per criterion, with advice for
the speaker (:func:`verdicts`). The defaults are the platform's own, from broadcast and
conferencing practice (EBU R 128's -23 LUFS target, a wideband floor for speech): not
quoted from ISO 20108, whose figures are not public; an operator can change them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyloudnorm

__all__ = [
    "BANDWIDTH_FLOOR_DB",
    "CLIP_RUN",
    "InputQuality",
    "NetworkQuality",
    "Thresholds",
    "Verdict",
    "measure",
    "network_verdicts",
    "verdicts",
]

RATE = 48000
FRAME = 960
"""Samples in a 20 ms frame at 48 kHz (the SNR estimate's unit)."""

CLIP_RUN = 3
"""Consecutive full-scale samples that count as clipping."""

CLIP_LEVEL = 0.999
"""What counts as full scale (a decoded signal seldom reaches 1.0 exactly)."""

BANDWIDTH_FLOOR_DB = 40.0
"""How far below the spectrum's peak a frequency still counts as carried."""

SILENT = -70.0
"""LUFS under which the feed is taken as silent (nothing else is measured)."""


@dataclass(frozen=True)
class InputQuality:
    """The figures of one stretch of a feed."""

    loudness_lufs: float
    "Integrated loudness (BS.1770-4), or -inf for silence."
    peak_dbfs: float
    "The highest sample, in dBFS."
    clipped: float
    "Share of samples in clipped runs (0..1)."
    bandwidth_hz: float
    "The highest frequency carried (0 for silence)."
    snr_db: float | None
    """Speech over noise, in dB; None when the stretch has no quiet frames to learn the
    noise from, or no louder ones to learn the speech from."""
    seconds: float
    "How long the stretch measured was."

    @property
    def telephone_band(self) -> bool:
        """Whether the feed stops where a telephone line does (under 4 kHz)."""
        return 0 < self.bandwidth_hz < 4000


def _clipped_share(samples: np.ndarray) -> float:
    full = np.abs(samples) >= CLIP_LEVEL
    if not full.any():
        return 0.0
    edges = np.diff(np.concatenate(([0], full.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    lengths = ends - starts
    return float(lengths[lengths >= CLIP_RUN].sum() / len(samples))


def _bandwidth(samples: np.ndarray, rate: int) -> float:
    size = 4096
    if len(samples) < size:
        return 0.0
    window = np.hanning(size)
    frames = np.lib.stride_tricks.sliding_window_view(samples, size)[:: size // 2]
    spectrum = np.mean(np.abs(np.fft.rfft(frames * window, axis=1)) ** 2, axis=0)
    smoothed = np.convolve(spectrum, np.ones(9) / 9, mode="same")
    level = 10 * np.log10(smoothed + 1e-20)
    carried = np.flatnonzero(level >= level.max() - BANDWIDTH_FLOOR_DB)
    return float(carried[-1] * rate / size)


def _snr(samples: np.ndarray) -> float | None:
    count = len(samples) // FRAME
    if count < 20:
        return None
    power = np.sort(np.mean(samples[: count * FRAME].reshape(count, FRAME) ** 2, axis=1))
    tenth = max(1, count // 10)
    noise, loud = float(power[:tenth].mean()), float(power[-tenth:].mean())
    if noise <= 0 or loud < noise * 2:  # under 3 dB apart: no pauses to tell noise by
        return None
    return 10 * float(np.log10((loud - noise) / noise))


def measure(samples: np.ndarray, rate: int = RATE) -> InputQuality:
    """The figures of a stretch of mono PCM (floats in -1..1); at least 0.4 s."""
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    seconds = len(samples) / rate
    if seconds < 0.4:
        raise ValueError("measure at least 0.4 s (one loudness gating block)")
    peak = float(np.max(np.abs(samples)))
    peak_dbfs = 20 * float(np.log10(peak)) if peak > 0 else float("-inf")
    loudness = float(pyloudnorm.Meter(rate).integrated_loudness(samples))
    if not np.isfinite(loudness) or loudness < SILENT:
        return InputQuality(float("-inf"), peak_dbfs, 0.0, 0.0, None, seconds)
    return InputQuality(
        loudness_lufs=loudness,
        peak_dbfs=peak_dbfs,
        clipped=_clipped_share(samples),
        bandwidth_hz=_bandwidth(samples, rate),
        snr_db=_snr(samples),
        seconds=seconds,
    )


@dataclass(frozen=True)
class Thresholds:
    """What a good feed measures (the platform's defaults; see the module docstring)."""

    loudness_low: float = -33.0
    "LUFS under which a speaker is too quiet (10 LU under the -23 LUFS target)."
    loudness_high: float = -13.0
    "LUFS over which a speaker is too loud."
    clipped_max: float = 0.001
    "The largest share of clipped samples."
    bandwidth_min_hz: float = 7000.0
    "The least bandwidth: wideband speech (telephone band fails)."
    snr_min_db: float = 20.0
    "The least speech-to-noise ratio."
    loss_max: float = 0.01
    "The largest share of packets lost on the way to the platform."
    jitter_max_ms: float = 30.0
    "The most interarrival jitter, in milliseconds."


@dataclass(frozen=True)
class Verdict:
    """One criterion of a sound check."""

    criterion: str
    "``loudness``, ``clipping``, ``bandwidth`` or ``noise``."
    passed: bool
    advice: str | None
    "What the speaker can do about it, when it failed."


def verdicts(quality: InputQuality, limits: Thresholds | None = None) -> list[Verdict]:
    """Pass or fail per criterion, with advice (a silent feed fails loudness only: there
    is nothing else to judge)."""
    limits = limits or Thresholds()
    if not np.isfinite(quality.loudness_lufs):
        return [Verdict("loudness", False, "We hear nothing: check that your microphone is on.")]
    found = [
        Verdict(
            "loudness",
            limits.loudness_low <= quality.loudness_lufs <= limits.loudness_high,
            None
            if quality.loudness_lufs >= limits.loudness_low
            else "You are too quiet: move closer to the microphone.",
        ),
        Verdict(
            "clipping",
            quality.clipped <= limits.clipped_max,
            None
            if quality.clipped <= limits.clipped_max
            else "Your sound is distorted: move back from the microphone or lower its gain.",
        ),
        Verdict(
            "bandwidth",
            quality.bandwidth_hz >= limits.bandwidth_min_hz,
            None
            if quality.bandwidth_hz >= limits.bandwidth_min_hz
            else "Your sound is narrow, like a phone line: use a headset with a cable, or "
            "take your Bluetooth headset out of hands-free mode.",
        ),
        Verdict(
            "noise",
            quality.snr_db is None or quality.snr_db >= limits.snr_min_db,
            None
            if quality.snr_db is None or quality.snr_db >= limits.snr_min_db
            else "There is a lot of background noise: use a headset, or find a quieter place.",
        ),
    ]
    if quality.loudness_lufs > limits.loudness_high:
        found[0] = Verdict("loudness", False, "You are too loud: lower the microphone's gain.")
    return found


@dataclass(frozen=True)
class NetworkQuality:
    """How a speaker's packets reach the platform, over a stretch of time."""

    loss: float
    "The share of packets lost (0 to 1)."
    jitter_ms: float | None
    "RFC 3550 interarrival jitter in milliseconds; None before it could be measured."


def network_verdicts(network: NetworkQuality, limits: Thresholds | None = None) -> list[Verdict]:
    """Pass or fail for packet loss and jitter, with advice."""
    limits = limits or Thresholds()
    lossy = network.loss > limits.loss_max
    uneven = network.jitter_ms is not None and network.jitter_ms > limits.jitter_max_ms
    return [
        Verdict(
            "loss",
            not lossy,
            "Your connection loses sound: use a cable, or move closer to the Wi-Fi."
            if lossy
            else None,
        ),
        Verdict(
            "jitter",
            not uneven,
            "Your connection is uneven: close what else uses the network, or use a cable."
            if uneven
            else None,
        ),
    ]
