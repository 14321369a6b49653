"""The bus contract, on both backends; what only several nodes show, on Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from interpreta.bus import Bus, BusError, LockTimeout, MemoryBus
from interpreta.bus.redis_backend import RedisBus
from tests.bus.conftest import NewBus


async def _eventually(check: Any, timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


async def test_messages_reach_every_subscriber_in_order(bus: Bus) -> None:
    first: list[int] = []
    second: list[int] = []

    async def keep_first(message: dict[str, Any]) -> None:
        first.append(message["n"])

    async def keep_second(message: dict[str, Any]) -> None:
        second.append(message["n"])

    await bus.subscribe("t", keep_first)
    stop = await bus.subscribe("t", keep_second)
    await bus.subscribe("other", keep_second)
    for n in range(20):
        await bus.publish("t", {"n": n})
    await _eventually(lambda: len(first) == 20 and len(second) == 20)
    assert first == second == list(range(20))
    await stop()
    await bus.publish("t", {"n": 20})
    await _eventually(lambda: len(first) == 21)
    await asyncio.sleep(0.05)
    assert second == list(range(20))


async def test_a_failing_handler_still_gets_the_next_message(bus: Bus) -> None:
    got: list[int] = []

    async def fragile(message: dict[str, Any]) -> None:
        if message["n"] == 0:
            raise RuntimeError("boom")
        got.append(message["n"])

    await bus.subscribe("t", fragile)
    await bus.publish("t", {"n": 0})
    await bus.publish("t", {"n": 1})
    await _eventually(lambda: got == [1])


async def test_a_handler_runs_outside_the_publishers_lock(bus: Bus) -> None:
    seen: list[str] = []

    async def takes_the_lock(message: dict[str, Any]) -> None:
        async with bus.lock("event", wait=2):
            seen.append(message["what"])

    await bus.subscribe("t", takes_the_lock)
    async with bus.lock("event"):
        await bus.publish("t", {"what": "changed"})
    await _eventually(lambda: seen == ["changed"])


async def test_documents_are_written_and_dropped_field_by_field(bus: Bus) -> None:
    assert await bus.fields("doc") == {}
    await bus.put("doc", {"a": "1", "b": "2"})
    await bus.put("doc", {"b": "3"})
    assert await bus.fields("doc") == {"a": "1", "b": "3"}
    await bus.drop("doc", "a")
    assert await bus.fields("doc") == {"b": "3"}
    await bus.drop("doc")
    assert await bus.fields("doc") == {}


async def test_a_lock_lets_one_writer_in_at_a_time(bus: Bus) -> None:
    await bus.put("counter", {"n": "0"})

    async def increment() -> None:
        async with bus.lock("counter"):
            n = int((await bus.fields("counter"))["n"])
            await asyncio.sleep(0.002)
            await bus.put("counter", {"n": str(n + 1)})

    await asyncio.gather(*(increment() for _ in range(20)))
    assert await bus.fields("counter") == {"n": "20"}


async def test_a_taken_lock_times_out(bus: Bus) -> None:
    async with bus.lock("l"):
        with pytest.raises(LockTimeout):
            async with bus.lock("l", wait=0.05):
                pass
    async with bus.lock("l", wait=0.05):
        pass  # free again


async def test_a_lease_has_one_holder_until_released_or_passed_on(bus: Bus) -> None:
    assert await bus.holder("mic") is None
    assert await bus.acquire("mic", "anna", 10)
    assert await bus.acquire("mic", "anna", 10)  # already hers: renewed
    assert not await bus.acquire("mic", "ben", 10)
    assert not await bus.renew("mic", "ben", 10)
    assert not await bus.release("mic", "ben")
    assert not await bus.transfer("mic", "ben", "cleo", 10)
    assert await bus.holder("mic") == "anna"
    assert await bus.transfer("mic", "anna", "ben", 10)
    assert await bus.holder("mic") == "ben"
    assert await bus.renew("mic", "ben", 10)
    assert await bus.release("mic", "ben")
    assert await bus.holder("mic") is None
    assert not await bus.transfer("mic", "ben", "anna", 10)  # nobody holds it


async def test_a_lease_lapses_unless_renewed(bus: Bus) -> None:
    assert await bus.acquire("mic", "anna", 0.15)
    await asyncio.sleep(0.1)
    assert await bus.renew("mic", "anna", 0.15)
    await asyncio.sleep(0.1)
    assert await bus.holder("mic") == "anna"  # renewed: still hers
    await asyncio.sleep(0.1)
    assert await bus.holder("mic") is None
    assert not await bus.renew("mic", "anna", 0.15)
    assert await bus.acquire("mic", "ben", 10)


async def test_a_node_is_live_while_it_beats(bus: Bus) -> None:
    await bus.beat(0.15)
    assert bus.node in await bus.live_nodes()


async def test_the_memory_bus_refuses_messages_once_closed() -> None:
    bus = MemoryBus("a")
    await bus.close()
    with pytest.raises(BusError):
        await bus.publish("t", {})


# --- several nodes on one Redis ---------------------------------------------------------


async def test_messages_cross_nodes(redis_nodes: NewBus) -> None:
    a, b = await redis_nodes("a"), await redis_nodes("b")
    got: list[tuple[str, str]] = []

    def keeper(node: str) -> Any:
        async def keep(message: dict[str, Any]) -> None:
            got.append((node, message["from"]))

        return keep

    await a.subscribe("t", keeper("a"))
    await b.subscribe("t", keeper("b"))
    await a.publish("t", {"from": "a"})
    await _eventually(lambda: sorted(got) == [("a", "a"), ("b", "a")])


async def test_two_nodes_never_both_hold_the_lease(redis_nodes: NewBus) -> None:
    nodes = [await redis_nodes(name) for name in ("a", "b", "c", "d")]
    for round_ in range(10):
        results = await asyncio.gather(
            *(node.acquire(f"mic{round_}", f"holder-{node.node}", 10) for node in nodes)
        )
        assert sum(results) == 1
        winner = nodes[results.index(True)]
        assert await nodes[0].holder(f"mic{round_}") == f"holder-{winner.node}"


async def test_a_lock_held_by_a_dead_node_lapses(redis_nodes: NewBus) -> None:
    dead, alive = await redis_nodes("dead"), await redis_nodes("alive")
    held = dead.lock("event", ttl=0.2)
    await held.__aenter__()  # and the node dies: never released
    with pytest.raises(LockTimeout):
        async with alive.lock("event", wait=0.05):
            pass
    async with alive.lock("event", wait=1):
        pass
    del held


async def test_a_node_that_stops_beating_is_gone(redis_nodes: NewBus) -> None:
    a, b = await redis_nodes("a"), await redis_nodes("b")
    await a.beat(10)
    await b.beat(0.1)
    assert await a.live_nodes() == {"a", "b"}
    await asyncio.sleep(0.15)
    assert await a.live_nodes() == {"a"}


async def test_an_unreachable_redis_is_a_bus_error(tmp_path: Any) -> None:
    bus = RedisBus(f"unix://{tmp_path}/nothing.sock", "a")
    with pytest.raises(BusError, match="Redis"):
        await bus.fields("doc")
    await bus.close()
