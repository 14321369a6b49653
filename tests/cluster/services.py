"""The cluster's servers, each started on its host (a network namespace).

PostgreSQL and Redis on a database host, Janus on media hosts, app nodes (``interpreta
serve``) and HAProxy terminating TLS in front of them. Their readiness is checked over
the private network, so the code starting them runs inside a host of it (see
:meth:`~tests.cluster.netns.Host.run`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from interpreta.child_process import ChildServer, end_process, port_open
from tests.cluster.netns import Host

__all__ = ["AppNode", "Balancer", "PrivatePostgres", "wait_for_port"]

POSTGRES_PORT = 5432
APP_PORT = 8000
BALANCER_PORT = 443


def wait_for_port(
    address: str,
    port: int,
    process: subprocess.Popen[bytes],
    what: str,
    log: Path,
    timeout: float = 30,
) -> None:
    """Wait until `address`:`port` accepts connections; fail (with the end of its `log`)
    if `process` exits first or takes longer than `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not port_open(address, port):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            end_process(process)
            raise RuntimeError(f"{what} did not listen on {address}:{port}:\n{tail}")
        time.sleep(0.05)


def _postgres_binaries() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed")
    return versions[-1].parent


def _as_postgres(arguments: list[str]) -> list[str]:
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *arguments]


class PrivatePostgres(ChildServer):
    """A PostgreSQL cluster of its own on `host`, made for this run (fsync off: a test),
    in a folder of its own (the postgres user cannot enter the test's)."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self._folder = Path(tempfile.mkdtemp(prefix="interpreta-postgres-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where the app nodes connect."""
        return f"postgresql://postgres@{self.host.address}:{POSTGRES_PORT}/postgres"

    def start(self) -> None:
        """Make the cluster (``initdb``), start it, and wait until it listens."""
        binaries = _postgres_binaries()
        shutil.chown(self._folder, "postgres", "postgres")
        data = self._folder / "data"
        initdb = [str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        subprocess.run(
            _as_postgres([*initdb, "--no-sync", "-E", "UTF8"]),
            check=True,
            capture_output=True,
        )
        with (data / "pg_hba.conf").open("a") as rules:
            rules.write(f"host all all {self.host.address}/24 trust\n")
        settings = {
            "listen_addresses": self.host.address,
            "unix_socket_directories": str(self._folder),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        command = [str(binaries / "postgres"), "-D", str(data)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        log = self._folder / "postgres.log"
        self._process = subprocess.Popen(
            self.host.command(_as_postgres(command)),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.host.address, POSTGRES_PORT, self._process, "PostgreSQL", log)

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        process, self._process = self._process, None
        end_process(process)
        shutil.rmtree(self._folder, ignore_errors=True)


class AppNode(ChildServer):
    """One app node, ``interpreta serve`` on `host`, with the cluster's settings."""

    def __init__(
        self, host: Host, name: str, settings: dict[str, str], folder: Path, *, demo: bool
    ) -> None:
        self.host = host
        self.name = name
        self._settings = settings
        self._folder = folder
        self._demo = demo
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        """What the node printed."""
        return self._folder / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        """The node's process id while it runs."""
        return None if self._process is None else self._process.pid

    @property
    def address(self) -> str:
        """Where the balancer reaches it."""
        return f"{self.host.address}:{APP_PORT}"

    def start(self) -> None:
        """Start the node and wait until it listens."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("INTERPRETA_")}
        environment |= self._settings | {"INTERPRETA_NODE_NAME": self.name}
        command = [sys.executable, "-m", "interpreta", "serve", "--host", self.host.address]
        command += ["--port", str(APP_PORT)] + (["--demo"] if self._demo else [])
        self._process = subprocess.Popen(
            self.host.command(command),
            env=environment,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.host.address, APP_PORT, self._process, f"node {self.name}", self.log)

    def kill(self) -> None:
        """``kill -9``: the node dies as a machine would, without closing anything."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()

    def stop(self) -> None:
        """Stop the node politely."""
        process, self._process = self._process, None
        end_process(process)


class Balancer(ChildServer):
    """HAProxy on `host`: TLS for the clients, health-checked app nodes behind it.

    ``balance first`` (the default here) sends every client to the first healthy node,
    so a test knows which node to kill; production balances with ``leastconn``
    (docs/deployment.md), as the benchmarks do.
    """

    def __init__(
        self,
        host: Host,
        nodes: list[AppNode],
        certificate: Path,
        folder: Path,
        *,
        balance: str = "first",
    ):
        """
        :param certificate: the certificate and its key, in one PEM file.
        :param balance: HAProxy's ``balance`` algorithm.
        """
        self.host = host
        self._balance = balance
        self._nodes = nodes
        self._certificate = certificate
        self._folder = folder
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where clients connect."""
        return f"https://{self.host.address}:{BALANCER_PORT}"

    def config(self) -> str:
        """The HAProxy configuration."""
        servers = "\n".join(
            f"    server {node.name} {node.address} maxconn 5000" for node in self._nodes
        )
        return f"""global
    maxconn 8000
defaults
    mode http
    timeout connect 1s
    timeout check 2s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    retries 3
    option redispatch 1
frontend clients
    bind {self.host.address}:{BALANCER_PORT} ssl crt {self._certificate}
    http-request set-header X-Forwarded-Proto https
    option forwardfor
    default_backend nodes
backend nodes
    balance {self._balance}
    option httpchk
    http-check send meth GET uri /health hdr X-Forwarded-Proto https
    http-check expect status 200
    default-server check inter 500ms fall 3 rise 2
{servers}
"""

    def start(self) -> None:
        """Write the configuration, start HAProxy, and wait until it listens."""
        path = self._folder / "haproxy.cfg"
        path.write_text(self.config())
        log = self._folder / "haproxy.log"
        self._process = subprocess.Popen(
            self.host.command(["haproxy", "-f", str(path), "-db"]),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.host.address, BALANCER_PORT, self._process, "HAProxy", log)

    def stop(self) -> None:
        """Stop HAProxy."""
        process, self._process = self._process, None
        end_process(process)
