"""RTMP room feeds end to end: Debian's ffmpeg publishing, nginx, the hub, the floor.

The app runs nginx with the RTMP module (``INTERPRETA_RTMP_PORT``); ffmpeg publishes a
440 Hz tone encoded to AAC with the event's stream key, and a listener subscribed to the
floor through signaling hears it (decoded and sent as Opus by the node), on both media
backends. A wrong key is refused before nginx accepts anything: ffmpeg fails, nothing
reaches the floor, nothing is recorded. Rotating the key drops the encoder. Skipped
when nginx, its RTMP module or ffmpeg is missing (``scripts/test`` installs them).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from interpreta.config import Settings
from interpreta.live.ingest import FEED_NAMES, FeedKind
from interpreta.live.rtmp_ingest import stream_key
from interpreta.live.rtmp_server import nginx_binary, rtmp_module
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.platform import Platform
from tests.conftest import MEDIA_BACKENDS, on_janus
from tests.live.conftest import Stage
from tests.live.live_client import LiveClient
from tests.live.test_whip import feed_present, feed_rows, floor_of, ingest_key_of, moderator
from tests.live_server import free_port
from tests.media.media_testkit import LOOPBACK, start_subscriber

RTMP_NAME = FEED_NAMES[FeedKind.RTMP]


@pytest.fixture
def rtmp_port() -> int:
    """A free port for the app's nginx; skips without nginx, its RTMP module or ffmpeg."""
    if nginx_binary() is None or rtmp_module() is None:
        pytest.skip("nginx with its RTMP module is not installed (nginx, libnginx-mod-rtmp)")
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (Debian package 'ffmpeg')")
    return free_port()


@pytest.fixture
def media_backend(request: pytest.FixtureRequest) -> str:
    """The media backend: ``embedded``, or the one a test is parametrised with."""
    return str(getattr(request, "param", "embedded"))


@pytest.fixture
def settings(
    settings: Settings, media_backend: str, rtmp_port: int, request: pytest.FixtureRequest
) -> Settings:
    """RTMP ingest on `rtmp_port` (loopback), on the session's Janus for ``janus``."""
    settings = settings.model_copy(update={"rtmp_port": rtmp_port, "rtmp_host": "127.0.0.1"})
    if media_backend == "janus":
        return on_janus(settings, request.getfixturevalue("janus_server"))
    return settings


@pytest.fixture
def addresses(media_backend: str) -> tuple[str, ...]:
    """Where the listener's peer gathers ICE candidates for the backend."""
    return LOOPBACK if media_backend == "embedded" else (ensure_host_address(),)


@pytest.fixture
def encoders() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The ffmpeg publishers a test starts, stopped after it."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def ffmpeg_publish(
    port: int, name: str, *, seconds: float = 30, frequency: int = 440
) -> subprocess.Popen[bytes]:
    """ffmpeg publishing a tone, AAC in FLV, in real time to the node's nginx."""
    return subprocess.Popen(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-re",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={frequency}:sample_rate=48000",
            "-t",
            str(seconds),
            "-c:a",
            "aac",
            "-f",
            "flv",
            f"rtmp://127.0.0.1:{port}/live/{name}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def exited(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The process's exit status once it exits, None if it still runs after `timeout`."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return process.poll()


@pytest.mark.parametrize("media_backend", MEDIA_BACKENDS, indirect=True)
async def test_an_rtmp_stream_is_heard_on_the_floor(
    stage: Stage,
    platform: Platform,
    closing: list[Any],
    encoders: list[subprocess.Popen[bytes]],
    rtmp_port: int,
    addresses: tuple[str, ...],
) -> None:
    host = await moderator(stage)
    listener = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing += [host, listener]
    ear = await start_subscriber(listener, str(stage.floor), "", addresses=addresses)
    closing.append(ear)

    key = stream_key(stage.code, ingest_key_of(platform, stage.event_id))
    encoder = ffmpeg_publish(rtmp_port, key)
    encoders.append(encoder)
    await ear.wait_for_tone(440, timeout=15)
    state = await host.latest_state(
        lambda s: floor_of(s, stage.floor)["on_air"] and feed_present(s, RTMP_NAME)
    )
    assert next(p for p in state["participants"] if p["name"] == RTMP_NAME)["role"] == "speaker"
    assert feed_rows(platform, stage.event_id) == (1, 1)

    encoder.terminate()  # the encoder stops: nginx says so, the feed ends
    await host.latest_state(
        lambda s: not floor_of(s, stage.floor)["on_air"] and not feed_present(s, RTMP_NAME),
        timeout=10,
    )


async def test_a_wrong_stream_key_is_refused_before_anything_is_accepted(
    stage: Stage,
    platform: Platform,
    closing: list[Any],
    encoders: list[subprocess.Popen[bytes]],
    rtmp_port: int,
) -> None:
    host = await moderator(stage)
    listener = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing += [host, listener]
    ear = await start_subscriber(listener, str(stage.floor), "")
    closing.append(ear)
    wrong = [
        stream_key(stage.code, "not-the-ingest-key"),
        stream_key(stage.code, stage.speaker_key),
        stream_key("ZZZZZZZ", ingest_key_of(platform, stage.event_id)),
        ingest_key_of(platform, stage.event_id),  # the key without the event's code
    ]
    for name in wrong:
        encoder = ffmpeg_publish(rtmp_port, name, seconds=5)
        encoders.append(encoder)
        status = await exited(encoder, timeout=10)
        assert status is not None and status != 0, f"nginx accepted {name!r}"
    assert feed_rows(platform, stage.event_id) == (0, 0)
    assert not any(h.frequency is not None for h in ear.heard), "nothing reached the floor"
    state = await host.latest_state(lambda s: True)
    assert not floor_of(state, stage.floor)["on_air"] and not feed_present(state, RTMP_NAME)


async def test_rotating_the_key_drops_the_encoder(
    stage: Stage,
    platform: Platform,
    closing: list[Any],
    encoders: list[subprocess.Popen[bytes]],
    rtmp_port: int,
) -> None:
    host = await moderator(stage)
    closing.append(host)
    encoder = ffmpeg_publish(
        rtmp_port, stream_key(stage.code, ingest_key_of(platform, stage.event_id))
    )
    encoders.append(encoder)
    await host.latest_state(lambda s: feed_present(s, RTMP_NAME), timeout=15)

    with httpx.Client(
        base_url=stage.base_url, headers={"Cookie": f"interpreta_session={stage.owner}"}
    ) as owner:
        shown = owner.get(f"/api/events/{stage.event_id}/ingest").json()
        assert shown["rtmp_url"] == f"rtmp://127.0.0.1:{rtmp_port}/live"
        assert shown["rtmp_stream_key"] == stream_key(stage.code, shown["key"])
        rotated = owner.post(f"/api/events/{stage.event_id}/ingest-key")
    assert rotated.status_code == 200, rotated.text
    await host.latest_state(
        lambda s: not floor_of(s, stage.floor)["on_air"] and not feed_present(s, RTMP_NAME)
    )
    status = await exited(encoder, timeout=10)
    assert status is not None, "nginx dropped the encoder of the old key"


async def test_a_host_removing_the_feed_drops_the_encoder_and_keeps_it_out(
    stage: Stage,
    platform: Platform,
    closing: list[Any],
    encoders: list[subprocess.Popen[bytes]],
    rtmp_port: int,
) -> None:
    host = await moderator(stage)
    closing.append(host)
    key = stream_key(stage.code, ingest_key_of(platform, stage.event_id))
    encoder = ffmpeg_publish(rtmp_port, key)
    encoders.append(encoder)
    state = await host.latest_state(lambda s: feed_present(s, RTMP_NAME), timeout=15)
    feed_key = next(p["key"] for p in state["participants"] if p["name"] == RTMP_NAME)
    await host.request({"type": "participant.remove", "key": feed_key})
    await host.latest_state(
        lambda s: not floor_of(s, stage.floor)["on_air"] and not feed_present(s, RTMP_NAME)
    )
    assert await exited(encoder, timeout=10) is not None, "nginx dropped the encoder"
    again = ffmpeg_publish(rtmp_port, key, seconds=5)
    encoders.append(again)
    status = await exited(again, timeout=10)
    assert status is not None and status != 0, "the removed feed may not come back"
