"""``RedisProcess``: a Redis server in a child process, for tests and benchmarks.

Production runs Debian's ``redis-server`` as a service (see ``docs/deployment.md``).
This one keeps nothing on disk (no snapshots, no append-only file), listens on a unix
socket in a temporary folder, and on a TCP address too when asked (a cluster in network
namespaces reaches it over TCP).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from interpreta.child_process import ChildServer, end_process

__all__ = ["RedisNotInstalledError", "RedisProcess", "redis_binary"]


class RedisNotInstalledError(RuntimeError):
    """No ``redis-server`` (Debian package ``redis-server``) on this machine."""


def redis_binary() -> str | None:
    """The path of ``redis-server``, ``None`` if it is not installed."""
    return shutil.which("redis-server")


class RedisProcess(ChildServer):
    """A throw-away Redis server; use as a context manager."""

    def __init__(
        self, *, host: str | None = None, port: int = 0, launcher: Sequence[str] = ()
    ) -> None:
        """
        :param host: also listen on this TCP address (with `port`); unix socket only
            when None.
        :param port: the TCP port with `host`.
        :param launcher: a command the server is started through, e.g.
            ``ip netns exec NAME``.
        """
        binary = redis_binary()
        if binary is None:
            raise RedisNotInstalledError("redis-server is not installed")
        self._binary = binary
        self._host = host
        self._port = port
        self._launcher = list(launcher)
        self._folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where clients connect: the TCP address when there is one, else the socket."""
        if self._host is not None:
            return f"redis://{self._host}:{self._port}/0"
        return f"unix://{self.socket_path}"

    @property
    def socket_path(self) -> Path:
        """The unix socket."""
        assert self._folder is not None, "not started"
        return self._folder / "redis.sock"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until its socket answers."""
        self._folder = Path(tempfile.mkdtemp(prefix="interpreta-redis-"))
        arguments = [
            self._binary,
            "--port",
            str(self._port if self._host else 0),
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self._folder),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(self._folder / "redis.log"),
        ]
        if self._host is not None:
            arguments += ["--bind", self._host, "--protected-mode", "no"]
        self._process = subprocess.Popen([*self._launcher, *arguments], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self.socket_path.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = self._folder / "redis.log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                self.stop()
                raise RuntimeError(f"redis-server did not start:\n{tail}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        process, self._process = self._process, None
        end_process(process)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
