"""Node kill: ``kill -9`` an app node, then a Janus server, under N listeners (issue 12).

Starts the cluster of ``tests/cluster/deployment.py`` (2 app nodes behind HAProxy with
TLS, balancing ``leastconn``; 2 Janus servers; Redis; PostgreSQL; each in a network
namespace) and puts the demo's German interpreter on air with a tone. The listeners
join (client processes on the cluster's client host) and behave as the listener page
does: on a dropped socket they rejoin through the balancer (after 300 ms, then backing
off), on ``media.lost`` they subscribe again, and they make each new subscription
before closing the old one. Their packets are counted, not decoded.

Then, at fixed times, the benchmark kills the app node the interpreter is on (the
first: HAProxy's ``leastconn`` gave it the first connection), and later the second
Janus server. For the listeners each kill touched it prints:

* **app node**: seconds from the kill to their new welcome (p50/p95/max), and the
  longest silence each heard around it;
* **Janus**: seconds from the kill to the first packet of their new subscription;

and whether the interpreter stayed on air throughout (no microphone lost). Goals:
p95 reconnect ≤ 3 s, no microphone lost, no listener action needed.

    sudo python bench/node_kill.py [--listeners 200] [--processes 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import ssl
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiortc import RTCPeerConnection, RTCSessionDescription

from interpreta.media.forwarder.aiortc_hooks import host_addresses, tap_receiver
from tests.cluster.deployment import Cluster, run_benchmark, wall_seconds
from tests.cluster.rejoining import Rejoining, interpreter_on_air

JOIN_S = 10.0
"Seconds over which the listeners join."
SETTLE_S = 8.0
"Seconds between the last join and the app node's kill, and between the two kills."
AFTER_S = 10.0
"Seconds watched after the Janus kill."


@dataclass
class CountingEar:
    """A listener's media without decoding: every packet's arrival (wall clock), and
    when each subscription got its first."""

    address: str
    channel_id: int
    arrivals: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)
    pcs: list[RTCPeerConnection] = field(default_factory=list)

    async def subscribe(self, session: Rejoining, _again: bool) -> None:
        """Subscribe anew; close the old peer connection once the new one receives."""
        assert session.client is not None
        pc = RTCPeerConnection()
        transceiver = pc.addTransceiver("audio", direction="recvonly")
        first = asyncio.get_running_loop().create_future()

        def on_packet(_packet: Any) -> None:
            now = wall_seconds()
            self.arrivals.append(now)
            if not first.done():
                first.set_result(now)

        tap_receiver(transceiver.receiver, on_packet)
        with host_addresses([self.address]):
            await pc.setLocalDescription(await pc.createOffer())
        answer = await session.client.subscribe(str(self.channel_id), "", pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        self.pcs.append(pc)
        try:
            self.firsts.append(await asyncio.wait_for(first, 5))
        except TimeoutError:
            return
        for old in self.pcs[:-1]:
            await old.close()
        del self.pcs[:-1]

    async def close(self) -> None:
        for pc in self.pcs:
            await pc.close()


def _longest_gap(arrivals: list[float], start: float, end: float) -> float:
    window = [a for a in sorted(arrivals) if start <= a <= end]
    if len(window) < 2:
        return end - start
    return max(b - a for a, b in itertools.pairwise(window))


async def _worker(job: dict[str, Any]) -> list[dict[str, Any]]:
    """A client process's share of the listeners: join, stay through both kills, report."""
    context = ssl.create_default_context(cafile=job["ca"])
    app_kill, janus_kill = job["app_kill"], job["janus_kill"]
    listeners: list[tuple[Rejoining, CountingEar]] = []

    async def one(index: int) -> None:
        await asyncio.sleep(
            max(0.0, job["start_at"] + index * JOIN_S / job["total"] - wall_seconds())
        )
        ear = CountingEar(job["address"], job["channel"])
        session = Rejoining(
            job["url"], job["code"], {"role": "listener"}, context, on_welcome=ear.subscribe
        )
        try:
            await session.start()
        except Exception as error:
            session.errors.append(error)
        listeners.append((session, ear))

    await asyncio.gather(*(one(i) for i in job["indices"]))
    await asyncio.sleep(max(0.0, janus_kill + AFTER_S - wall_seconds()))
    report = []
    for session, ear in listeners:
        wall = wall_seconds() - time.monotonic()  # Rejoining records monotonic times
        drops = [d + wall for d in session.drops]
        welcomes = [w + wall for w in session.welcomes]
        losses = [loss + wall for loss in session.losses]
        dropped = [d for d in drops if app_kill <= d <= janus_kill]
        rejoined = [w for w in welcomes if w > app_kill]
        lost = [x for x in losses if x >= janus_kill]
        heard_again = [f for f in ear.firsts if f > janus_kill]
        report.append(
            {
                "errors": [repr(e)[:200] for e in session.errors],
                "dropped": bool(dropped),
                "reconnect": (rejoined[0] - app_kill) if dropped and rejoined else None,
                "app_gap": _longest_gap(ear.arrivals, app_kill - 1, app_kill + SETTLE_S - 1),
                "lost": bool(lost),
                "janus_heard": (heard_again[0] - janus_kill) if lost and heard_again else None,
                "janus_gap": _longest_gap(ear.arrivals, janus_kill - 1, janus_kill + AFTER_S - 1),
            }
        )
    closing = [c for session, ear in listeners for c in (session.close(), ear.close())]
    with contextlib.suppress(TimeoutError):  # a socket to a dead node may never answer
        await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), 15)
    return report


async def _run(cluster: Cluster, arguments: argparse.Namespace) -> dict[str, Any]:
    context = ssl.create_default_context(cafile=str(cluster.ca))
    dora = await interpreter_on_air(cluster, context)
    assert dora.client is not None
    channel = dora.client.welcome["state"]["booth"]["channel_id"]
    dora_key = dora.client.welcome["participant"]
    start_at = wall_seconds() + 3 + arguments.processes
    app_kill = start_at + JOIN_S + SETTLE_S
    janus_kill = app_kill + SETTLE_S
    count, processes = arguments.listeners, arguments.processes
    workers = []
    for n in range(processes):
        job = {
            "url": cluster.url,
            "ca": str(cluster.ca),
            "code": cluster.event_code,
            "channel": channel,
            "address": cluster.client.address,
            "indices": list(range(n, count, processes)),
            "total": count,
            "start_at": start_at,
            "app_kill": app_kill,
            "janus_kill": janus_kill,
        }
        workers.append(
            await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--worker", json.dumps(job), stdout=subprocess.PIPE
            )
        )
    await asyncio.sleep(app_kill - wall_seconds())
    cluster.nodes["app1"].kill()
    await asyncio.sleep(janus_kill - wall_seconds())
    cluster.janus["janus2"].kill()
    results = [json.loads((await w.communicate())[0]) for w in workers]
    states_after = [s for at, s in dora.states if at + wall_seconds() - time.monotonic() > app_kill]
    mic_kept = all(s["booth"]["on_air"] == dora_key for s in states_after)
    await dora.close()
    return {
        "listeners": [x for r in results for x in r],
        "mic_kept": mic_kept,
        "dora_rejoined": len(dora.welcomes) > 1,
    }


def _figures(values: list[float]) -> str:
    if not values:
        return "none"
    values = sorted(values)
    p95 = (
        statistics.quantiles(values, n=100, method="inclusive")[94]
        if len(values) > 1
        else values[0]
    )
    return f"p50 {statistics.median(values):.3f} s, p95 {p95:.3f} s, max {values[-1]:.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        print(json.dumps(asyncio.run(_worker(json.loads(arguments.worker)))))
        return
    figures = run_benchmark("node-kill", lambda cluster: _run(cluster, arguments))
    listeners = figures["listeners"]
    errors = [e for x in listeners for e in x["errors"]]
    dropped = [x for x in listeners if x["dropped"]]
    lost = [x for x in listeners if x["lost"]]
    print(f"node kill: {len(listeners)} listeners, 2 app nodes, 2 Janus")
    print(f"  app node killed: {len(dropped)} listeners dropped")
    reconnects = [x["reconnect"] for x in dropped if x["reconnect"] is not None]
    print(f"    reconnect (kill → welcome): {_figures(reconnects)}")
    print(f"    longest silence each heard: {_figures([x['app_gap'] for x in dropped])}")
    print(f"    not back: {sum(1 for x in dropped if x['reconnect'] is None)}")
    print(f"  Janus killed: {len(lost)} listeners lost their media")
    heard = [x["janus_heard"] for x in lost if x["janus_heard"] is not None]
    print(f"    heard again (kill → first packet): {_figures(heard)}")
    print(f"    not back: {sum(1 for x in lost if x['janus_heard'] is None)}")
    print(
        f"  interpreter rejoined: {figures['dora_rejoined']}, stayed on air: {figures['mic_kept']}"
    )
    print(f"  client errors: {len(errors)}")
    for error in sorted(set(errors))[:5]:
        print(f"    {error}")


if __name__ == "__main__":
    main()
