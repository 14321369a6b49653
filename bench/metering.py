"""Usage-metering benchmark: how fast the retention run's preparation totals ended events
(listener hours from every connection, interpreters' on-air hours, languages, recording
size) before their participation data goes.

On a fresh SQLite database in a temp folder (or ``INTERPRETA_DATABASE_URL``) it fills
``--listeners`` listeners, one connection each, spread over ``--events`` long-ended
events, and prints the seconds metering takes, events and connections per second, and
that a second run finds nothing left to meter.

    python bench/metering.py [--listeners 100000] [--events 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bulk_data import fill
from interpreta.clock import SystemClock
from interpreta.config import Settings
from interpreta.platform import Platform
from interpreta.usage.metering import meter_due_events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listeners", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=50)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="interpreta-metering-bench-"))
    url = os.environ.get("INTERPRETA_DATABASE_URL")
    settings = Settings(data_dir=data_dir, _env_file=None, **({"database_url": url} if url else {}))  # type: ignore[call-arg]
    platform = Platform.start(settings, clock=SystemClock())
    fill(platform.sessions, participants=args.listeners, events=args.events)
    started = time.perf_counter()
    metered = meter_due_events(platform.sessions, platform.clock.now())
    took = time.perf_counter() - started
    again = meter_due_events(platform.sessions, platform.clock.now())
    print(f"database: {platform.engine.dialect.name}")
    print(f"metered {metered} events, {args.listeners} connections, in {took:.2f} s")
    print(f"  {metered / took:.1f} events/s, {args.listeners / took:,.0f} connections/s")
    print(f"a second run meters {again} events (each event is metered once)")
    platform.close()


if __name__ == "__main__":
    main()
