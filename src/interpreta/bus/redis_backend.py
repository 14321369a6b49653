"""``RedisBus``: the bus on a Redis server, for several nodes (``redis.asyncio``).

Keys are prefixed (``interpreta:`` by default) so one Redis can serve several
deployments. Each compare-and-set (leases, lock release, node beats) is one Lua script,
so it is atomic on the server; lease and beat times are the server's own clock
(``TIME``), so nodes whose clocks disagree still agree on who holds what.

Pub/sub runs on one connection of its own with one reader task; each subscription has
its queue and delivery task, so a slow handler delays only its own messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from interpreta.bus.delivery import Delivery
from interpreta.bus.interface import BusError, Handler, LockTimeout, Unsubscribe

__all__ = ["RedisBus"]

log = logging.getLogger(__name__)

LOCK_POLL = 0.005
"Seconds between two attempts at a taken lock."

_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_ACQUIRE = """
local held = redis.call('get', KEYS[1])
if held and held ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_TRANSFER = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""
_RENEW = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('pexpire', KEYS[1], ARGV[2])
"""
_RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('del', KEYS[1])
"""
_BEAT = """
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('zadd', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
"""
_LIVE_NODES = """
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
return redis.call('zrange', KEYS[1], 0, -1)
"""


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisBus:
    """The :class:`~interpreta.bus.interface.Bus` on Redis."""

    def __init__(self, url: str, node: str, *, prefix: str = "interpreta:") -> None:
        """
        :param url: the server, e.g. ``redis://127.0.0.1:6379/0`` or ``unix:///run/redis.sock``.
        :param node: this node's name, unique in the deployment.
        :param prefix: put before every key and topic.
        """
        self.node = node
        self._prefix = prefix
        self._redis: redis.Redis = redis.from_url(url, decode_responses=True)
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._topics: dict[str, list[Delivery]] = {}
        self._scripts = {
            name: self._redis.register_script(source)
            for name, source in {
                "release_lock": _RELEASE_LOCK,
                "acquire": _ACQUIRE,
                "transfer": _TRANSFER,
                "renew": _RENEW,
                "release": _RELEASE,
                "beat": _BEAT,
                "live_nodes": _LIVE_NODES,
            }.items()
        }

    # --- messages --------------------------------------------------------------------

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        """Publish `message` (as JSON) on the topic's Redis channel."""
        with _errors():
            await self._redis.publish(self._prefix + topic, json.dumps(message))

    async def subscribe(self, topic: str, handler: Handler) -> Unsubscribe:
        """Listen to the topic's Redis channel (the first subscription starts the reader)."""
        channel = self._prefix + topic
        subscription = Delivery(handler)
        with _errors():
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            if channel not in self._topics:
                await self._pubsub.subscribe(channel)
            self._topics.setdefault(channel, []).append(subscription)
            if self._reader is None:
                self._reader = asyncio.get_running_loop().create_task(self._read())

        async def unsubscribe() -> None:
            subscriptions = self._topics.get(channel, [])
            if subscription in subscriptions:
                subscriptions.remove(subscription)
            if not subscriptions and self._topics.pop(channel, None) is not None:
                with contextlib.suppress(RedisError, ConnectionError):
                    await self._pubsub.unsubscribe(channel)
            await subscription.stop()

        return unsubscribe

    async def _read(self) -> None:
        while True:
            try:
                raw = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the bus failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if raw is None or raw.get("type") != "message":
                continue
            try:
                message = json.loads(raw["data"])
            except ValueError:
                log.warning("ignored a bus message that is not JSON")
                continue
            for subscription in self._topics.get(raw["channel"], ()):
                subscription.put(message)

    # --- documents -------------------------------------------------------------------

    async def fields(self, key: str) -> dict[str, str]:
        """HGETALL of the document."""
        with _errors():
            values = await self._redis.hgetall(self._prefix + key)
        return {str(name): str(value) for name, value in values.items()}

    async def put(self, key: str, values: Mapping[str, str]) -> None:
        """HSET of the fields."""
        if not values:
            return
        with _errors():
            await self._redis.hset(self._prefix + key, mapping=dict[Any, Any](values))

    async def drop(self, key: str, *fields: str) -> None:
        """HDEL of the fields, or DEL of the document."""
        with _errors():
            if fields:
                await self._redis.hdel(self._prefix + key, *fields)
            else:
                await self._redis.delete(self._prefix + key)

    # --- locks and leases ----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lock(
        self, name: str, *, ttl: float = 15.0, wait: float = 10.0
    ) -> AsyncIterator[None]:
        """SET NX PX with a random token; released only by its owner's token."""
        key, token = f"{self._prefix}lock:{name}", secrets.token_hex(16)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        with _errors():
            while not await self._redis.set(key, token, nx=True, px=_ms(ttl)):
                if loop.time() >= deadline:
                    raise LockTimeout(f"lock {name!r} stayed taken for {wait} s")
                await asyncio.sleep(LOCK_POLL)
        try:
            yield
        finally:
            with _errors():
                await self._scripts["release_lock"](keys=[key], args=[token])

    async def acquire(self, lease: str, holder: str, ttl: float) -> bool:
        """Take or renew the lease unless another holds it."""
        return await self._run("acquire", lease, holder, _ms(ttl))

    async def transfer(self, lease: str, giver: str, taker: str, ttl: float) -> bool:
        """Pass the lease on if `giver` holds it."""
        return await self._run("transfer", lease, giver, taker, _ms(ttl))

    async def renew(self, lease: str, holder: str, ttl: float) -> bool:
        """Extend `holder`'s lease."""
        return await self._run("renew", lease, holder, _ms(ttl))

    async def release(self, lease: str, holder: str) -> bool:
        """Give the lease up if `holder` holds it."""
        return await self._run("release", lease, holder)

    async def holder(self, lease: str) -> str | None:
        """GET of the lease."""
        with _errors():
            held = await self._redis.get(f"{self._prefix}lease:{lease}")
        return None if held is None else str(held)

    async def _run(self, script: str, lease: str, *args: str | int) -> bool:
        with _errors():
            done = await self._scripts[script](keys=[f"{self._prefix}lease:{lease}"], args=args)
        return bool(done)

    # --- nodes ---------------------------------------------------------------------------

    async def beat(self, ttl: float) -> None:
        """This node's expiry in the node set, on the server's clock."""
        with _errors():
            await self._scripts["beat"](keys=[self._prefix + "nodes"], args=[self.node, _ms(ttl)])

    async def live_nodes(self) -> set[str]:
        """The nodes whose expiry is still ahead (the lapsed ones are removed)."""
        with _errors():
            nodes = await self._scripts["live_nodes"](keys=[self._prefix + "nodes"], args=[])
        return set(nodes)

    async def ping(self) -> None:
        """Raise :class:`BusError` unless the server answers."""
        with _errors():
            await self._redis.ping()

    async def close(self) -> None:
        """Stop the reader and the deliveries, close the connections."""
        subscriptions = [s for topic in self._topics.values() for s in topic]
        self._topics.clear()
        for subscription in subscriptions:
            await subscription.stop()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, ConnectionError):
                await self._pubsub.aclose()
            self._pubsub = None
        await self._redis.aclose()


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Redis's errors as :class:`BusError`, naming what failed."""
    try:
        yield
    except (RedisError, ConnectionError, OSError) as exc:
        raise BusError(f"the shared state (Redis) failed: {exc}") from exc
