"""Meeting and webinar modes through real signaling: who may talk, hands, muting,
co-hosts, the waiting room and reactions."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from interpreta.events.models import Event, EventMode, ListenerDetails
from interpreta.i18n.catalogues import translations
from interpreta.platform import Platform
from tests.live.conftest import Stage
from tests.live.live_client import InSlot, LiveClient, SignalingError
from tests.media.media_testkit import start_publisher, start_subscriber


def _configure(
    platform: Platform,
    stage: Stage,
    *,
    mode: EventMode = EventMode.WEBINAR,
    waiting_room: bool = False,
) -> None:
    """Set the event's mode and waiting room; listeners give their name."""
    with platform.transaction() as db:
        event = db.get_one(Event, stage.event_id)
        event.mode, event.waiting_room = mode, waiting_room
        event.listener_details = ListenerDetails.NAME


async def _host(stage: Stage) -> LiveClient:
    return await LiveClient.join(stage.base_url, stage.code, role="moderator", cookie=stage.owner)


async def _listener(stage: Stage, name: str = "Lea", **join: Any) -> LiveClient:
    return await LiveClient.join(stage.base_url, stage.code, role="listener", name=name, **join)


def _you(client: LiveClient) -> dict[str, Any]:
    return [m for m in client.messages if m.get("type") == "state"][-1]["you"]


async def test_in_a_webinar_attendees_talk_only_when_a_host_lets_them(
    platform: Platform, stage: Stage, closing: list[Any]
) -> None:
    _configure(platform, stage)
    host, lea = await _host(stage), await _listener(stage)
    closing += [host, lea]
    assert lea.welcome["state"]["you"] == {
        "host": False,
        "cohost": False,
        "waiting": False,
        "hand": False,
        "may_talk": False,
        "mode": "webinar",
        "heard_in": None,
    }
    with pytest.raises(SignalingError) as refused:
        await start_publisher(lea, "", "", 440)
    assert refused.value.code == "forbidden"

    await lea.request({"type": "hand", "raised": True})
    lea_key = lea.welcome["participant"]
    state = await host.latest_state(lambda s: s.get("hands"))
    assert state["hands"] == [{"key": lea_key, "name": "Lea"}]
    await host.request({"type": "talk.allow", "key": lea_key})
    await lea.latest_state(lambda s: s["you"]["may_talk"] and not s["you"]["hand"])
    closing.append(await start_publisher(lea, "", "", 440))
    await host.latest_state(lambda s: any(c["on_air"] for c in s["channels"]))

    await host.request({"type": "mute", "key": lea_key})
    assert (await lea.next_message("muted"))["by"] == "Olivia"
    await host.latest_state(lambda s: not any(c["on_air"] for c in s["channels"]))
    await lea.latest_state(lambda s: not s["you"]["may_talk"])
    with pytest.raises(SignalingError):  # muted in a webinar: the permission went too
        await start_publisher(lea, "", "", 440)


@pytest.mark.parametrize("language", ["de", "fr", "es", "it"])
async def test_a_refusal_comes_in_the_participants_language(
    platform: Platform, stage: Stage, closing: list[Any], language: str
) -> None:
    _configure(platform, stage)
    lea = await _listener(stage, language=language)
    closing.append(lea)
    english = "Listeners cannot publish: in a webinar, raise your hand and a host can let you talk."
    with pytest.raises(SignalingError) as refused:
        await start_publisher(lea, "", "", 440)
    assert refused.value.code == "forbidden"  # the code stays; the words are the reader's
    said = refused.value.reply["message"]
    assert said == translations(language).gettext(english) and said != english
    with pytest.raises(SignalingError) as refused:
        await lea.request({"type": "zz"})
    assert refused.value.reply["message"] == translations(language).gettext(
        "Unknown message type %(type)s."
    ) % {"type": "'zz'"}


async def test_in_a_meeting_everyone_talks_and_hosts_mute(
    platform: Platform, stage: Stage, closing: list[Any]
) -> None:
    _configure(platform, stage, mode=EventMode.MEETING, waiting_room=False)
    host, lea = await _host(stage), await _listener(stage)
    closing += [host, lea]
    assert lea.welcome["state"]["you"]["may_talk"] is True
    closing.append(await start_publisher(lea, "", "", 440))
    await host.latest_state(lambda s: any(c["on_air"] for c in s["channels"]))
    await host.request({"type": "mute", "key": lea.welcome["participant"]})
    await lea.next_message("muted")
    await host.latest_state(lambda s: not any(c["on_air"] for c in s["channels"]))
    closing.append(await start_publisher(lea, "", "", 440))  # a meeting: unmute yourself


def _floor(state: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in state["channels"] if c["kind"] == "floor")


async def test_in_a_meeting_several_talk_at_once_each_on_a_lane_of_the_floor(
    platform: Platform, stage: Stage, closing: list[Any]
) -> None:
    _configure(platform, stage, mode=EventMode.MEETING)
    talkers = {name: await _listener(stage, name) for name in ("Lea", "Max", "Nia")}
    ola, host = await _listener(stage, "Ola"), await _host(stage)
    closing += [*talkers.values(), ola, host]
    voices = {}
    for name, tone in (("Lea", 440), ("Max", 660), ("Nia", 880)):
        voices[name] = await start_publisher(talkers[name], "", "", tone)
        closing.append(voices[name])
    state = await ola.latest_state(lambda s: _floor(s)["lanes"] == [True, True, False])
    assert _floor(state)["on_air"]

    floor = str(stage.floor)
    main = await start_subscriber(ola, floor, "")
    lane1 = await start_subscriber(InSlot(ola, "lane1"), floor, "")  # type: ignore[arg-type]
    lane2 = await start_subscriber(InSlot(ola, "lane2"), floor, "")  # type: ignore[arg-type]
    closing += [main, lane1, lane2]
    await main.wait_for_tone(880, timeout=8)  # the latest talker on the floor itself
    await lane1.wait_for_tone(440, timeout=8)  # the others in the order they began
    await lane2.wait_for_tone(660, timeout=8)
    # each talker is told where their own voice is, so their page mutes it
    for name, place in (("Nia", "floor"), ("Lea", "lane1"), ("Max", "lane2")):
        await talkers[name].latest_state(lambda s, p=place: s["you"]["heard_in"] == p)
    assert _you(ola)["heard_in"] is None
    # hearing the lanes is not listening to the floor three times: Ola counts once
    await host.latest_state(lambda s: _floor(s)["listeners"] == 1)
    await asyncio.sleep(0.3)
    assert _floor(await host.latest_state(lambda s: True))["listeners"] == 1

    await voices["Nia"].close()  # Nia stops: Max, the latest left, has the floor
    await ola.latest_state(lambda s: _floor(s)["lanes"] == [True, False, False], timeout=8)
    await main.wait_for_tone(660, after=time.monotonic(), timeout=8)
    await lane1.wait_for_tone(440, after=time.monotonic(), timeout=8)  # Lea did not move
    await talkers["Lea"].latest_state(lambda s: s["you"]["heard_in"] == "lane1")
    await talkers["Max"].latest_state(lambda s: s["you"]["heard_in"] == "floor")


async def test_only_a_floor_has_lanes(stage: Stage, closing: list[Any]) -> None:
    ola = await _listener(stage, "Ola")
    closing.append(ola)
    with pytest.raises(SignalingError) as refused:  # nothing heard in lane 1 yet
        await ola.request({"type": "switch", "channel_id": stage.floor, "slot": "lane1"})
    assert refused.value.code == "not_listening"
    await ola.request({"type": "unsubscribe", "slot": "lane2"})  # nothing to stop: fine
    for slot, channel in (
        ("lane1", stage.german),
        ("lane9", stage.floor),
        ("lane0", stage.floor),
        ("LANE1", stage.floor),
    ):
        with pytest.raises(SignalingError) as refused:  # no such lane, or not a floor's
            await start_subscriber(InSlot(ola, slot), str(channel), "")  # type: ignore[arg-type]
        assert refused.value.code == "bad_request", slot
    lane = await start_subscriber(InSlot(ola, "lane1"), str(stage.floor), "")  # type: ignore[arg-type]
    closing.append(lane)
    with pytest.raises(SignalingError) as refused:  # a lane cannot move to a language
        await ola.request({"type": "switch", "channel_id": stage.german, "slot": "lane1"})
    assert refused.value.code == "bad_request"


async def test_the_waiting_room_holds_attendees_until_a_host_lets_them_in(
    platform: Platform, stage: Stage, closing: list[Any]
) -> None:
    _configure(platform, stage, mode=EventMode.WEBINAR, waiting_room=True)
    host = await _host(stage)
    assert host.welcome["waiting"] is False  # hosts never wait
    lea, max_ = await _listener(stage, "Lea"), await _listener(stage, "Max")
    closing += [host, lea, max_]
    assert lea.welcome["waiting"] is True
    with pytest.raises(SignalingError) as refused:
        await lea.request({"type": "content"})
    assert refused.value.code == "waiting"
    await host.request({"type": "chat.send", "text": "Only for those inside"})
    state = await host.latest_state(lambda s: len(s.get("waiting", [])) == 2)
    assert [w["name"] for w in state["waiting"]] == ["Lea", "Max"]
    assert not [m for m in lea.messages if m.get("type") == "chat.message"]

    await host.request({"type": "lobby.admit", "key": lea.welcome["participant"]})
    await lea.next_message("admitted")
    await lea.latest_state(lambda s: not s["you"]["waiting"])
    assert (await lea.request({"type": "content"}))["chat"][0]["text"] == "Only for those inside"

    max_key = max_.welcome["participant"]
    await host.request({"type": "lobby.deny", "key": max_key})
    assert (await max_.next_message("error"))["code"] == "revoked"
    await host.latest_state(lambda s: s.get("waiting") == [])
    with pytest.raises(SignalingError):
        await _listener(stage, "Max", resume=max_key)
    # someone let in comes back in without waiting again
    again = await _listener(stage, "Lea", resume=lea.welcome["participant"])
    closing.append(again)
    assert again.welcome["waiting"] is False


async def test_a_co_host_moderates_like_a_host(
    platform: Platform, stage: Stage, closing: list[Any]
) -> None:
    _configure(platform, stage)
    host, lea, max_ = (
        await _host(stage),
        await _listener(stage, "Lea"),
        await _listener(stage, "Max"),
    )
    closing += [host, lea, max_]
    sent = await max_.request({"type": "chat.send", "text": "spam"})
    with pytest.raises(SignalingError):
        await lea.request({"type": "chat.delete", "message_id": sent["message"]["id"]})
    await host.request({"type": "cohost", "key": lea.welcome["participant"]})
    await lea.latest_state(lambda s: s["you"]["cohost"] and s["you"]["host"])
    state = await lea.latest_state(lambda s: "participants" in s)
    assert any(p["name"] == "Max" for p in state["participants"])
    await lea.request({"type": "chat.delete", "message_id": sent["message"]["id"]})
    await lea.request({"type": "talk.allow", "key": max_.welcome["participant"]})
    await max_.latest_state(lambda s: s["you"]["may_talk"])
    await host.request({"type": "cohost", "key": lea.welcome["participant"], "on": False})
    await lea.latest_state(lambda s: not s["you"]["host"])
    with pytest.raises(SignalingError) as refused:
        await lea.request({"type": "mute", "key": max_.welcome["participant"]})
    assert refused.value.code == "forbidden"


async def test_reactions_reach_everyone_and_bad_requests_are_refused(
    platform: Platform, stage: Stage, closing: list[Any]
) -> None:
    _configure(platform, stage)
    host, lea = await _host(stage), await _listener(stage)
    closing += [host, lea]
    await lea.request({"type": "reaction", "emoji": "👏"})
    reaction = await host.next_message("reaction")
    assert reaction == {"type": "reaction", "emoji": "👏", "from": "Lea"}
    for request, code in (
        ({"type": "reaction", "emoji": "💩"}, "bad_request"),
        ({"type": "reaction"}, "bad_request"),
        ({"type": "mute", "key": host.welcome["participant"]}, "forbidden"),
        ({"type": "cohost", "key": lea.welcome["participant"]}, "forbidden"),
        ({"type": "lobby.admit", "key": "p_x"}, "forbidden"),
    ):
        with pytest.raises(SignalingError) as refused:
            await lea.request(request)
        assert refused.value.code == code, request
    for request in (
        {"type": "mute"},
        {"type": "mute", "key": 7},
        {"type": "mute", "key": host.welcome["participant"]},  # themselves
        {"type": "talk.allow", "key": "x" * 65},
    ):
        with pytest.raises(SignalingError) as refused:
            await host.request(request)
        assert refused.value.code == "bad_request", request
