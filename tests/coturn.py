"""A real coturn (Debian's ``coturn``, ``/usr/bin/turnserver``) for the tests.

``TurnServer`` starts ``turnserver`` in the foreground with a generated configuration:
the TURN REST scheme (``use-auth-secret``, ``static-auth-secret``), plain UDP and TCP on
one address and a free port, no TLS, no CLI, and its database, pid file and log in a
temporary folder, nothing in system folders.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from ipaddress import ip_address
from pathlib import Path

import pytest

from interpreta.child_process import ChildServer, end_process, port_open

REALM = "interpreta.test"


def turnserver_binary() -> str | None:
    """The path of ``turnserver``, ``None`` if coturn is not installed."""
    return shutil.which("turnserver")


def require_turnserver() -> None:
    """Skip the calling test when coturn is missing."""
    if turnserver_binary() is None:
        pytest.skip("coturn is not installed (Debian package 'coturn'; scripts/test installs it)")


def _free_port(address: str) -> int:
    """A port free for both UDP and TCP on ``address`` (TURN listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((address, 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((address, port))
                except OSError:
                    continue
            return port


class TurnServer(ChildServer):
    """coturn in a child process, on ``address`` (listening and relaying), with a secret.

    Use as a context manager. :attr:`url` is its ``turn:`` URL (UDP), :attr:`secret` the
    shared secret to compute credentials with.
    """

    def __init__(self, address: str = "127.0.0.1", *, relay_ports: tuple[int, int] | None = None):
        found = turnserver_binary()
        if found is None:
            raise RuntimeError("coturn is not installed (Debian package 'coturn')")
        self._binary = found
        self.address = address
        self.secret = secrets.token_urlsafe(24)
        self.port = 0
        self._relay_ports = relay_ports
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's ``turn:`` URL over UDP."""
        return f"turn:{self.address}:{self.port}?transport=udp"

    @property
    def log(self) -> str:
        """What coturn has logged so far."""
        assert self._folder is not None
        path = Path(self._folder.name) / "turn.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, timeout: float = 10.0) -> None:
        """Write the configuration, start coturn and wait until it accepts connections."""
        self._folder = tempfile.TemporaryDirectory(prefix="interpreta-coturn-")
        folder = Path(self._folder.name)
        self.port = _free_port(self.address)
        lines = [
            f"listening-ip={self.address}",
            f"relay-ip={self.address}",
            f"listening-port={self.port}",
            "use-auth-secret",
            f"static-auth-secret={self.secret}",
            f"realm={REALM}",
            "fingerprint",
            "no-tls",
            "no-dtls",
            "no-cli",
            "no-multicast-peers",
            "no-software-attribute",
            f"userdb={folder / 'turndb'}",
            f"pidfile={folder / 'turnserver.pid'}",
            f"log-file={folder / 'turn.log'}",
            "simple-log",
            "no-stdout-log",
        ]
        if self._relay_ports is not None:
            lines += [f"min-port={self._relay_ports[0]}", f"max-port={self._relay_ports[1]}"]
        if ip_address(self.address).is_loopback:
            lines.append("allow-loopback-peers")  # the media plane is on loopback too
        config = folder / "turnserver.conf"
        config.write_text("\n".join(lines) + "\n")
        config.chmod(0o600)
        self._process = subprocess.Popen(
            [self._binary, "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.address, self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = self.log
                self.stop()
                raise RuntimeError(f"turnserver did not start:\n{log[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop coturn and remove its folder."""
        process, self._process = self._process, None
        end_process(process)
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
