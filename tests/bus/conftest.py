"""The bus under test: in memory, and on the session's Redis server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from interpreta.bus import Bus, MemoryBus
from interpreta.bus.redis_backend import RedisBus
from interpreta.bus.redis_process import RedisProcess

NewBus = Callable[[str], Awaitable[Bus]]
"""Opens another node's bus on the same shared state (Redis only)."""


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    """A bus of each backend, as node 'a'."""
    if request.param == "memory":
        opened: Bus = MemoryBus("a")
    else:
        server: RedisProcess = request.getfixturevalue("redis_server")
        opened = RedisBus(server.url, "a", prefix=request.getfixturevalue("redis_prefix"))
    yield opened
    await opened.close()


@pytest.fixture
async def redis_nodes(redis_server: RedisProcess, redis_prefix: str) -> AsyncIterator[NewBus]:
    """Opens buses of further nodes on one Redis; closes them after the test."""
    opened: list[RedisBus] = []

    async def new(node: str) -> Bus:
        bus = RedisBus(redis_server.url, node, prefix=redis_prefix)
        opened.append(bus)
        return bus

    yield new
    for bus in opened:
        await bus.close()
