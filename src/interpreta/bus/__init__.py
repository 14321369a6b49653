"""The state several app nodes share: messages, small documents, locks and leases.

One interface (:class:`~interpreta.bus.interface.Bus`), two backends: in memory
(:mod:`interpreta.bus.memory_backend`, the default: one node) and Redis
(:mod:`interpreta.bus.redis_backend`, ``INTERPRETA_REDIS_URL``: several nodes). The live
hub keeps who is on air, the booth seats, presence and listener counts here, and sends
booth chat and revocations through it, so every node sees the same event.
"""

from interpreta.bus.interface import Bus, BusError, LockTimeout
from interpreta.bus.memory_backend import MemoryBus

__all__ = ["Bus", "BusError", "LockTimeout", "MemoryBus"]
