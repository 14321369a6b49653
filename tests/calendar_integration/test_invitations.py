"""Inviting imported contacts to an event from the registration page: only the
organiser's own contacts are mailed, with the event's registration link."""

from __future__ import annotations

from typing import Any

from tests.calendar_integration.servers import Dav
from tests.conftest import Account, RecordingMailer

URL = "/api/account/calendar"


def test_picked_contacts_get_the_registration_link_and_no_one_else(
    sign_up: Any, dav: Dav, outbox: RecordingMailer
) -> None:
    ada: Account = sign_up("ada")
    bob: Account = sign_up("bob")  # no connection, and not the event's organiser
    assert ada.client.put(URL, json=dav.body(None)).status_code == 200
    event = ada.create_event(
        "Summit", starts_at="2026-12-01T08:00:00+00:00", ends_at="2026-12-01T18:00:00+00:00"
    )
    ada.client.put(f"/api/events/{event['id']}/registration", json={"mode": "automatic"})
    page = f"/events/{event['id']}/registration"
    assert "grace@navy.example" in ada.client.get(page).text
    before = len(outbox.sent)
    picked = {"email": ["grace@navy.example", "alan@example.ac.uk", "stranger@example.org"]}
    sent = ada.client.post(f"{page}/invitations", data=picked, follow_redirects=False)
    assert sent.status_code == 303
    assert "invited=2" in sent.headers["location"]
    mails = outbox.sent[before:]
    assert sorted(m.to for m in mails) == ["alan@example.ac.uk", "grace@navy.example"]
    assert all(f"/register/{event['code']}" in m.body for m in mails)

    nobody = ada.client.post(f"{page}/invitations", data={"email": "stranger@example.org"})
    assert nobody.status_code == 422 and 'role="alert"' in nobody.text
    assert bob.client.post(f"{page}/invitations", data=picked).status_code == 404
    assert len(outbox.sent) == before + 2
