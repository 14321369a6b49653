"""The events API: the floor's language and automatic captions (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import EVENT
from tests.conftest import Account


def _create(owner: Account, **fields: Any) -> dict[str, Any]:
    response = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events", json={**EVENT, **fields}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_event_says_its_floor_language_and_whether_it_offers_captions(owner: Account) -> None:
    plain = _create(owner)
    assert plain["floor_language"] is None and plain["captions"] is False

    event = _create(owner, floor_language=" en ", captions=True)
    assert event["floor_language"] == "en" and event["captions"] is True

    changed = owner.client.patch(f"/api/events/{event['id']}", json={"floor_language": "pt-BR"})
    assert changed.status_code == 200 and changed.json()["floor_language"] == "pt-BR"
    assert changed.json()["captions"] is True  # what was not sent stays

    # blank (or null) says the floor mixes languages
    for blank in ("  ", None):
        cleared = owner.client.patch(
            f"/api/events/{event['id']}", json={"floor_language": blank, "captions": False}
        )
        assert cleared.status_code == 200
        assert cleared.json()["floor_language"] is None and cleared.json()["captions"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"floor_language": "english!"}, "floor_language"),
        ({"floor_language": "e" * 17}, "floor_language"),
        ({"captions": "maybe"}, "captions"),
    ],
)
def test_a_bad_floor_language_or_captions_setting_is_refused_and_changes_nothing(
    owner: Account, change: dict[str, Any], field: str
) -> None:
    refused = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events", json={**EVENT, **change}
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in refused.json()["errors"]]

    event = _create(owner, floor_language="en", captions=True)
    patched = owner.client.patch(f"/api/events/{event['id']}", json=change)
    assert patched.status_code == 422 and field in [e["field"] for e in patched.json()["errors"]]
    kept = owner.client.get(f"/api/events/{event['id']}").json()
    assert kept["floor_language"] == "en" and kept["captions"] is True


def test_a_language_interpreted_by_machine_has_channels_without_booths(owner: Account) -> None:
    event = _create(
        owner,
        floor_language="en",
        captions=True,
        languages=[{"code": "de"}, {"code": "it", "machine": True}],
    )
    assert [(lang["code"], lang["machine"]) for lang in event["languages"]] == [
        ("de", False),
        ("it", True),
    ]
    channels = {c["language_code"]: c for c in event["topics"][0]["channels"]}
    assert channels["it"]["machine"] is True and channels["it"]["booth_id"] is None
    assert channels["de"]["machine"] is False and channels["de"]["booth_id"] is not None

    added = owner.client.post(
        f"/api/events/{event['id']}/languages", json={"code": "pt-BR", "machine": True}
    )
    assert added.status_code == 201, added.text
    topic = owner.client.post(f"/api/events/{event['id']}/topics", json={"name": "Room B"})
    assert topic.status_code == 201, topic.text
    second = {c["language_code"]: c for c in topic.json()["topics"][1]["channels"]}
    assert second["it"]["machine"] and second["pt-BR"]["machine"]  # every topic has them
    assert second["it"]["booth_id"] is None and second["de"]["booth_id"] is not None


@pytest.mark.parametrize(
    ("language", "field"),
    [
        ({"code": "ja", "machine": True}, "machine"),  # no voice or translation for it
        ({"code": "it", "machine": "sometimes"}, "machine"),
    ],
)
def test_a_machine_language_the_platform_cannot_speak_is_refused(
    owner: Account, language: dict[str, Any], field: str
) -> None:
    refused = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events",
        json={**EVENT, "languages": [language]},
    )
    assert refused.status_code == 422, refused.text
    assert any(e["field"].endswith(field) for e in refused.json()["errors"]), refused.text
    event = _create(owner)
    added = owner.client.post(f"/api/events/{event['id']}/languages", json=language)
    assert added.status_code == 422 and field in [e["field"] for e in added.json()["errors"]]
    assert owner.client.get(f"/api/events/{event['id']}").json()["languages"] == []
