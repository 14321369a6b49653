"""A live event end to end through signaling: real aiortc peers, real server, real tones.

The speaker sends 440 Hz, the German booth's interpreters 880 and 1320 Hz, the
French interpreter listens on relay. Listeners hear the channel they chose.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from interpreta.events.models import ConnectionSession, Participant, UsageEvent
from interpreta.platform import Platform
from tests.live.conftest import Stage
from tests.live.live_client import InSlot, LiveClient, SignalingError
from tests.media.media_testkit import start_publisher, start_subscriber


async def test_interpretation_handover_relay_and_language_switch(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    join = LiveClient.join
    speaker = await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
    anna = await join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["anna"]
    )
    bernd = await join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["bernd"]
    )
    chloe = await join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["chloe"]
    )
    listener = await join(stage.base_url, stage.code, role="listener")
    closing += [speaker, anna, bernd, chloe, listener]
    assert anna.welcome["booth"]["channel_id"] == stage.german

    closing.append(await start_publisher(speaker, "", "", 440))
    closing.append(await start_publisher(anna, "", "", 880))
    closing.append(await start_publisher(bernd, "", "", 1320))
    await anna.request({"type": "mic", "on": True})

    ear = await start_subscriber(listener, str(stage.german), "")
    closing.append(ear)
    await ear.wait_for_tone(880, timeout=8)

    asked = time.monotonic()
    await listener.request({"type": "switch", "channel_id": stage.floor})
    heard_at = await ear.wait_for_tone(440, after=asked)
    assert heard_at - asked < 0.5, "switching language takes under half a second"

    await listener.request({"type": "switch", "channel_id": stage.german})
    await ear.wait_for_tone(880, after=time.monotonic())

    # the booth mate cannot just switch on: handover it is
    with pytest.raises(SignalingError) as refused:
        await bernd.request({"type": "mic", "on": True})
    assert refused.value.code == "mate_on_air"
    await anna.request({"type": "handover", "action": "request"})
    await bernd.next_message("handover.requested")
    handed = time.monotonic()
    await bernd.request({"type": "handover", "action": "accept"})
    await ear.wait_for_tone(1320, after=handed)

    # relay: the French interpreter hears the German booth
    relay = await start_subscriber(chloe, str(stage.german), "")
    closing.append(relay)
    await relay.wait_for_tone(1320, timeout=8)

    # interpreters see who is on air and how many listen
    state = await anna.latest_state(
        lambda s: any(c["id"] == stage.german and c.get("listeners") == 2 for c in s["channels"])
    )
    german = next(c for c in state["channels"] if c["id"] == stage.german)
    assert german["on_air"] and german["on_air_name"] == "Bernd"
    assert state["booth"]["on_air"] == bernd.welcome["participant"]

    # cough key: bernd's channel goes quiet for the listener while held
    await bernd.request({"type": "cough", "held": True})
    await listener.latest_state(
        lambda s: not next(c for c in s["channels"] if c["id"] == stage.german)["on_air"]
    )
    await bernd.request({"type": "cough", "held": False})

    # slow-down reaches the speaker
    await chloe.request({"type": "slowdown"})
    signal = await speaker.next_message("slowdown")
    assert signal["language"] == "fr"

    # booth chat reaches the booth mate, not the other booth
    await anna.request({"type": "chat", "text": "Numbers coming up, slide 12"})
    assert (await bernd.next_message("chat"))["text"] == "Numbers coming up, slide 12"
    assert not [m for m in chloe.messages if m.get("type") == "chat"]

    await asyncio.sleep(0.3)
    with platform.sessions() as db:
        sessions = db.scalars(select(ConnectionSession)).all()
        kinds = set(db.scalars(select(UsageEvent.kind)).all())
    listener_session = next(
        s
        for s in sessions
        if s.media_session_id and ":ear:" in s.media_session_id and s.stream_id == str(stage.german)
    )
    assert listener_session.ip_address == "127.0.0.1"
    assert {"join", "listen", "switch", "publish", "mic_on"} <= kinds


async def test_listeners_cannot_publish(stage: Stage, closing: list[Any]) -> None:
    listener = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing.append(listener)
    with pytest.raises(SignalingError) as refused:
        await start_publisher(listener, "", "", 440)
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("role", "credentials"),
    [
        ("speaker", {"key": "wrong"}),
        ("moderator", {}),
        ("interpreter", {}),
        ("interpreter", {"cookie": "outsider"}),
        ("moderator", {"cookie": "outsider"}),
        ("conductor", {}),
    ],
)
async def test_joins_without_the_right_are_refused(
    stage: Stage, role: str, credentials: dict[str, str]
) -> None:
    if credentials.get("cookie") == "outsider":
        credentials = {"cookie": stage.outsider}
    with pytest.raises(SignalingError) as refused:
        await LiveClient.join(stage.base_url, stage.code, role=role, **credentials)
    assert refused.value.code == "refused"


async def test_an_unknown_code_is_refused(stage: Stage) -> None:
    with pytest.raises(SignalingError):
        await LiveClient.join(stage.base_url, "ZZZZZZZ", role="listener")


async def test_a_booth_mate_is_told_when_the_interpreter_drops(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    anna = await LiveClient.join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["anna"]
    )
    bernd = await LiveClient.join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["bernd"]
    )
    closing.append(bernd)
    mic = await start_publisher(anna, "", "", 880)
    await anna.request({"type": "mic", "on": True})
    await bernd.latest_state(lambda s: s["booth"]["on_air"] == anna.welcome["participant"])
    await mic.close()
    await anna.close()
    await bernd.next_message("booth.left")
    state = await bernd.latest_state(lambda s: s["booth"]["on_air"] is None)
    assert [seat["name"] for seat in state["booth"]["seats"]] == ["Bernd"]
    with platform.sessions() as db:
        left = db.scalars(select(ConnectionSession.left_at)).all()
        roles = {p.role.value for p in db.scalars(select(Participant))}
    assert any(t is not None for t in left)
    assert roles == {"interpreter"}


async def test_a_booth_added_while_the_event_is_live_can_be_joined(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    from interpreta.accounts.models import User
    from interpreta.events import actions
    from interpreta.events.models import Event

    listener = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing.append(listener)
    with platform.transaction() as db:
        event = db.get(Event, stage.event_id)
        assert event is not None
        actions.add_language(db, event, actions.LanguageSpec("it"))
        italian = next(c for c in event.topics[0].channels if c.language_code == "it")
        chloe = db.scalar(select(User).where(User.email == "chloe@example.org"))
        assert italian.booth is not None and chloe is not None
        actions.assign_interpreter(db, event, italian.booth, chloe.id)
        booth_id, channel_id = italian.booth.id, italian.id
    chloe_client = await LiveClient.join(
        stage.base_url,
        stage.code,
        role="interpreter",
        cookie=stage.interpreters["chloe"],
        booth_id=booth_id,
    )
    closing.append(chloe_client)
    assert chloe_client.welcome["booth"]["channel_id"] == channel_id
    closing.append(await start_publisher(chloe_client, "", "", 660))
    await chloe_client.request({"type": "mic", "on": True})
    ear = await start_subscriber(listener, str(channel_id), "")
    closing.append(ear)
    await ear.wait_for_tone(660, timeout=8)


async def test_listeners_give_what_the_organiser_asks_and_speakers_may_leave_a_phone(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    from interpreta.events.models import Event, ListenerDetails

    with platform.transaction() as db:
        event = db.get(Event, stage.event_id)
        assert event is not None
        event.listener_details = ListenerDetails.NAME_AND_EMAIL
    with pytest.raises(SignalingError, match="asks for your name"):
        await LiveClient.join(stage.base_url, stage.code, role="listener")
    with pytest.raises(SignalingError, match="valid email address"):
        await LiveClient.join(stage.base_url, stage.code, role="listener", name="Lu", email="x")
    listener = await LiveClient.join(
        stage.base_url, stage.code, role="listener", name=" Lu\x00 Li ", email="Lu@Example.org"
    )
    speaker = await LiveClient.join(
        stage.base_url, stage.code, role="speaker", key=stage.speaker_key, phone="+49 30 123456"
    )
    closing += [listener, speaker]
    with pytest.raises(SignalingError, match="phone number"):
        await LiveClient.join(
            stage.base_url, stage.code, role="speaker", key=stage.speaker_key, phone="call me"
        )
    with platform.sessions() as db:
        people = {p.role.value: p for p in db.scalars(select(Participant))}
    assert (people["listener"].first_name, people["listener"].email) == ("Lu Li", "lu@example.org")
    assert people["listener"].phone is None
    assert people["speaker"].phone == "+49 30 123456"  # read back through the encryption
    with platform.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT phone FROM participants WHERE role='speaker'")
        assert str(stored.scalar()).startswith("v1:")  # encrypted at rest (P22)


def _as_owner(stage: Stage) -> httpx.Client:
    """The organiser, talking to the server that runs the live event."""
    return httpx.Client(base_url=stage.base_url, cookies={"interpreta_session": stage.owner})


async def _ended(client: LiveClient, why: str) -> None:
    """The client was told `why` and its session closed (within a second)."""
    revoked = await client.next_message("error", timeout=1)
    assert revoked["code"] == "revoked" and why in revoked["message"]
    await asyncio.wait_for(client.ws.wait_closed(), 1)
    assert client.ws.close_code == 4403


async def test_live_sessions_end_when_their_rights_do(stage: Stage, closing: list[Any]) -> None:
    join = LiveClient.join
    anna = await join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["anna"]
    )
    bernd = await join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["bernd"]
    )
    chloe = await join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["chloe"]
    )
    speaker = await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
    listener = await join(stage.base_url, stage.code, role="listener")
    closing += [anna, bernd, chloe, speaker, listener]
    with _as_owner(stage) as owner:
        booth = stage.booths["de"]
        url = f"/api/events/{stage.event_id}/booths/{booth}/interpreters/{stage.user_ids['anna']}"
        assert (await asyncio.to_thread(owner.delete, url)).status_code == 200
        await _ended(anna, "took you off this booth")
        assert not bernd.ws.close_code  # her booth mate stays

        rotated = await asyncio.to_thread(owner.post, f"/api/events/{stage.event_id}/speaker-link")
        assert rotated.status_code == 200
        await _ended(speaker, "speaker link was replaced")
        with pytest.raises(SignalingError, match="speaker link"):
            await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
        again = await join(stage.base_url, stage.code, role="speaker", key=rotated.json()["key"])
        closing.append(again)

        members = f"/api/organisations/{stage.organisation_id}/members/{stage.user_ids['chloe']}"
        assert (await asyncio.to_thread(owner.delete, members)).status_code == 204
        await _ended(chloe, "no longer a member")

        ended = await asyncio.to_thread(
            owner.patch, f"/api/events/{stage.event_id}", json={"status": "ended"}
        )
        assert ended.status_code == 200
        for client in (bernd, again, listener):
            await _ended(client, "ended the event")


async def test_a_listener_mixes_the_floor_beneath_the_interpretation(
    stage: Stage, closing: list[Any]
) -> None:
    join = LiveClient.join
    speaker = await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
    anna = await join(
        stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters["anna"]
    )
    listener = await join(stage.base_url, stage.code, role="listener")
    closing += [speaker, anna, listener]
    closing.append(await start_publisher(speaker, "", "", 440))
    closing.append(await start_publisher(anna, "", "", 880))
    await anna.request({"type": "mic", "on": True})

    ear = await start_subscriber(listener, str(stage.german), "")
    beneath = await start_subscriber(InSlot(listener, "under"), str(stage.floor), "")  # type: ignore[arg-type]
    closing += [ear, beneath]
    await ear.wait_for_tone(880, timeout=8)
    await beneath.wait_for_tone(440, timeout=8)
    # one listener, of German: the floor beneath does not count as listening to it
    counts = await anna.latest_state(
        lambda s: {c["id"]: c["listeners"] for c in s["channels"]}[stage.german] == 1
    )
    assert {c["id"]: c["listeners"] for c in counts["channels"]}[stage.floor] == 0

    with pytest.raises(SignalingError) as refused:
        await listener.request({"type": "switch", "channel_id": stage.floor, "slot": "aside"})
    assert refused.value.code == "bad_request"
    await listener.request({"type": "unsubscribe", "slot": "under"})
    stopped = time.monotonic()
    await asyncio.sleep(0.5)
    assert not [p for p in beneath.rtp if p[0] > stopped + 0.2], "the floor still comes"
    await ear.wait_for_tone(880, after=time.monotonic())  # the interpretation plays on
