"""One node per data directory, unless the deployment is built for several.

A single node keeps its live state in memory and, by default, its database in one SQLite
file: a second server started on the same data directory would split the live events in
two and share a file SQLite cannot share safely across machines. ``interpreta serve``
takes an exclusive lock on ``node.lock`` in the data directory; the lock goes with the
process, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

__all__ = ["NodeLockHeld", "hold_node_lock"]

LOCK_FILE = "node.lock"


class NodeLockHeld(Exception):
    """Another process serves this data directory."""


def hold_node_lock(data_dir: Path) -> IO[str]:
    """Lock the data directory for this process; keep the returned file open while serving.

    :raises NodeLockHeld: naming the process that holds it.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / LOCK_FILE).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise NodeLockHeld(
            f"another Interpreta node ({holder}) already serves {data_dir.resolve()}. One "
            "node per data directory: several nodes need PostgreSQL, Redis and Janus "
            "(INTERPRETA_DATABASE_URL, INTERPRETA_REDIS_URL, INTERPRETA_MEDIA_BACKEND=janus)."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle
