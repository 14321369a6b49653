"""Network namespaces for a cluster that runs on one machine (Linux, as root).

A :class:`Network` is one private subnet: a bridge in a namespace of its own, and a
namespace per host, joined to the bridge by a veth pair. Traffic between the hosts
stays on that bridge; nothing reaches the machine's own interfaces, and each host has
its own loopback (Janus, which skips loopback ICE candidates, gathers on the host's
bridge address as on a real machine).

A process is started on a host through :meth:`Host.command` (``ip netns exec``). Code in
this process reaches the hosts from a thread that entered a host's namespace
(:meth:`Host.run`): ``setns(2)`` moves only the calling thread, and the processes that
thread starts are born in its namespace.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = ["Host", "Network", "namespaces_available"]

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _ip(*arguments: str) -> None:
    subprocess.run(["ip", *arguments], check=True, capture_output=True)


def namespaces_available() -> bool:
    """Whether this process may make network namespaces (root, with ``ip``)."""
    if os.geteuid() != 0:
        return False
    name = f"probe{os.getpid()}"
    try:
        _ip("netns", "add", name)
    except (OSError, subprocess.CalledProcessError):
        return False
    _ip("netns", "del", name)
    return True


@dataclass(frozen=True)
class Host:
    """One machine of the cluster: a network namespace with one address."""

    namespace: str
    address: str

    def command(self, arguments: list[str]) -> list[str]:
        """`arguments` run on this host."""
        return ["ip", "netns", "exec", self.namespace, *arguments]

    def run(self, work: Callable[[], T]) -> T:
        """Call `work` in a thread inside this host's namespace; its result or error."""
        outcome: list[T] = []
        failure: list[BaseException] = []

        def inside() -> None:
            fd = os.open(f"/var/run/netns/{self.namespace}", os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns failed")
            finally:
                os.close(fd)
            try:
                outcome.append(work())
            except BaseException as error:  # handed to the caller
                failure.append(error)

        thread = threading.Thread(target=inside, name=f"in-{self.namespace}")
        thread.start()
        thread.join()
        if failure:
            raise failure[0]
        return outcome[0]


@dataclass
class Network:
    """A private /24 with a bridge; :meth:`add` makes hosts on it."""

    prefix: str
    "Short and unique per run: namespace and interface names start with it."
    subnet: str = "10.231.0"
    hosts: dict[str, Host] = field(default_factory=dict)

    @property
    def _switch(self) -> str:
        return f"{self.prefix}sw"

    def start(self) -> None:
        """Make the bridge's namespace."""
        _ip("netns", "add", self._switch)
        self._in(self._switch, "link", "add", "br0", "type", "bridge")
        self._in(self._switch, "link", "set", "br0", "up")

    def add(self, name: str) -> Host:
        """A new host, on the next address of the subnet."""
        number = len(self.hosts) + 2
        host = Host(f"{self.prefix}{name}", f"{self.subnet}.{number}")
        _ip("netns", "add", host.namespace)
        inner, outer = f"{self.prefix}{number}i", f"{self.prefix}{number}o"
        _ip("link", "add", inner, "type", "veth", "peer", "name", outer)
        _ip("link", "set", inner, "netns", host.namespace)
        _ip("link", "set", outer, "netns", self._switch)
        self._in(self._switch, "link", "set", outer, "master", "br0", "up")
        self._in(host.namespace, "link", "set", "lo", "up")
        self._in(host.namespace, "link", "set", inner, "name", "eth0")
        self._in(host.namespace, "addr", "add", f"{host.address}/24", "dev", "eth0")
        self._in(host.namespace, "link", "set", "eth0", "up")
        self.hosts[name] = host
        return host

    def stop(self) -> None:
        """Remove every namespace (their interfaces go with them)."""
        for host in self.hosts.values():
            subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True)
        subprocess.run(["ip", "netns", "del", self._switch], capture_output=True)
        self.hosts.clear()

    @staticmethod
    def _in(namespace: str, *arguments: str) -> None:
        _ip("-n", namespace, *arguments)

    @contextmanager
    def running(self) -> Iterator[Network]:
        """The network for a ``with`` block."""
        self.start()
        try:
            yield self
        finally:
            self.stop()
