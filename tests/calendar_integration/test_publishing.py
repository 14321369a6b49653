"""Publishing follows the organiser's events: a change is put again, a deleted, ended or
past event is removed, and what the platform did not write stays; only the events of
organisations the person organises are published."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from interpreta.calendar_integration.publishing import uid_of
from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from tests.calendar_integration.servers import Dav
from tests.conftest import Account, join

URL = "/api/account/calendar"
FOREIGN = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Someone else//EN\r
BEGIN:VEVENT\r
UID:dentist-appointment\r
DTSTAMP:20261101T000000Z\r
DTSTART:20261125T080000Z\r
DTEND:20261125T090000Z\r
SUMMARY:Dentist\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _connected(ada: Account, dav: Dav) -> str:
    """Connect `ada`'s new calendar (no address book); its URL."""
    calendar_url = dav.new_calendar()
    connected = ada.client.put(URL, json=dav.body(calendar_url, addressbook_url=None))
    assert connected.status_code == 200, connected.text
    return calendar_url


def _sync(account: Account) -> None:
    synced = account.client.post(f"{URL}/sync")
    assert synced.status_code == 200, synced.text


def test_a_changed_event_is_put_again_and_a_deleted_one_removed(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    kept = ada.create_event("Board meeting", timezone="Europe/Berlin")
    dropped = ada.create_event("Draft to delete")
    calendar_url = _connected(ada, dav)
    dav.put_foreign(calendar_url, "dentist-appointment", FOREIGN)
    kept_uid, dropped_uid = (
        uid_of(kept["id"], platform.settings),
        uid_of(dropped["id"], platform.settings),
    )
    published = dav.events(calendar_url)
    assert sorted(published) == sorted([kept_uid, dropped_uid, "dentist-appointment"])
    assert "DTSTART;TZID=Europe/Berlin:20261124T090000" in published[kept_uid]

    renamed = ada.client.patch(f"/api/events/{kept['id']}", json={"title": "Board meeting (moved)"})
    assert renamed.status_code == 200, renamed.text
    assert ada.client.delete(f"/api/events/{dropped['id']}").status_code == 204
    _sync(ada)
    published = dav.events(calendar_url)
    assert sorted(published) == sorted([kept_uid, "dentist-appointment"])
    assert "SUMMARY:Board meeting (moved)" in published[kept_uid]
    assert "SUMMARY:Dentist" in published["dentist-appointment"]  # not ours: untouched


def test_ended_and_past_events_are_removed(
    platform: Platform, clock: FrozenClock, sign_up: Any, dav: Dav
) -> None:
    ada: Account = sign_up("ada")
    ended = ada.create_event("Ends early")
    later = ada.create_event(
        "Next week",
        starts_at="2026-12-01T08:00:00+00:00",
        ends_at="2026-12-01T18:00:00+00:00",
    )
    calendar_url = _connected(ada, dav)
    assert len(dav.events(calendar_url)) == 2

    closed = ada.client.patch(f"/api/events/{ended['id']}", json={"status": "ended"})
    assert closed.status_code == 200, closed.text
    _sync(ada)
    assert list(dav.events(calendar_url)) == [uid_of(later["id"], platform.settings)]

    clock.advance(timedelta(days=8))
    _sync(ada)
    assert dav.events(calendar_url) == {}


def test_only_events_the_person_organises_are_published(
    platform: Platform, sign_up: Any, dav: Dav
) -> None:
    olga: Account = sign_up("olga")
    ivan: Account = sign_up("ivan")
    oscar: Account = sign_up("oscar")
    join(olga, ivan, "interpreter")
    join(olga, oscar, "organiser")
    event = olga.create_event("Summit")
    assert dav.events(_connected(ivan, dav)) == {}  # an interpreter organises nothing
    published = dav.events(_connected(oscar, dav))
    assert list(published) == [uid_of(event["id"], platform.settings)]
