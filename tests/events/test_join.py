"""Joining by event code: public info in one answer, never stale after a change."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.testclient import TestClient

from interpreta.app import create_app
from interpreta.bus.redis_backend import RedisBus
from interpreta.bus.redis_process import RedisProcess
from interpreta.datamap.activities import CUSTOMER_VIEW
from interpreta.db.engine import make_sessionmaker
from interpreta.events.join_cache import PublicInfoCache
from interpreta.events.models import Event
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from tests.conftest import Account


def _event(owner: Account) -> dict[str, Any]:
    response = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events",
        json={
            "title": "Open day",
            "starts_at": "2026-12-01T09:00:00+01:00",
            "ends_at": "2026-12-01T17:00:00+01:00",
            "timezone": "Europe/Madrid",
            "languages": [{"code": "es"}, {"code": "en", "name": "English (UK)"}],
            "topics": ["Main hall", "Side room"],
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_join_returns_public_info_and_every_channel(platform: Platform, sign_up: Any) -> None:
    event = _event(sign_up("ola"))
    anonymous = TestClient(create_app(platform), base_url="https://testserver")
    response = anonymous.get(f"/api/join/{event['code'].lower()}")
    assert response.status_code == 200
    info = response.json()
    assert info["title"] == "Open day" and info["timezone"] == "Europe/Madrid"
    assert [t["name"] for t in info["topics"]] == ["Main hall", "Side room"]
    channels = info["topics"][0]["channels"]
    assert [(c["kind"], c["language_code"], c["name"]) for c in channels] == [
        ("floor", None, "Floor"),
        ("language", "es", "Español (Spanish)"),
        ("language", "en", "English (UK)"),
    ]
    assert "organisation_id" not in info and "interpreters" not in str(info)


def test_join_sees_changes_at_once_despite_the_cache(platform: Platform, sign_up: Any) -> None:
    owner = sign_up("oz")
    event = _event(owner)
    anonymous = TestClient(create_app(platform), base_url="https://testserver")
    assert anonymous.get(f"/api/join/{event['code']}").json()["title"] == "Open day"
    owner.client.patch(f"/api/events/{event['id']}", json={"title": "Open day (moved)"})
    owner.client.post(f"/api/events/{event['id']}/languages", json={"code": "fr"})
    info = anonymous.get(f"/api/join/{event['code']}").json()
    assert info["title"] == "Open day (moved)"
    assert "fr" in [c["language_code"] for c in info["topics"][1]["channels"]]
    owner.client.delete(f"/api/events/{event['id']}")
    assert anonymous.get(f"/api/join/{event['code']}").status_code == 404


async def test_an_audience_arriving_at_once_costs_one_query(
    platform: Platform, sign_up: Any
) -> None:
    event = _event(sign_up("ursula"))
    cache = platform.join_cache
    cache.clear()
    loads = 0
    original = cache.load

    def counting(code: str) -> bytes | None:
        nonlocal loads
        loads += 1
        return original(code)

    cache.load = counting  # type: ignore[method-assign]
    answers = await asyncio.gather(*(cache.get(event["code"]) for _ in range(50)))
    assert loads == 1 and len(set(answers)) == 1 and answers[0] is not None


def _counting_loads(platform: Platform) -> list[str]:
    """Record each code the join cache reads from the database."""
    cache = platform.join_cache
    cache.clear()
    loads: list[str] = []
    original = cache.load

    def counting(code: str) -> bytes | None:
        loads.append(code)
        return original(code)

    cache.load = counting  # type: ignore[method-assign]
    return loads


def test_the_join_page_reads_the_cache_not_the_database(platform: Platform, sign_up: Any) -> None:
    event = _event(sign_up("pia"))
    anonymous = TestClient(create_app(platform), base_url="https://testserver")
    loads = _counting_loads(platform)
    for _ in range(3):
        page = anonymous.get(f"/join/{event['code']}")
        assert page.status_code == 200 and "Open day" in page.text
    assert anonymous.get(f"/api/join/{event['code']}").json()["title"] == "Open day"
    assert len(loads) == 1
    assert anonymous.get("/join/NOSUCHCODE1").status_code == 404


async def test_a_change_on_one_node_clears_every_node_s_cache_at_once(
    platform: Platform, sign_up: Any, redis_server: RedisProcess, redis_prefix: str
) -> None:
    """Two nodes (their own sessions and caches) share a Redis bus; a cache that would
    otherwise keep its entry for a minute is cleared as soon as the other node commits."""
    event = _event(sign_up("quinn"))
    buses = [RedisBus(redis_server.url, name, prefix=redis_prefix) for name in ("a", "b")]
    on_a = make_sessionmaker(platform.engine)
    caches = [PublicInfoCache(on_a), PublicInfoCache(make_sessionmaker(platform.engine), ttl=60)]
    stops = [await cache.share(bus) for cache, bus in zip(caches, buses, strict=True)]
    try:
        assert caches[1].info(event["code"])["title"] == "Open day"  # type: ignore[index]
        with processing(CUSTOMER_VIEW), on_a.begin() as db:
            db.get_one(Event, event["id"]).title = "Open day (moved)"
        for _ in range(100):
            hit, _body = caches[1].cached(event["code"])
            if not hit:
                break
            await asyncio.sleep(0.01)
        assert caches[1].info(event["code"])["title"] == "Open day (moved)"  # type: ignore[index]
    finally:
        for stop in stops:
            await stop()
        for bus in buses:
            await bus.close()
