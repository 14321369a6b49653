"""``JanusProcess``: a Janus server started with a generated configuration.

For the tests, the benchmark and development machines: production runs Janus as a
service configured by the operator (see ``docs/media.md``). The generated configuration
loads only what the plane uses (the VideoRoom and Streaming plugins, the WebSocket
transport with its Admin API beside it), binds both APIs to loopback, gathers ICE
candidates on one address only and keeps everything in a temporary folder.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from interpreta.child_process import ChildServer, end_process, port_open

__all__ = ["JanusNotInstalledError", "JanusProcess", "JanusStartError", "janus_binary"]

PLUGINS_USED = ("libjanus_videoroom.so", "libjanus_streaming.so")
TRANSPORTS_USED = ("libjanus_websockets.so",)


class JanusNotInstalledError(RuntimeError):
    """No ``janus`` binary (Debian package ``janus``) on this machine."""


class JanusStartError(RuntimeError):
    """Janus exited or did not open its API in time; the message ends with its log."""


def janus_binary() -> str | None:
    """The path of the ``janus`` binary, ``None`` if it is not installed."""
    return shutil.which("janus")


def _module_folder(kind: str) -> Path:
    """Where the Debian package keeps Janus's ``plugins``, ``transports``, ... folders."""
    for pattern in (
        f"/usr/lib/*/janus/{kind}",
        f"/usr/lib/janus/{kind}",
        f"/usr/local/lib/janus/{kind}",
    ):
        found = sorted(glob.glob(pattern))
        if found:
            return Path(found[0])
    raise JanusNotInstalledError(f"no Janus {kind} folder found")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _disable_all_but(folder: Path, keep: tuple[str, ...]) -> str:
    """The ``disable`` list of a folder's modules: every ``.so`` not in ``keep``."""
    names = sorted(p.name for p in folder.glob("*.so") if p.name not in keep)
    return ",".join(names)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JanusProcess(ChildServer):
    """A Janus server in a child process, with a configuration written for it.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. The Janus API is
    at :attr:`url`, its Admin API at :attr:`admin_url` (secret :attr:`admin_secret`),
    both on ``api_address`` (127.0.0.1 by default). Janus skips loopback interfaces when
    it gathers ICE candidates, so ``ice_address`` must be an address of a non-loopback
    interface (see
    :func:`~interpreta.media.janus.hostaddress.ensure_host_address`).
    """

    def __init__(
        self,
        *,
        ice_address: str,
        rtp_ports: tuple[int, int] = (20000, 40000),
        debug_level: int = 3,
        session_timeout: int = 60,
        reclaim_session_timeout: int = 0,
        api_address: str = "127.0.0.1",
        launcher: Sequence[str] = (),
        event_loops: int = 0,
        cpus: set[int] | None = None,
        binary: str | None = None,
    ) -> None:
        """
        :param ice_address: the one address Janus gathers ICE host candidates on.
        :param rtp_ports: the UDP port range for media (WebRTC and the Streaming
            mountpoints' RTP inputs).
        :param debug_level: Janus's log level (0 nothing, 4 info, 7 everything).
        :param session_timeout: seconds after which Janus drops a silent API session.
        :param reclaim_session_timeout: seconds a session outlives the API connection that
            made it (an app node that died): its peers' media keeps flowing meanwhile,
            so their clients can move to another node without a gap. 0: it goes at once.
        :param api_address: where the API and the Admin API listen (an address the app
            nodes reach; never a public one).
        :param launcher: a command Janus is started through, e.g. ``ip netns exec NAME``.
        :param event_loops: threads that share the handles' media loops (Janus's
            ``event_loops``); 0: one thread per handle (Janus's default).
        :param cpus: CPUs to pin Janus to (``taskset``), e.g. ``{0}`` for a benchmark.
        :param binary: the ``janus`` binary; found on ``PATH`` by default.
        """
        found = binary or janus_binary()
        if found is None:
            raise JanusNotInstalledError("janus is not installed (Debian package 'janus')")
        self._binary = found
        self._ice_address = ice_address
        self._rtp_ports = rtp_ports
        self._debug_level = debug_level
        self._session_timeout = session_timeout
        self._reclaim_session_timeout = reclaim_session_timeout
        self._api_address = api_address
        self._launcher = list(launcher)
        self._event_loops = event_loops
        self._cpus = cpus
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._admin_port = 0
        self.admin_secret = secrets.token_urlsafe(24)
        "The Admin API's secret (generated)."

    # --- where it listens ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The Janus API (WebSocket transport)."""
        return f"ws://{self._api_address}:{self._port}"

    @property
    def admin_url(self) -> str:
        """The Admin API (WebSocket transport)."""
        return f"ws://{self._api_address}:{self._admin_port}"

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return None if self._process is None else self._process.pid

    @property
    def log_path(self) -> Path:
        """Janus's log file."""
        return self._config_folder / "janus.log"

    @property
    def _config_folder(self) -> Path:
        if self._folder is None:
            raise RuntimeError("Janus is not started")
        return Path(self._folder.name)

    # --- life cycle ------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Write the configuration, start Janus, and wait until its API accepts connections.

        A stopped Janus started again listens on the same ports as before.

        :raises JanusStartError: it exited or did not listen within ``timeout`` seconds.
        """
        if self._process is not None:
            return
        self._folder = tempfile.TemporaryDirectory(prefix="interpreta-janus-")
        # Chosen on the first start, kept on a restart: clients reconnect to the same URLs.
        self._port = self._port or _free_port()
        self._admin_port = self._admin_port or _free_port()
        self._write_config(self._config_folder)
        command = [self._binary, "-C", str(self._config_folder / "janus.jcfg")]
        command += ["-F", str(self._config_folder), "-L", str(self.log_path), "-N", "-o"]
        if self._cpus:
            command = ["taskset", "-c", ",".join(map(str, sorted(self._cpus))), *command]
        command = [*self._launcher, *command]
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        ports = (self._port, self._admin_port)
        while not all(port_open(self._api_address, port) for port in ports):
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = self._log_tail()
                self.stop()
                raise JanusStartError(f"Janus did not start:\n{log}")
            time.sleep(0.05)

    @property
    def exit_code(self) -> int | None:
        """How Janus ended when it exited on its own (minus the signal's number when a
        signal ended it, as ``-11`` for a crash); None while it runs or when not started."""
        return None if self._process is None else self._process.poll()

    def restart_if_exited(self) -> str | None:
        """Start Janus again, on the same ports, if it exited on its own (a crash, the
        kernel's out-of-memory killer). Returns what it left behind: its exit code and the
        end of its log; None when it was running (or was never started)."""
        code = self.exit_code
        if code is None:
            return None
        left = f"Janus exited with {code}; the end of its log:\n{self._log_tail()}"
        self.stop()
        self.start()
        return left

    def kill(self) -> None:
        """``kill -9`` Janus, as a crash would (tests and benchmarks of its loss); its
        folder stays until :meth:`stop`."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def stop(self) -> None:
        """Stop Janus (SIGTERM, then SIGKILL after 5 s) and remove its folder."""
        process, self._process = self._process, None
        end_process(process)
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    # --- internals -------------------------------------------------------------------------

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _write_config(self, folder: Path) -> None:
        plugins, transports = _module_folder("plugins"), _module_folder("transports")
        low, high = self._rtp_ports
        files = {
            "janus.jcfg": f"""
general: {{
    configs_folder = {_quote(str(folder))}
    plugins_folder = {_quote(str(plugins))}
    transports_folder = {_quote(str(transports))}
    events_folder = {_quote(str(_module_folder("events")))}
    loggers_folder = {_quote(str(_module_folder("loggers")))}
    debug_level = {self._debug_level}
    debug_timestamps = true
    admin_secret = {_quote(self.admin_secret)}
    server_name = "interpreta"
    session_timeout = {self._session_timeout}
    reclaim_session_timeout = {self._reclaim_session_timeout}
{f"    event_loops = {self._event_loops}" if self._event_loops else ""}
    protected_folders = [
        "/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr", "/var"
    ]
}}
media: {{
    rtp_port_range = "{low}-{high}"
}}
nat: {{
    nice_debug = false
    ice_enforce_list = {_quote(self._ice_address)}
    ignore_mdns = true
    ice_keepalive_conncheck = true
}}
plugins: {{
    disable = {_quote(_disable_all_but(plugins, PLUGINS_USED))}
}}
transports: {{
    disable = {_quote(_disable_all_but(transports, TRANSPORTS_USED))}
}}
events: {{
    broadcast = false
}}
loggers: {{
    disable = {_quote(_disable_all_but(_module_folder("loggers"), ()))}
}}
""",
            "janus.transport.websockets.jcfg": f"""
general: {{
    json = "compact"
    events = false
    ws = true
    ws_port = {self._port}
    ws_ip = {_quote(self._api_address)}
    wss = false
}}
admin: {{
    admin_ws = true
    admin_ws_port = {self._admin_port}
    admin_ws_ip = {_quote(self._api_address)}
    admin_wss = false
}}
""",
            "janus.plugin.videoroom.jcfg": "general: {\n    events = false\n}\n",
            "janus.plugin.streaming.jcfg": (
                f'general: {{\n    events = false\n    rtp_port_range = "{low}-{high}"\n}}\n'
            ),
        }
        for name, text in files.items():
            (folder / name).write_text(text)
        os.chmod(folder, 0o700)
