"""The feedback survey: answered once after the event, by accepted participants; the
organiser sees totals over whole groups of five respondents only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from interpreta.clock import FrozenClock
from tests.registration.conftest import Organised

QUESTIONS = [
    {"kind": "rating", "label": "How was it?", "required": True},
    {"kind": "choice", "label": "Again?", "options": ["Yes", "No"]},
    {"kind": "text", "label": "What could be better?"},
]


def _results(organised: Organised) -> Any:
    answer = organised.owner.client.get(f"/api/events/{organised.event['id']}/survey/results")
    assert answer.status_code == 200
    return answer.json()


def test_results_count_whole_groups_of_five_and_each_person_answers_once(
    organised: Organised, clock: FrozenClock
) -> None:
    organised.settings("automatic")
    asked = organised.owner.client.put(
        f"/api/events/{organised.event['id']}/survey", json={"questions": QUESTIONS}
    ).json()
    q = {question["label"]: f"q{question['id']}" for question in asked}
    people = ["ann", "ben", "cleo", "dan", "eve", "fay"]
    for who in people:
        organised.register(who)
    early = organised.visitor.post(
        "/survey", data={"token": organised.token("ann"), q["How was it?"]: "5"}
    )
    assert early.status_code == 409 and "opens when the event ends" in early.text
    clock.advance(timedelta(days=8))
    for n, who in enumerate(people[:4]):
        token = organised.token(who)
        assert "How was it?" in organised.visitor.get(f"/survey?token={token}").text
        form = {"token": token, q["How was it?"]: str(n + 2), q["Again?"]: "Yes"}
        if who == "ann":
            form[q["What could be better?"]] = "More coffee"
        assert organised.visitor.post("/survey", data=form).status_code == 200
    results = _results(organised)
    assert results["respondents"] == 0 and not results["shown"]
    assert all(not question["counts"] for question in results["questions"])
    page = organised.owner.client.get(f"/events/{organised.event['id']}/registration")
    assert "More coffee" not in page.text

    fifth = {"token": organised.token("eve"), q["How was it?"]: "1", q["Again?"]: "No"}
    assert organised.visitor.post("/survey", data=fifth).status_code == 200
    again = organised.visitor.post("/survey", data=fifth)
    assert again.status_code == 409
    results = _results(organised)
    rating, choice, text = results["questions"]
    assert results["respondents"] == 5 and results["shown"]
    assert rating["counts"] == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1}
    assert rating["average"] == 3.0
    assert choice["counts"] == {"Yes": 4, "No": 1}
    assert not text["shown"] and text["texts"] == []  # one answer to it: not shown

    # a sixth answer changes nothing shown until the group of ten is whole
    sixth = {"token": organised.token("fay"), q["How was it?"]: "5", q["Again?"]: "No"}
    assert organised.visitor.post("/survey", data=sixth).status_code == 200
    assert _results(organised) == results

    bad = organised.visitor.post("/survey", data={"token": "1.forged", q["How was it?"]: "3"})
    assert bad.status_code == 410
    out_of_range = organised.visitor.post(
        "/survey", data={"token": organised.token("ann"), q["How was it?"]: "9"}
    )
    assert out_of_range.status_code in (409, 422)
