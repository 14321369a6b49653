"""The media planes under test: the embedded forwarder, and Janus started for the session.

The contract tests take the ``plane`` fixture, parametrised over both backends, and start
their peers with the ``peers`` fixture, which puts their ICE candidates where the backend
can reach them: loopback for the embedded plane; for Janus, which skips loopback
interfaces, a private address on an interface of its own (``interpreta0``, 10.77.0.1,
added as root if missing). The session's Janus is ``janus_server`` (``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pytest
from media_testkit import (
    LOOPBACK,
    ListeningSubscriber,
    TonePublisher,
    start_publisher,
    start_subscriber,
)
from video_testkit import Camera, Viewer, start_camera, start_viewer

from interpreta.bus.redis_backend import RedisBus
from interpreta.bus.redis_process import RedisProcess
from interpreta.media.forwarder import EmbeddedMediaPlane
from interpreta.media.janus import JanusMediaPlane
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess
from interpreta.media.plane import MediaPlane
from tests.conftest import MEDIA_BACKENDS


@dataclass(frozen=True)
class Backend:
    """Which plane a test runs on, and where its peers gather ICE candidates."""

    name: str
    addresses: Sequence[str]
    janus: JanusProcess | None = None

    def new_plane(self) -> MediaPlane:
        """A fresh plane of this backend."""
        if self.janus is None:
            return EmbeddedMediaPlane(host_addresses=LOOPBACK)
        return JanusMediaPlane(
            self.janus.url,
            admin_url=self.janus.admin_url,
            admin_secret=self.janus.admin_secret,
            stats_interval=0.2,
        )


@pytest.fixture(params=MEDIA_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend in turn."""
    if request.param == "embedded":
        return Backend("embedded", LOOPBACK)
    server: JanusProcess = request.getfixturevalue("janus_server")
    return Backend("janus", (ensure_host_address(),), server)


@pytest.fixture
async def plane(backend: Backend) -> AsyncIterator[MediaPlane]:
    """A fresh plane of the backend, shut down after the test."""
    plane = backend.new_plane()
    yield plane
    await plane.shutdown()


@dataclass(frozen=True)
class Peers:
    """Starts test peers on a plane, with their candidates where the backend reaches them."""

    plane: MediaPlane
    addresses: Sequence[str]

    async def publisher(self, channel_id: str, peer_id: str, frequency: float) -> TonePublisher:
        """A peer publishing a tone."""
        return await start_publisher(
            self.plane, channel_id, peer_id, frequency, addresses=self.addresses
        )

    async def subscriber(self, channel_id: str, peer_id: str) -> ListeningSubscriber:
        """A peer listening to a channel."""
        return await start_subscriber(self.plane, channel_id, peer_id, addresses=self.addresses)

    async def camera(
        self, channel_id: str, peer_id: str, colour: str, codec: str = "VP8"
    ) -> Camera:
        """A peer publishing a solid-colour camera."""
        return await start_camera(
            self.plane, channel_id, peer_id, colour, codec=codec, addresses=self.addresses
        )

    async def viewer(self, channel_id: str, peer_id: str) -> Viewer:
        """A peer watching a video channel."""
        return await start_viewer(self.plane, channel_id, peer_id, addresses=self.addresses)


@pytest.fixture
def peers(plane: MediaPlane, backend: Backend) -> Peers:
    """Test peers for ``plane``."""
    return Peers(plane, backend.addresses)


@pytest.fixture
async def two_nodes(
    janus_server: JanusProcess, redis_server: RedisProcess, redis_prefix: str
) -> AsyncIterator[tuple[JanusMediaPlane, JanusMediaPlane]]:
    """Two app nodes' planes driving the session's Janus, sharing a Redis bus."""
    buses = [RedisBus(redis_server.url, node, prefix=redis_prefix) for node in ("a", "b")]
    planes = [JanusMediaPlane(janus_server.url, bus=bus) for bus in buses]
    yield planes[0], planes[1]
    for plane, bus in zip(planes, buses, strict=True):
        await plane.shutdown()
        await bus.close()
