"""Join storm: N listeners press Play within W seconds, across 2 app nodes (issue 12).

Starts the cluster of ``tests/cluster/deployment.py`` (2 app nodes behind HAProxy with
TLS, balancing ``leastconn``; 2 Janus servers; Redis; PostgreSQL; each in a network
namespace) and puts the demo's German interpreter on air with a tone. Client processes
on the cluster's client host then run the listeners, their starts spread evenly over
the window. Each does what the listener page does from Play on:

1. ``GET /join/{code}`` (the page);
2. open the signaling WebSocket and join as a listener;
3. subscribe with a receive-only aiortc peer connection (its packets are counted, not
   decoded: clients that decode could not keep up here);
4. wait for the first RTP packet of the channel.

Its latency runs from the page request to that packet. Listeners stay connected until
the last has joined (and ``--hold`` seconds more), so the servers carry all of them at
the end; with ``--leave`` each leaves at its first packet instead (on one small machine
the clients' receiving competes with the servers for the same cores). It prints
p50/p95/p99/max and the failures; the goal is p95 ≤ 1.5 s with none
failed for 1,000 listeners in 10 s.

    sudo python bench/join_storm.py [--listeners 1000] [--within 10] [--processes 4]

Needs root (network namespaces), Janus, Redis, HAProxy and PostgreSQL's binaries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from aiortc import RTCPeerConnection, RTCSessionDescription

from interpreta.media.forwarder.aiortc_hooks import host_addresses, tap_receiver
from tests.cluster.deployment import Cluster, run_benchmark, wall_seconds
from tests.cluster.rejoining import interpreter_on_air
from tests.live.live_client import LiveClient


async def _listen(
    job: dict[str, Any], http: httpx.AsyncClient, context: ssl.SSLContext
) -> tuple[float, RTCPeerConnection, LiveClient]:
    """One listener's Play: its seconds from the page request to the first packet."""
    started = time.monotonic()
    page = await http.get(f"/join/{job['code']}")
    page.raise_for_status()
    client = await LiveClient.join(job["url"], job["code"], ssl=context, role="listener")
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("audio", direction="recvonly")
    first: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def on_packet(_packet: Any) -> None:
        if not first.done():
            first.set_result(time.monotonic())

    tap_receiver(transceiver.receiver, on_packet)
    with host_addresses([job["address"]]):
        await pc.setLocalDescription(await pc.createOffer())
    answer = await client.subscribe(str(job["channel"]), "", pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    arrived = await asyncio.wait_for(first, 30)
    return arrived - started, pc, client


async def _worker(job: dict[str, Any]) -> dict[str, Any]:
    """A client process's share of the listeners, each started at its moment."""
    context = ssl.create_default_context(cafile=job["ca"])
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    latencies: list[float] = []
    failures: list[str] = []
    kept: list[tuple[RTCPeerConnection, LiveClient]] = []
    async with httpx.AsyncClient(base_url=job["url"], verify=context, limits=limits) as http:

        async def one(index: int) -> None:
            delay = job["start_at"] + index * job["within"] / job["total"] - wall_seconds()
            await asyncio.sleep(max(0.0, delay))
            try:
                latency, pc, client = await _listen(job, http, context)
            except Exception as error:
                failures.append(f"{type(error).__name__}: {error}"[:200])
                return
            latencies.append(latency)
            if job["leave"]:  # the client's receiving is not part of the join path
                await pc.close()
                await client.close()
            else:
                kept.append((pc, client))

        await asyncio.gather(*(one(i) for i in job["indices"]))
        end = job["start_at"] + job["within"] + job["hold"]
        await asyncio.sleep(max(0.0, end - wall_seconds()))
        for pc, client in kept:
            await pc.close()
            await client.close()
    return {"latencies": latencies, "failures": failures}


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user and system) a process has used so far."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(cluster: Cluster) -> dict[str, float]:
    """CPU seconds used so far by the app nodes and the Janus servers."""
    servers = {name: node.pid for name, node in cluster.nodes.items()}
    servers |= {name: janus.pid for name, janus in cluster.janus.items()}
    return {name: cpu_seconds(pid) for name, pid in servers.items()}


async def _storm(cluster: Cluster, arguments: argparse.Namespace) -> dict[str, Any]:
    context = ssl.create_default_context(cafile=str(cluster.ca))
    dora = await interpreter_on_air(cluster, context)
    assert dora.client is not None
    channel = dora.client.welcome["state"]["booth"]["channel_id"]
    start_at = wall_seconds() + 3 + arguments.processes  # after the workers have started
    shares = [
        list(range(n, arguments.listeners, arguments.processes)) for n in range(arguments.processes)
    ]
    workers = []
    for share in shares:
        job = {
            "url": cluster.url,
            "ca": str(cluster.ca),
            "code": cluster.event_code,
            "channel": channel,
            "address": cluster.client.address,
            "indices": share,
            "total": arguments.listeners,
            "within": arguments.within,
            "hold": arguments.hold,
            "leave": arguments.leave,
            "start_at": start_at,
        }
        workers.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                json.dumps(job),
                stdout=subprocess.PIPE,
            )
        )
    before = server_cpu(cluster)
    results = [json.loads((await w.communicate())[0]) for w in workers]
    after = server_cpu(cluster)
    await dora.close()
    latencies = sorted(x for r in results for x in r["latencies"])
    failures = [f for r in results for f in r["failures"]]
    if arguments.logs:
        for node in cluster.nodes.values():
            shutil.copy(node.log, Path(arguments.logs) / node.log.name)
    cpu = {name: after[name] - before[name] for name in before}
    return {"latencies": latencies, "failures": failures, "cpu": cpu}


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", type=int, default=1000)
    parser.add_argument("--within", type=float, default=10.0, help="seconds of the storm")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds all stay at the end")
    parser.add_argument(
        "--leave",
        action="store_true",
        help="each listener leaves at its first packet (clients and servers share this "
        "machine's cores: receiving 50 packets/s per listener in Python costs the clients "
        "more than the servers)",
    )
    parser.add_argument("--logs", help="a folder to copy the app nodes' logs into")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        print(json.dumps(asyncio.run(_worker(json.loads(arguments.worker)))))
        return
    figures = run_benchmark("join-storm", lambda cluster: _storm(cluster, arguments))
    latencies, failures = figures["latencies"], figures["failures"]
    print(
        f"join storm: {arguments.listeners} listeners within {arguments.within:g} s, "
        f"{arguments.processes} client processes, 2 app nodes, 2 Janus"
        + (", each leaving at its first packet" if arguments.leave else ", all staying")
    )
    if len(latencies) >= 2:
        print(
            f"  page → first packet: p50 {_quantile(latencies, 0.5):.3f} s, "
            f"p95 {_quantile(latencies, 0.95):.3f} s, p99 {_quantile(latencies, 0.99):.3f} s, "
            f"max {latencies[-1]:.3f} s"
        )
    print(f"  joined {len(latencies)}, failed {len(failures)}")
    cpu = figures["cpu"]
    joined = max(1, len(latencies))
    print(
        "  server CPU over the storm: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cpu.items())
        + f"; per join: app nodes {1000 * (cpu['app1'] + cpu['app2']) / joined:.1f} ms, "
        f"Janus {1000 * (cpu['janus1'] + cpu['janus2']) / joined:.1f} ms"
    )
    for failure in sorted(set(failures))[:5]:
        print(f"    {failure}")
    ok = not failures and len(latencies) >= 2 and _quantile(latencies, 0.95) <= 1.5
    print(f"  goal p95 ≤ 1.5 s with 0 failures: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
