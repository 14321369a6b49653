"""The calendar on the account page works without JavaScript: plain forms connect,
synchronise and disconnect, and a refusal shows why with what was typed (never the
password)."""

from __future__ import annotations

from typing import Any

from interpreta.platform import Platform
from tests.calendar_integration.servers import Dav
from tests.conftest import Account


def test_connect_sync_and_disconnect_with_plain_forms(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    ada.create_event("Board meeting")
    page = ada.client.get("/account")
    assert page.status_code == 200 and 'action="/account/calendar"' in page.text

    calendar_url = dav.new_calendar()
    form = dav.body(calendar_url)
    refused = ada.client.post("/account/calendar", data={**form, "password": "wrong-guess"})
    assert refused.status_code == 422
    assert "refused the credentials" in refused.text
    assert calendar_url in refused.text and "wrong-guess" not in refused.text

    control = ada.client.post("/account/calendar", data={**form, "username": "ada\x00"})
    assert control.status_code == 422 and "Control characters" in control.text

    connected = ada.client.post("/account/calendar", data=form)
    assert connected.status_code == 200  # after the redirect to the account page
    assert "Your calendar is connected" in connected.text
    assert "<dd>3</dd>" in connected.text and dav.server.password not in connected.text
    assert len(dav.events(calendar_url)) == 1

    synced = ada.client.post("/account/calendar/sync")
    assert synced.status_code == 200 and "Your calendar is up to date" in synced.text

    gone = ada.client.post("/account/calendar/disconnect")
    assert gone.status_code == 200 and "Your calendar is disconnected" in gone.text
    assert 'action="/account/calendar"' in gone.text
    assert ada.client.get("/api/account/calendar").status_code == 404
