"""What a listener hears at a handover, on the embedded plane and on Janus.

Two booth mates publish tones (500 Hz and 1500 Hz) to one channel; one listener (a real
aiortc peer that decodes) listens. ``--handovers`` times, the source changes to the
other booth mate. For each handover it measures:

* ``set_source``: how long the call took (Janus: stopping one forwarder, starting one);
* ``heard``: from the call to the first of three decoded frames of the new tone;
* ``gap``: the longest time without an RTP packet at the listener within 0.5 s of it;
* ``ts step``: the RTP timestamp step at the switch, in ms, against the arrival gap;
* sequence numbers and SSRC: one stream, consecutive numbers, for the whole run.

Janus runs on a generated configuration, its peers on a private address (needs root).
Run from the repository root::

    PYTHONPATH=src python bench/media_handover.py --handovers 20
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interpreta.media.forwarder import EmbeddedMediaPlane
from interpreta.media.janus import JanusMediaPlane
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess
from interpreta.media.plane import MediaPlane
from tests.media.media_testkit import LOOPBACK, start_publisher, start_subscriber

__all__ = ["main", "measure"]

TONES = (500.0, 1500.0)


async def measure(plane: MediaPlane, addresses: tuple[str, ...], handovers: int) -> list[str]:
    """Run the handovers on ``plane``; the report's lines."""
    await plane.open_channel("ch")
    mates = [
        await start_publisher(plane, "ch", f"mate-{i}", tone, addresses=addresses)
        for i, tone in enumerate(TONES)
    ]
    await plane.set_source("ch", "mate-0")
    listener = await start_subscriber(plane, "ch", "listener", addresses=addresses)
    await listener.wait_for_tone(TONES[0])
    calls, heard, gaps, steps = [], [], [], []
    for n in range(1, handovers + 1):
        await asyncio.sleep(0.6)
        switched = time.monotonic()
        await plane.set_source("ch", f"mate-{n % 2}")
        calls.append(time.monotonic() - switched)
        heard.append(await listener.wait_for_tone(TONES[n % 2], after=switched) - switched)
        await asyncio.sleep(0.5)
        window = [r for r in listener.rtp if switched - 0.5 <= r[0] <= switched + 0.5]
        pairs = list(itertools.pairwise(window))
        gap, step = max(((b[0] - a[0], (b[2] - a[2]) & 0xFFFFFFFF) for a, b in pairs))
        gaps.append(gap)
        steps.append((step / 48, 1000 * gap))
    rtp = listener.rtp
    ssrcs = len({r[3] for r in rtp})
    jumps = sum(1 for a, b in itertools.pairwise(rtp) if (b[1] - a[1]) & 0xFFFF != 1)
    await listener.close()
    for mate in mates:
        await mate.close()
    await plane.shutdown()

    def ms(values: list[float]) -> str:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        p50, worst = statistics.median(values), max(values)
        return f"p50 {1000 * p50:6.1f}  p95 {1000 * p95:6.1f}  max {1000 * worst:6.1f} ms"

    worst = max(steps, key=lambda s: s[1])
    return [
        f"  set_source  {ms(calls)}",
        f"  heard       {ms(heard)}",
        f"  gap         {ms(gaps)}",
        f"  ts step at the longest gap: {worst[0]:.1f} ms for {worst[1]:.1f} ms of arrival gap",
        f"  {len(rtp)} packets, {ssrcs} SSRC, {jumps} sequence jumps",
    ]


async def _run(args: argparse.Namespace) -> None:
    if "embedded" in args.backends:
        print("embedded:")
        plane = EmbeddedMediaPlane(host_addresses=LOOPBACK)
        print("\n".join(await measure(plane, LOOPBACK, args.handovers)), flush=True)
    if "janus" in args.backends:
        address = ensure_host_address()
        with JanusProcess(ice_address=address, debug_level=2) as janus:
            print("janus:")
            janus_plane = JanusMediaPlane(janus.url)
            print("\n".join(await measure(janus_plane, (address,), args.handovers)), flush=True)


def main(argv: list[str] | None = None) -> None:
    """Measure handovers on the chosen backends and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--handovers", type=int, default=20)
    parser.add_argument("--backends", type=lambda t: t.split(","), default=["embedded", "janus"])
    asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
