"""Machine interpretation benchmark: the delay from the end of a spoken English sentence
to the start of its synthetic speech in another language.

Each LibriVox reading of Debian's ``pocketsphinx-testdata`` is streamed to the caption
engine in 20 ms packets at the pace they would arrive live; each final caption is
translated by Apertium and spoken by espeak-ng as it comes. The delay counts from the
last sound of the sentence to the moment its translation's audio is ready to send. It
prints p50 and p95 per target language (the goal is p95 under 3 s; KUDO advertises 3 to
6 s), and where the time goes.

    python bench/machine_interpretation.py [--target it] [--engine whisper]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.captions import LEAD, PACKET, _p95, _sounding, warm_up
from interpreta.speech.engines import ENGINES, engine_for
from interpreta.speech.interpretation import MachineInterpreter, languages
from interpreta.speech.pcm import RATE, SAMPLE_BYTES
from interpreta.speech.recognition import Caption
from tests.speech.conftest import Reading, readings, silence


def _run(engine: str, target: str, reading: Reading) -> tuple[float, float, float]:
    """(delay to the synthetic speech, of which recognition, of which translation and
    speech) for the reading's last sentence."""
    recogniser = engine_for("en", engine).start()
    interpreter = MachineInterpreter("en", target)
    pcm = silence(LEAD) + reading.pcm + silence(2.0)
    offset = LEAD + _sounding(reading.pcm)[1]
    delays: list[tuple[float, float, float]] = []
    started = time.perf_counter()

    def render(captions: list[Caption]) -> None:
        for caption in captions:
            if caption.final and caption.text:
                heard = time.perf_counter() - started
                interpreter.render(caption)
                ready = time.perf_counter() - started
                delays.append((ready - offset, heard - offset, ready - heard))

    for index in range(0, len(pcm), PACKET):
        wait = started + (index + PACKET) / (RATE * SAMPLE_BYTES) - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        render(recogniser.feed(pcm[index : index + PACKET]))
    render(recogniser.finish())
    if not delays:
        raise SystemExit(f"no final caption for {reading.name}")
    return delays[-1]  # the sentence that ends with the reading


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=sorted(languages("en")), action="append")
    parser.add_argument("--engine", choices=[e.name for e in ENGINES], default=ENGINES[0].name)
    args = parser.parse_args()
    found = readings()
    warm_up(args.engine)
    for target in args.target or ["it", "es"]:
        runs = [_run(args.engine, target, r) for r in found]
        total = [r[0] for r in runs]
        print(f"en -> {target} ({args.engine}, Apertium, espeak-ng), {len(found)} sentences:")
        print(
            f"  end of sentence to synthetic speech: p50 {statistics.median(total):.2f} s,"
            f" p95 {_p95(total):.2f} s (goal p95 < 3 s)"
        )
        print(
            f"  of which recognition p50 {statistics.median(r[1] for r in runs):.2f} s,"
            f" translation and speech p50 {statistics.median(r[2] for r in runs):.2f} s"
        )


if __name__ == "__main__":
    main()
