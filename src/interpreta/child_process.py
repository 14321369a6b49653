"""Servers run as child processes (Janus, Redis, coturn in the tests and benchmarks).

What every such wrapper needs and nothing more: a context manager that starts and stops
it, ending a process politely (SIGTERM, then SIGKILL after a grace period), and a check
that a TCP port answers.
"""

from __future__ import annotations

import socket
import subprocess
from types import TracebackType
from typing import Self

__all__ = ["ChildServer", "end_process", "port_open"]


def end_process(process: subprocess.Popen[bytes] | None, grace: float = 5.0) -> None:
    """Stop `process` if it runs: SIGTERM, then SIGKILL after `grace` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections at `host`:`port`."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class ChildServer:
    """A server in a child process, used as a context manager: ``start`` on entry,
    ``stop`` on exit."""

    def start(self) -> None:
        """Start the server and wait until it answers."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server and remove what it kept."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
