"""Shared set-up of the live tests: an event with a German and a French booth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from interpreta.app import create_app
from interpreta.bus.redis_backend import RedisBus
from interpreta.bus.redis_process import RedisProcess
from interpreta.live.hub import LiveHub
from interpreta.platform import Platform
from tests.conftest import Account, join, speaker_key_of
from tests.live.live_client import LiveClient
from tests.live_server import serving


@dataclass
class Stage:
    """An event with a German and a French booth, served for real."""

    base_url: str
    code: str
    event_id: int
    floor: int
    german: int
    french: int
    speaker_key: str
    interpreters: dict[str, str]
    outsider: str
    owner: str
    organisation_id: int
    booths: dict[str, int]
    user_ids: dict[str, int]
    hub: LiveHub | None = None
    """The serving node's hub (once served by one node)."""


def _cookie(account: Account) -> str:
    return str(account.client.cookies.get("interpreta_session"))


@pytest.fixture
def staged_event(platform: Platform, sign_up: Any) -> Stage:
    """The event, its booths and interpreters, not yet served (``base_url`` is empty)."""
    owner: Account = sign_up("olivia")
    people = {name: sign_up(name) for name in ("anna", "bernd", "chloe", "zed")}
    org = owner.organisation_id
    for name in ("anna", "bernd", "chloe"):
        join(owner, people[name])
    event = owner.create_event("Live test", ["de", "fr"])
    channels = {c["language_code"]: c for c in event["topics"][0]["channels"]}
    for name, lang in (("anna", "de"), ("bernd", "de"), ("chloe", "fr")):
        response = owner.client.post(
            f"/api/events/{event['id']}/booths/{channels[lang]['booth_id']}/interpreters",
            json={"user_id": people[name].user_id},
        )
        assert response.status_code == 201
    return Stage(
        base_url="",
        code=event["code"],
        event_id=event["id"],
        floor=channels[None]["id"],
        german=channels["de"]["id"],
        french=channels["fr"]["id"],
        speaker_key=speaker_key_of(platform, event["id"]),
        interpreters={n: _cookie(people[n]) for n in ("anna", "bernd", "chloe")},
        outsider=_cookie(people["zed"]),
        owner=_cookie(owner),
        organisation_id=org,
        booths={lang: channels[lang]["booth_id"] for lang in ("de", "fr")},
        user_ids={n: people[n].user_id for n in ("anna", "bernd", "chloe")},
    )


@pytest.fixture
def stage(platform: Platform, staged_event: Stage) -> Iterator[Stage]:
    """The event served for real by one node."""
    app = create_app(platform)
    with serving(app) as base_url:
        yield replace(staged_event, base_url=base_url, hub=app.state.live_hub)


@dataclass
class TwoNodes:
    """The staged event on nodes A and B."""

    stage: Stage
    a: str
    b: str
    hubs: dict[str, LiveHub]
    redis: RedisBus
    """The shared state as the test sees it (on the test's own connection)."""

    async def interpreter(self, node: str, name: str) -> LiveClient:
        """`name` joins their booth through `node`."""
        return await LiveClient.join(
            node, self.stage.code, role="interpreter", cookie=self.stage.interpreters[name]
        )


@pytest.fixture
def two_nodes(
    platform: Platform, staged_event: Stage, redis_server: RedisProcess, redis_prefix: str
) -> Iterator[TwoNodes]:
    """The staged event served by two app nodes (A and B) sharing a Redis bus."""
    apps = {
        name: create_app(platform, bus=RedisBus(redis_server.url, name, prefix=redis_prefix))
        for name in ("a", "b")
    }
    hubs = {n: app.state.live_hub for n, app in apps.items()}
    probe = RedisBus(redis_server.url, "test", prefix=redis_prefix)
    with serving(apps["a"]) as a, serving(apps["b"]) as b:
        yield TwoNodes(staged_event, a, b, hubs, probe)
