"""A whole deployment on this machine: 2 app nodes behind HAProxy (TLS), 2 Janus servers
(a fleet), Redis and PostgreSQL, each on its own host, a network namespace (see
:mod:`tests.cluster.netns`).

The clients run on a host of the same network, so every byte between them and the
cluster crosses the private bridge, as between machines. The app nodes are ``interpreta
serve`` processes (the first seeds the demo event), so a test can ``kill -9`` one.
The cluster tests and the cluster benchmarks (``bench/join_storm.py``,
``bench/node_kill.py``) start it with :func:`deployment`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from interpreta.bus.redis_process import RedisProcess, redis_binary
from interpreta.clock import SystemClock
from interpreta.media.janus.process import JanusProcess, janus_binary
from tests.certificates import self_signed
from tests.cluster.netns import Host, Network, namespaces_available
from tests.cluster.services import AppNode, Balancer, PrivatePostgres

__all__ = ["Cluster", "deployment", "missing_tools", "run_benchmark", "wall_seconds"]

T = TypeVar("T")

JANUS_RECLAIM_SECONDS = 20
"How long a dead app node's Janus sessions (and their media) outlive it."


def wall_seconds() -> float:
    """Seconds since the epoch, on the platform's system clock: the moments the cluster
    benchmarks' processes agree on (a monotonic clock is per process)."""
    return SystemClock().now().timestamp()


def missing_tools() -> str | None:
    """What this machine lacks to run the cluster (None: nothing)."""
    if not namespaces_available():
        return "network namespaces need root and iproute2"
    for tool, found in (
        ("janus", janus_binary()),
        ("redis-server", redis_binary()),
        ("haproxy", shutil.which("haproxy")),
        ("setpriv", shutil.which("setpriv")),
    ):
        if found is None:
            return f"{tool} is not installed"
    return None


@dataclass
class Cluster:
    """The running deployment, as the tests see it."""

    client: Host
    "The host the test's clients run on (call its ``run``)."
    url: str
    "The balancer's HTTPS address."
    ca: Path
    "The certificate clients trust."
    nodes: dict[str, AppNode]
    janus: dict[str, JanusProcess]
    event_code: str
    "The demo event's code."


def _demo_code(node: AppNode) -> str:
    found = re.search(r"demo event code: (\S+)", node.log.read_text(errors="replace"))
    assert found, f"no demo event code in {node.log}"
    return found.group(1)


@contextmanager
def deployment(folder: Path, *, balance: str = "first") -> Iterator[Cluster]:
    """The deployment, started on its hosts in `folder`, torn down on exit.

    :param balance: HAProxy's algorithm: ``first`` (every client on the first node, so a
        test knows which to kill) or ``leastconn`` (as in production).
    """
    tmp_path = folder
    shared = tmp_path / "shared-data"
    network = Network(f"ip{os.getpid() % 10000}")
    with network.running():
        db = network.add("db")
        media = {name: network.add(name) for name in ("janus1", "janus2")}
        hosts = {name: network.add(name) for name in ("app1", "app2")}
        lb, client = network.add("lb"), network.add("client")
        certificate, key = self_signed(tmp_path, "interpreta.test", lb.address)
        bundle = tmp_path / "balancer.pem"
        bundle.write_bytes(certificate.read_bytes() + key.read_bytes())
        postgres = PrivatePostgres(db)
        redis = RedisProcess(host=db.address, port=6379, launcher=db.command([]))
        janus = {
            name: JanusProcess(
                ice_address=host.address,
                api_address=host.address,
                reclaim_session_timeout=JANUS_RECLAIM_SECONDS,
                launcher=host.command([]),
                debug_level=2,
            )
            for name, host in media.items()
        }
        balancer_url = f"https://{lb.address}"
        settings = {
            "INTERPRETA_DATA_DIR": str(shared),
            "INTERPRETA_REDIS_URL": f"redis://{db.address}:6379/0",
            "INTERPRETA_RATE_LIMIT_STORAGE": f"redis://{db.address}:6379/1",
            "INTERPRETA_MEDIA_BACKEND": "janus",
            "INTERPRETA_TLS_PROXY": "true",
            "INTERPRETA_FORWARDED_ALLOW_IPS": lb.address,
            "INTERPRETA_PUBLIC_URL": balancer_url,
        }
        nodes = {
            name: AppNode(host, name, settings, tmp_path, demo=name == "app1")
            for name, host in hosts.items()
        }
        balancer = Balancer(lb, list(nodes.values()), bundle, tmp_path, balance=balance)
        started: list[object] = []

        def start() -> None:
            for server in (postgres, redis, *janus.values()):
                server.start()
                started.append(server)
            settings["INTERPRETA_DATABASE_URL"] = postgres.url
            settings["INTERPRETA_JANUS_URL"] = ",".join(j.url for j in janus.values())
            for node in nodes.values():  # one by one: the first migrates and seeds
                node.start()
                started.append(node)
            balancer.start()
            started.append(balancer)

        def stop() -> None:
            for server in reversed(started):
                server.stop()  # type: ignore[attr-defined]

        try:
            client.run(start)
            yield Cluster(
                client, balancer_url, certificate, nodes, janus, _demo_code(nodes["app1"])
            )
        finally:
            client.run(stop)


def run_benchmark(name: str, work: Callable[[Cluster], Coroutine[Any, Any, T]]) -> T:
    """Start the cluster (HAProxy balancing ``leastconn``, as in production), run `work`
    on its client host, and stop the cluster: also when the benchmark is stopped
    (SIGTERM from ``timeout`` or ``kill``), so no namespace or server outlives it."""
    missing = missing_tools()
    if missing is not None:
        sys.exit(f"cannot run the cluster: {missing}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # through the with-block
    with (
        tempfile.TemporaryDirectory(prefix=f"{name}-") as folder,
        deployment(Path(folder), balance="leastconn") as cluster,
    ):
        return cluster.client.run(lambda: asyncio.run(work(cluster)))
