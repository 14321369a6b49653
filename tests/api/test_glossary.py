"""The glossary over HTTP: who may use it, entries in and out, CSV, and wrong input
refused as problem+json with nothing changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Account, join


@dataclass
class Booths:
    owner: Account
    anna: Account
    member: Account
    outsider: Account
    event_id: int

    def url(self, tail: str = "") -> str:
        return f"/api/events/{self.event_id}/glossary{tail}"


@pytest.fixture
def booths(sign_up: Any) -> Booths:
    owner, anna, member, outsider = (sign_up(n) for n in ("olivia", "anna", "mo", "zed"))
    join(owner, anna)
    join(owner, member)  # in the organisation, but in no booth of this event
    event = owner.create_event("Glossary", ["de", "en"])
    booth = next(c for c in event["topics"][0]["channels"] if c["language_code"] == "de")
    assigned = owner.client.post(
        f"/api/events/{event['id']}/booths/{booth['booth_id']}/interpreters",
        json={"user_id": anna.user_id},
    )
    assert assigned.status_code == 201, assigned.text
    return Booths(owner, anna, member, outsider, event["id"])


TERM = {
    "source_language": "de",
    "term": "Energiewende",
    "target_language": "en",
    "equivalent": "energy transition",
    "note": "not 'energy turn'",
}


def test_booth_interpreters_and_organisers_share_one_glossary(booths: Booths) -> None:
    added = booths.anna.client.post(booths.url(), json=TERM)
    assert added.status_code == 201, added.text
    entry = added.json()
    found = booths.owner.client.get(booths.url(), params={"q": "energiewende"}).json()
    assert [e["equivalent"] for e in found] == ["energy transition"]

    changed = booths.owner.client.put(
        booths.url(f"/{entry['id']}"), json={**TERM, "equivalent": "energy shift"}
    )
    assert changed.status_code == 200 and changed.json()["equivalent"] == "energy shift"
    assert booths.anna.client.delete(booths.url(f"/{entry['id']}")).status_code == 204
    assert booths.anna.client.get(booths.url()).json() == []


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_people_outside_the_event_do_not_learn_it_exists(booths: Booths, who: str) -> None:
    client = getattr(booths, who).client
    for response in (
        client.get(booths.url()),
        client.post(booths.url(), json=TERM),
        client.get(booths.url(".csv")),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


def test_csv_export_and_import_round_trip(booths: Booths) -> None:
    booths.anna.client.post(booths.url(), json=TERM)
    exported = booths.anna.client.get(booths.url(".csv"))
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "Energiewende" in exported.text
    imported = booths.owner.client.post(
        booths.url(".csv"), content=exported.content, headers={"content-type": "text/csv"}
    )
    assert imported.status_code == 200 and imported.json() == {"added": 1}
    assert len(booths.owner.client.get(booths.url()).json()) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**TERM, "source_language": "German"}, None),
        ({**TERM, "term": " "}, None),
        ({**TERM, "term": "x" * 201}, "term"),
        ({k: v for k, v in TERM.items() if k != "equivalent"}, "equivalent"),
    ],
)
def test_wrong_entries_are_problems_and_change_nothing(
    booths: Booths, body: dict[str, Any], field: str | None
) -> None:
    response = booths.anna.client.post(booths.url(), json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert field in response.text
    assert booths.anna.client.get(booths.url()).json() == []


def test_a_wrong_import_names_the_line_and_adds_nothing(booths: Booths) -> None:
    text = "source_language,term,target_language,equivalent\nde,Bund,en,federation\nde,,en,x\n"
    response = booths.anna.client.post(
        booths.url(".csv"), content=text.encode(), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 422 and "Line 3" in response.json()["detail"]
    latin1 = booths.anna.client.post(
        booths.url(".csv"),
        content="term,é".encode("latin-1"),
        headers={"content-type": "text/csv"},
    )
    assert latin1.status_code == 422 and "UTF-8" in latin1.json()["detail"]
    assert booths.anna.client.get(booths.url()).json() == []


def test_an_entry_of_another_event_is_not_found(booths: Booths, sign_up: Any) -> None:
    entry = booths.anna.client.post(booths.url(), json=TERM).json()
    other = booths.owner.create_event("Other", ["de"])
    response = booths.owner.client.delete(f"/api/events/{other['id']}/glossary/{entry['id']}")
    assert response.status_code == 404
    assert len(booths.anna.client.get(booths.url()).json()) == 1
