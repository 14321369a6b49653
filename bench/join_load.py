"""Join-by-event-code load benchmark, against a bare FastAPI + SQLite ceiling.

Starts two servers, one after the other, each a single uvicorn worker on
loopback:

- **interpreta**: the real application on SQLite with the demo event, serving
  ``GET /api/join/{code}`` (the event, its topics and channels);
- **bare**: a FastAPI app with one route that reads one row from SQLite by key
  with the standard library, the ceiling any join endpoint could reach here.

Each is loaded with ``wrk`` (Debian package ``wrk``) at 16 and 64 concurrent
connections; the script prints requests/s and p50/p99 latency for both, and the
ratio. Goal (issue 1): interpreta >= 70 % of the bare ceiling's throughput with
p99 < 20 ms at 16 connections; with processing activities enforced on every
statement (issue 9) it must stay >= 90 % of the ceiling.

    python bench/join_load.py [--duration 10] [--connections 16,64]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CODE_ROWS = 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_interpreta(data_dir: str, port: int) -> None:
    """Child process: the real app with the demo event on SQLite."""
    import uvicorn

    from interpreta import demo
    from interpreta.app import create_app
    from interpreta.config import Settings
    from interpreta.platform import Platform

    platform = Platform.start(Settings(data_dir=Path(data_dir), _env_file=None))  # type: ignore[call-arg]
    info = demo.seed(platform)
    (Path(data_dir) / "code").write_text(info.event_code)
    uvicorn.run(
        create_app(platform), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


def serve_bare(data_dir: str, port: int) -> None:
    """Child process: FastAPI with one SQLite primary-key lookup per request."""
    import threading

    import uvicorn
    from fastapi import FastAPI, HTTPException

    path = Path(data_dir) / "bare.db"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS events (code TEXT PRIMARY KEY, title TEXT)")
    setup.executemany(
        "INSERT OR REPLACE INTO events VALUES (?, ?)",
        [(f"CODE{i:04d}", f"Event {i}") for i in range(CODE_ROWS)],
    )
    setup.commit()
    setup.close()
    local = threading.local()
    app = FastAPI()

    # async, and the lookup inline: no thread hop, the fastest a one-row read can be served
    @app.get("/row/{code}")
    async def row(code: str) -> dict[str, str]:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = sqlite3.connect(path, check_same_thread=False)
        found = connection.execute("SELECT code, title FROM events WHERE code = ?", (code,))
        result = found.fetchone()
        if result is None:
            raise HTTPException(404)
        return {"code": result[0], "title": result[1]}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@dataclass
class Result:
    """One wrk run."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"cannot read latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(url: str, connections: int, duration: int) -> Result:
    """Load `url` with wrk and read its report."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Result(rps, p50, p99, int(errors.group(1)) if errors else 0)


def _wait_until_up(url: str, deadline: float = 60.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


def measure(role: str, path_for: str, connections: list[int], duration: int) -> dict[int, Result]:
    """Start the `role` server in a child process, load it, stop it."""
    data_dir = tempfile.mkdtemp(prefix=f"interpreta-bench-{role}-")
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", role, data_dir, str(port)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        code_file = Path(data_dir) / "code"
        if role == "interpreta":
            for _ in range(300):
                if code_file.exists():
                    break
                time.sleep(0.2)
            path = path_for.format(code=code_file.read_text())
        else:
            path = path_for
        url = f"http://127.0.0.1:{port}{path}"
        _wait_until_up(url)
        run_wrk(url, 4, 2)  # warm-up
        return {c: run_wrk(url, c, duration) for c in connections}
    finally:
        child.terminate()
        child.wait(10)
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    """Measure both servers and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", default="16,64", help="comma-separated")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    connections = [int(c) for c in args.connections.split(",")]
    bare = measure("bare", "/row/CODE0500", connections, args.duration)
    real = measure("interpreta", "/api/join/{code}", connections, args.duration)
    print(
        f"\njoin by event code, 1 uvicorn worker, SQLite, wrk -t1 -d{args.duration}s, "
        f"{os.cpu_count()} cores"
    )
    print(f"{'server':<12}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name, results in (("bare", bare), ("interpreta", real)):
        for c, r in results.items():
            print(
                f"{name:<12}{c:>6}{r.requests_per_second:>10.0f}{r.p50_ms:>9.2f}"
                f"{r.p99_ms:>9.2f}{r.errors:>9}"
            )
    for c in connections:
        ratio = real[c].requests_per_second / bare[c].requests_per_second
        print(f"interpreta / bare at {c} connections: {ratio:.0%} of the ceiling's throughput")
    goal = (
        real[16].p99_ms < 20 and real[16].requests_per_second >= 0.9 * bare[16].requests_per_second
        if 16 in connections
        else None
    )
    if goal is not None:
        print(
            "goal (>= 90 % of ceiling, p99 < 20 ms at 16 connections): "
            + ("met" if goal else "NOT met")
        )
    if args.json:
        print(
            json.dumps(
                {
                    n: {c: vars(r) for c, r in res.items()}
                    for n, res in (("bare", bare), ("interpreta", real))
                }
            )
        )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        {"interpreta": serve_interpreta, "bare": serve_bare}[sys.argv[2]](
            sys.argv[3], int(sys.argv[4])
        )
    else:
        main()
