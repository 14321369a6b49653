"""The transcript API: an event's kept sentences for its organisers, as JSON or one
channel's as WebVTT; bad parameters refused; other customers see nothing (and
tests/api/test_cross_organisation.py tries every route)."""

from __future__ import annotations

from typing import Any

import pytest

from interpreta.meetings import transcripts
from interpreta.platform import Platform
from tests.conftest import Account


@pytest.fixture
def event(sign_up: Any, platform: Platform) -> tuple[Account, dict[str, Any]]:
    """Olga's event, keeping a transcript, with two sentences said on its floor."""
    olga: Account = sign_up("olga")
    created = olga.create_event("Summit", floor_language="en", keep_transcript=True)
    assert created["keep_transcript"] is True
    floor = created["topics"][0]["channels"][0]["id"]
    now = platform.clock.now()
    with platform.transaction() as db:
        for n, text in enumerate(("Good morning.", "Let us begin.")):
            transcripts.record(
                db, created["id"], floor, "en", "whisper", None, text, now.replace(second=n), 900
            )
    return olga, created


def test_organisers_read_the_transcript_as_json_and_as_webvtt(
    event: tuple[Account, dict[str, Any]],
) -> None:
    olga, created = event
    floor = created["topics"][0]["channels"][0]["id"]
    listed = olga.client.get(f"/api/events/{created['id']}/transcript")
    assert listed.status_code == 200
    assert [s["text"] for s in listed.json()] == ["Good morning.", "Let us begin."]
    assert listed.json()[0]["channel_id"] == floor and listed.json()[0]["speaker"] is None
    other = olga.client.get(f"/api/events/{created['id']}/transcript?channel_id={floor + 99}")
    assert other.status_code == 200 and other.json() == []

    vtt = olga.client.get(f"/api/events/{created['id']}/transcript?channel_id={floor}&format=vtt")
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
    assert "attachment" in vtt.headers["content-disposition"]
    assert vtt.headers["cache-control"] == "private, no-store"
    assert vtt.text.splitlines()[:5] == [
        "WEBVTT",
        "",
        "1",
        "00:00:00.000 --> 00:00:00.900",
        "Good morning.",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=xml", "format"),
        ("format=vtt", "channel_id"),  # WebVTT is one channel's
        ("channel_id=0", "channel_id"),
        ("channel_id=floor", "channel_id"),
    ],
)
def test_bad_transcript_parameters_are_named(
    event: tuple[Account, dict[str, Any]], query: str, field: str
) -> None:
    olga, created = event
    response = olga.client.get(f"/api/events/{created['id']}/transcript?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


def test_another_customer_sees_no_transcript(
    event: tuple[Account, dict[str, Any]], sign_up: Any
) -> None:
    _olga, created = event
    mallory: Account = sign_up("mallory")
    response = mallory.client.get(f"/api/events/{created['id']}/transcript")
    assert response.status_code == 404
    assert "Good morning" not in response.text
