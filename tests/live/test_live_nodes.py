"""One live event served by two app nodes sharing their live state on Redis.

Each node has its own hub, bus connection and event loop (uvicorn in its own thread), as
two machines would; they share the database and a Redis server. The media plane here is
each node's embedded forwarder, so these tests prove the shared *state* (booth, lease,
presence, counts, chat, revocation); hearing across nodes needs a media plane both nodes
drive, which is Janus (``test_live_janus.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from interpreta.live import hub as live_hub
from interpreta.live.hub import mic_lease
from tests.live.conftest import TwoNodes
from tests.live.live_client import LiveClient, SignalingError
from tests.media.media_testkit import start_publisher, start_subscriber


def _booth(state: dict[str, Any]) -> dict[str, Any]:
    return dict(state["booth"])


async def test_the_booth_is_one_across_nodes(two_nodes: TwoNodes, closing: list[Any]) -> None:
    anna = await two_nodes.interpreter(two_nodes.a, "anna")
    bernd = await two_nodes.interpreter(two_nodes.b, "bernd")
    closing += [anna, bernd]
    closing.append(await start_publisher(anna, "", "", 880))
    closing.append(await start_publisher(bernd, "", "", 1320))
    await anna.request({"type": "mic", "on": True})
    anna_key = anna.welcome["participant"]
    on_b = await bernd.latest_state(lambda s: _booth(s)["on_air"] == anna_key)
    assert {seat["key"] for seat in _booth(on_b)["seats"]} == {
        anna_key,
        bernd.welcome["participant"],
    }
    assert all(seat["mic"] for seat in _booth(on_b)["seats"])

    await bernd.request({"type": "chat", "text": "numbers coming"})
    assert (await anna.next_message("chat"))["text"] == "numbers coming"

    await anna.request({"type": "handover", "action": "request"})
    assert (await bernd.next_message("handover.requested"))["giver"] == anna_key
    await bernd.request({"type": "handover", "action": "accept"})
    bernd_key = bernd.welcome["participant"]
    await anna.latest_state(lambda s: _booth(s)["on_air"] == bernd_key)
    assert await two_nodes.redis.holder(mic_lease(two_nodes.stage.german)) == bernd_key


async def test_two_nodes_never_both_put_a_mic_on_air(
    two_nodes: TwoNodes, closing: list[Any]
) -> None:
    anna = await two_nodes.interpreter(two_nodes.a, "anna")
    bernd = await two_nodes.interpreter(two_nodes.b, "bernd")
    closing += [anna, bernd]
    closing.append(await start_publisher(anna, "", "", 880))
    closing.append(await start_publisher(bernd, "", "", 1320))
    for _ in range(5):
        results = await asyncio.gather(
            anna.request({"type": "mic", "on": True}),
            bernd.request({"type": "mic", "on": True}),
            return_exceptions=True,
        )
        refused = [r for r in results if isinstance(r, SignalingError)]
        assert len(refused) == 1 and refused[0].code == "mate_on_air"
        winner = anna if results[0] is not refused[0] else bernd
        key = winner.welcome["participant"]
        assert await two_nodes.redis.holder(mic_lease(two_nodes.stage.german)) == key
        await winner.request({"type": "mic", "on": False})
        assert await two_nodes.redis.holder(mic_lease(two_nodes.stage.german)) is None


async def test_listeners_on_one_node_are_counted_on_the_other(
    two_nodes: TwoNodes, closing: list[Any]
) -> None:
    anna = await two_nodes.interpreter(two_nodes.a, "anna")
    listener = await LiveClient.join(two_nodes.b, two_nodes.stage.code, role="listener")
    closing += [anna, listener]
    closing.append(await start_subscriber(listener, str(two_nodes.stage.german), ""))

    def german_listeners(state: dict[str, Any]) -> int:
        return next(c for c in state["channels"] if c["id"] == two_nodes.stage.german)["listeners"]

    await anna.latest_state(lambda s: german_listeners(s) == 1)
    await listener.close()
    await anna.latest_state(lambda s: german_listeners(s) == 0)


async def test_rights_revoked_on_one_node_end_sessions_on_the_other(
    two_nodes: TwoNodes, closing: list[Any]
) -> None:
    anna = await two_nodes.interpreter(two_nodes.b, "anna")
    closing.append(anna)
    stage = two_nodes.stage
    url = f"/api/events/{stage.event_id}/booths/{stage.booths['de']}/interpreters"
    with httpx.Client(base_url=two_nodes.a, cookies={"interpreta_session": stage.owner}) as owner:
        removed = await asyncio.to_thread(owner.delete, f"{url}/{stage.user_ids['anna']}")
    assert removed.status_code == 200
    revoked = await anna.next_message("error", timeout=2)
    assert revoked["code"] == "revoked"
    await asyncio.wait_for(anna.ws.wait_closed(), 2)
    assert anna.ws.close_code == 4403


async def test_a_hung_node_loses_the_air_and_then_its_seats(
    two_nodes: TwoNodes, closing: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_hub, "LEASE_TTL", 0.6)
    monkeypatch.setattr(live_hub, "KEEP_ALIVE", 0.2)
    monkeypatch.setattr(live_hub, "NODE_TTL", 1.5)
    anna = await two_nodes.interpreter(two_nodes.b, "anna")
    bernd = await two_nodes.interpreter(two_nodes.a, "bernd")
    closing += [anna, bernd]
    closing.append(await start_publisher(anna, "", "", 880))
    await anna.request({"type": "mic", "on": True})
    anna_key = anna.welcome["participant"]
    await bernd.latest_state(lambda s: _booth(s)["on_air"] == anna_key)
    keeper = two_nodes.hubs["b"]._keeper  # node B stops renewing, as if it hung
    assert keeper is not None
    deadline = asyncio.get_running_loop().time() + 5
    while not keeper.done():  # a cancel landing inside a Redis call can be lost there
        keeper.get_loop().call_soon_threadsafe(keeper.cancel)
        await asyncio.sleep(0.05)
        assert asyncio.get_running_loop().time() < deadline, "node B's keeper goes on"
    try:
        await bernd.latest_state(lambda s: _booth(s)["on_air"] is None, timeout=15)
    except AssertionError as exc:  # rare here (about 1 run in 8 of the whole suite): say why
        holder = await two_nodes.redis.holder(mic_lease(two_nodes.stage.german))
        raise AssertionError(
            f"the lapse was never seen: lease holder {holder!r} (anna {anna_key!r}), "
            f"B's keeper done: {keeper.done()}, A's keeper done: "
            f"{two_nodes.hubs['a']._keeper.done() if two_nodes.hubs['a']._keeper else None}"
        ) from exc
    # B stopped beating too: it is gone, and anna, seated through it, with it
    seats = await bernd.latest_state(lambda s: len(_booth(s)["seats"]) == 1, timeout=6)
    assert _booth(seats)["seats"][0]["key"] == bernd.welcome["participant"]
