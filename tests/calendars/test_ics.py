"""Invitations as iCalendar: read back with icalendar (and vobject), property by property."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import vobject
from icalendar import Calendar, Component

from interpreta.calendars.ics import PRODUCT_ID, Invitation, cancel, published, request

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STAMP = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
JOIN = "https://interpreta.example/join/8f2c?lang=de&t=abc"


def invitation(**changes: Any) -> Invitation:
    """An invitation to a 90-minute event in Berlin; `changes` replace its fields."""
    base = Invitation(
        uid="event-12-participant-34@interpreta.example",
        sequence=0,
        summary="Annual general meeting",
        description="Agenda: accounts, elections.",
        starts_at=START,
        ends_at=START + timedelta(minutes=90),
        timezone="Europe/Berlin",
        url=JOIN,
        organizer_name="Ada Lovelace",
        organizer_email="ada@organiser.example",
        attendee_email="ben@attendee.example",
        attendee_name="Ben Franklin",
        stamp=STAMP,
    )
    return dataclasses.replace(base, **changes)


def parsed(ics: bytes) -> Calendar:
    """The calendar `ics` holds, read back by icalendar (and readable by vobject too)."""
    vobject.readOne(ics.decode("utf-8"))
    return Calendar.from_ical(ics)


def the_event(calendar: Calendar) -> Component:
    """The one VEVENT of `calendar`."""
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_a_request_carries_every_property() -> None:
    calendar = parsed(request(invitation()))
    assert str(calendar["PRODID"]) == PRODUCT_ID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"
    event = the_event(calendar)
    assert str(event["UID"]) == "event-12-participant-34@interpreta.example"
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTAMP") == STAMP
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(minutes=90)
    assert str(event["SUMMARY"]) == "Annual general meeting"
    assert str(event["DESCRIPTION"]) == f"Agenda: accounts, elections.\n\n{JOIN}"
    assert str(event["LOCATION"]) == JOIN
    assert str(event["URL"]) == JOIN
    assert str(event["STATUS"]) == "CONFIRMED"
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:ada@organiser.example"
    assert organizer.params["CN"] == "Ada Lovelace"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:ben@attendee.example"
    assert dict(attendee.params) == {
        "CN": "Ben Franklin",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "FALSE",
    }
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
    assert str(alarm["DESCRIPTION"]) == "Annual general meeting"


def test_an_attendee_without_a_name_has_no_cn() -> None:
    event = the_event(parsed(request(invitation(attendee_name=None))))
    assert "CN" not in event["ATTENDEE"].params


def test_an_update_keeps_the_uid_and_carries_the_higher_sequence() -> None:
    first = the_event(parsed(request(invitation())))
    moved = invitation(
        sequence=1, starts_at=START + timedelta(days=1), ends_at=START + timedelta(days=1, hours=2)
    )
    update = the_event(parsed(request(moved)))
    assert str(update["UID"]) == str(first["UID"])
    assert update.decoded("SEQUENCE") == 1 > first.decoded("SEQUENCE")
    assert update.decoded("DTSTART") == START + timedelta(days=1)


def test_a_cancel_withdraws_the_same_event() -> None:
    calendar = parsed(cancel(invitation(sequence=2)))
    assert str(calendar["METHOD"]) == "CANCEL"
    event = the_event(calendar)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "event-12-participant-34@interpreta.example"
    assert event.decoded("SEQUENCE") == 2
    assert str(event["ATTENDEE"]) == "mailto:ben@attendee.example"
    assert str(event["ORGANIZER"]) == "mailto:ada@organiser.example"


def test_the_published_object_has_no_method_and_schedules_nobody() -> None:
    calendar = parsed(published(invitation(attendee_email=None, attendee_name=None)))
    assert "METHOD" not in calendar
    event = the_event(calendar)
    assert "ORGANIZER" not in event
    assert "ATTENDEE" not in event
    assert str(event["UID"]) == "event-12-participant-34@interpreta.example"
    assert event.decoded("DTSTART") == START
    assert str(event["URL"]) == JOIN
    assert len(event.walk("VALARM")) == 1
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


@pytest.mark.parametrize("write", [request, cancel])
def test_an_itip_message_needs_an_attendee(write: Any) -> None:
    with pytest.raises(ValueError, match="attendee"):
        write(invitation(attendee_email=None))


def test_times_are_written_in_the_events_zone_with_its_vtimezone() -> None:
    winter = request(invitation())
    assert b"DTSTART;TZID=Europe/Berlin:20261124T100000\r\n" in winter
    assert b"DTEND;TZID=Europe/Berlin:20261124T113000\r\n" in winter
    calendar = parsed(winter)
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Berlin"
    event = the_event(calendar)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART") == START
    summer_start = datetime(2027, 7, 1, 16, 0, tzinfo=UTC)
    summer = request(invitation(starts_at=summer_start, ends_at=summer_start + timedelta(hours=1)))
    assert b"DTSTART;TZID=Europe/Berlin:20270701T180000\r\n" in summer
    assert the_event(parsed(summer)).decoded("DTSTART") == summer_start


def test_the_vtimezone_is_the_one_the_times_need() -> None:
    calendar = parsed(request(invitation(timezone="America/New_York")))
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert the_event(calendar).decoded("DTSTART") == START
    assert b"DTSTART;TZID=America/New_York:20261124T040000\r\n" in request(
        invitation(timezone="America/New_York")
    )


def test_utc_needs_no_vtimezone() -> None:
    ics = request(invitation(timezone="UTC"))
    assert b"DTSTART:20261124T090000Z\r\n" in ics
    assert parsed(ics).walk("VTIMEZONE") == []


def test_any_text_round_trips_escaped_and_folded() -> None:
    summary = 'Board; budget, "draft" \\ v2\nsecond line 🎉 — Übersicht'
    description = "Zeile eins,\nZeile zwei; ünïcödé 日本語 " + "lorem ipsum, dolor; " * 40
    names = {"organizer_name": 'Müller, "Ada"; Ltd: 🎻', "attendee_name": "O'Brien, Séan; Jr."}
    ics = request(invitation(summary=summary, description=description, **names))
    event = the_event(parsed(ics))
    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == f"{description.strip()}\n\n{JOIN}"
    assert event["ORGANIZER"].params["CN"] == names["organizer_name"]
    assert event["ATTENDEE"].params["CN"] == names["attendee_name"]
    lines = ics.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) <= 75 for line in lines)
    assert all(b"\n" not in line for line in lines)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("uid", " "),
        ("sequence", -1),
        ("starts_at", datetime(2026, 11, 24, 9, 0)),
        ("stamp", datetime(2026, 11, 1)),
        ("ends_at", START),
        ("timezone", "Mars/Olympus_Mons"),
        ("url", "javascript:alert(1)"),
        ("url", f"{JOIN}\r\nATTENDEE:mailto:eve@example.org"),
        ("organizer_email", "ada@organiser.example\r\nATTENDEE:mailto:eve@example.org"),
        ("attendee_email", "ben attendee.example"),
    ],
)
def test_values_that_would_break_the_object_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValueError):
        invitation(**{field: value})
