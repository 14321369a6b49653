"""A non-loopback address on a machine that may have none to spare (tests, CI, benchmarks).

Janus gathers ICE candidates only on interfaces that are up, running and not loopback, so
peers on the same machine cannot meet it on 127.0.0.1. :func:`ensure_host_address`
gives the machine a private address on an interface of its own: a ``dummy`` interface
where the kernel has the module, else one end of a ``veth`` pair (both ends up, so the
interface is running). Traffic between two sockets bound to that address stays inside
the machine, like loopback traffic. It needs root (``CAP_NET_ADMIN``) and ``ip``.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess

__all__ = ["HostAddressError", "ensure_host_address", "has_address"]

DEFAULT_ADDRESS = "10.77.0.1"
DEFAULT_INTERFACE = "interpreta0"


class HostAddressError(RuntimeError):
    """The address could not be added (not root, no ``ip``, no dummy or veth support)."""


def has_address(address: str) -> bool:
    """Whether a socket can be bound to ``address`` here (it is one of the machine's)."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError:
            return False
    return True


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False)


def ensure_host_address(
    address: str = DEFAULT_ADDRESS, interface: str = DEFAULT_INTERFACE, prefix: int = 24
) -> str:
    """Make ``address`` an address of this machine on ``interface``; idempotent.

    Returns ``address``.

    :raises HostAddressError: it is not there and could not be added.
    """
    if has_address(address):
        return address
    if shutil.which("ip") is None:
        raise HostAddressError("the 'ip' command (iproute2) is missing")
    if _ip("link", "show", interface).returncode != 0:
        created = _ip("link", "add", interface, "type", "dummy")
        if created.returncode != 0:
            # No dummy module (containers): one end of a veth pair does as well.
            created = _ip("link", "add", interface, "type", "veth", "peer", "name", f"{interface}p")
        if created.returncode != 0:
            raise HostAddressError(f"cannot create interface {interface}: {created.stderr.strip()}")
    steps = [
        ("addr", "replace", f"{address}/{prefix}", "dev", interface),
        ("link", "set", interface, "up"),
    ]
    if _ip("link", "show", f"{interface}p").returncode == 0:
        steps.append(("link", "set", f"{interface}p", "up"))
    for step in steps:
        result = _ip(*step)
        if result.returncode != 0:
            raise HostAddressError(f"ip {' '.join(step)}: {result.stderr.strip()}")
    if not has_address(address):
        raise HostAddressError(f"{address} was added to {interface} but cannot be bound")
    return address
