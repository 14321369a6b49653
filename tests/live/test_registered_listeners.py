"""Where an event takes registrations, only an accepted registration's personal link
lets a listener in, as the registered person, on one device at a time; declining it
ends the session at once."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from interpreta.events.models import Participant
from interpreta.platform import Platform
from tests.conftest import RecordingMailer
from tests.live.conftest import Stage
from tests.live.live_client import LiveClient, SignalingError
from tests.live.test_live_session import _ended


async def test_only_an_accepted_registrations_link_lets_a_listener_in(
    platform: Platform, stage: Stage, outbox: RecordingMailer, closing: list[Any]
) -> None:
    owner = httpx.Client(base_url=stage.base_url, cookies={"interpreta_session": stage.owner})
    settings = owner.put(f"/api/events/{stage.event_id}/registration", json={"mode": "approval"})
    assert settings.status_code == 200
    form = {"first_name": "Lea", "last_name": "Listener", "email": "lea@example.org"}
    assert httpx.post(f"{stage.base_url}/register/{stage.code}", data=form).status_code == 200
    with pytest.raises(SignalingError, match="needs registration"):
        await LiveClient.join(stage.base_url, stage.code, role="listener")

    (lea,) = owner.get(f"/api/events/{stage.event_id}/registrations").json()
    decisions = f"/api/events/{stage.event_id}/registrations/{lea['id']}/decision"
    assert owner.post(decisions, json={"accept": True}).status_code == 204
    found = re.search(r"\?ticket=([\w.-]+)", outbox.sent[-1].body)
    assert found is not None
    ticket = found.group(1)
    with pytest.raises(SignalingError, match="needs registration"):
        await LiveClient.join(stage.base_url, stage.code, role="listener", ticket="1.forged")
    listener = await LiveClient.join(stage.base_url, stage.code, role="listener", ticket=ticket)
    closing.append(listener)
    with platform.sessions() as db:
        joined = db.scalars(select(Participant).where(Participant.role == "listener")).first()
    assert joined is not None
    assert (joined.first_name, joined.email) == ("Lea Listener", "lea@example.org")

    # the same link on a second device: the first session ends
    elsewhere = await LiveClient.join(stage.base_url, stage.code, role="listener", ticket=ticket)
    closing.append(elsewhere)
    await _ended(listener, "opened on another device")

    assert owner.post(decisions, json={"accept": False}).status_code == 204
    await _ended(elsewhere, "declined your registration")
    with pytest.raises(SignalingError, match="needs registration"):
        await LiveClient.join(stage.base_url, stage.code, role="listener", ticket=ticket)
