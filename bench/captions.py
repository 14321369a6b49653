"""Captions benchmark: how soon words reach listeners, how right they are, and what a
captioned channel costs.

Each LibriVox reading of Debian's ``pocketsphinx-testdata`` (real recorded speech, with
its transcript) is streamed to a recogniser in 20 ms packets at the pace they would
arrive live, after a second of silence. It prints, per engine:

- the delay from the first sound of speech to its first partial words (p50, p95; the goal
  is p95 under 1 s), and from the last sound to the final caption; with five readings,
  the p95 is the worst of them;
- the word error rate against the transcripts (jiwer);
- the CPU a captioned channel takes, as a share of one core.

    python bench/captions.py [--engine pocketsphinx] [--fast]

``--fast`` feeds the audio as fast as the engine takes it (no pacing): the delays are
then in stream time only, leaving out the time spent decoding.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interpreta.speech.engines import ENGINES, engine_for
from interpreta.speech.pcm import RATE, SAMPLE_BYTES, seconds
from tests.speech.conftest import Reading, readings, silence, word_error_rate

PACKET = RATE * SAMPLE_BYTES // 50
LEAD = 1.0


def _sounding(pcm: bytes) -> tuple[float, float]:
    """Where the speech in `pcm` starts and ends: the first and last 10 ms frames within
    25 dB of its loudest (the recordings' noise floor is some 35 dB below their speech)."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    level = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-9)
    loud = np.flatnonzero(level > level.max() - 25)
    return loud[0] / 100, (loud[-1] + 1) / 100


def warm_up(engine_name: str) -> None:
    """Load the engine's model before anything is timed (Whisper's takes a second)."""
    recogniser = engine_for("en", engine_name).start()
    recogniser.feed(silence(0.5) + readings()[1].pcm + silence(1.0))
    recogniser.finish()


def _run(engine_name: str, reading: Reading, paced: bool) -> tuple[float, float, str, float]:
    """(first-partial delay, final delay, final text, CPU seconds) for one reading."""
    recogniser = engine_for("en", engine_name).start()
    pcm = silence(LEAD) + reading.pcm + silence(1.5)
    onset, offset = (LEAD + t for t in _sounding(reading.pcm))
    first = final = None
    texts: list[str] = []
    cpu = time.process_time()
    started = time.perf_counter()
    for index in range(0, len(pcm), PACKET):
        if paced:  # a packet can be sent once its 20 ms have been spoken
            wait = started + (index + PACKET) / (RATE * SAMPLE_BYTES) - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        captions = recogniser.feed(pcm[index : index + PACKET])
        # when the caption is out: the sound fed so far, or the wall clock when paced
        arrived = time.perf_counter() - started if paced else seconds(pcm[: index + PACKET])
        for caption in captions:
            if first is None:
                first = arrived - onset
            if caption.final:
                texts.append(caption.text)
                final = arrived - offset
    for caption in recogniser.finish():
        texts.append(caption.text)
        final = final if final is not None else seconds(pcm) - offset
    return (
        first if first is not None else float("nan"),
        final if final is not None else float("nan"),
        " ".join(texts),
        time.process_time() - cpu,
    )


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=[e.name for e in ENGINES], action="append")
    parser.add_argument("--fast", action="store_true", help="no pacing")
    args = parser.parse_args()
    found = readings()
    audio = sum(seconds(r.pcm) + LEAD + 1.5 for r in found)
    for name in args.engine or [e.name for e in ENGINES]:
        warm_up(name)
        runs = [_run(name, r, not args.fast) for r in found]
        firsts = [r[0] for r in runs]
        finals = [r[1] for r in runs]
        rate = word_error_rate([r.text for r in found], [r[2] for r in runs])
        cpu = sum(r[3] for r in runs)
        print(f"engine {name}: {len(found)} readings, {audio:.1f} s of audio")
        print(
            f"  first partial words after speech starts: p50 {statistics.median(firsts):.2f} s,"
            f" p95 {_p95(firsts):.2f} s (goal p95 < 1 s)"
        )
        print(
            f"  final caption after speech ends: p50 {statistics.median(finals):.2f} s,"
            f" p95 {_p95(finals):.2f} s"
        )
        print(f"  word error rate: {rate:.1%}")
        print(f"  CPU per captioned channel: {cpu / audio:.1%} of one core")


if __name__ == "__main__":
    main()
