"""The status API and page (P23): probers report, the uptime is measured, maintenance
is left out; time-travelled through an outage and a maintenance window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from interpreta.availability import records
from interpreta.clock import FrozenClock
from interpreta.platform import Platform

TOKEN = "probe-secret-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def probing(platform: Platform) -> Platform:
    """The platform with a prober token configured."""
    platform.settings.probe_token = TOKEN
    return platform


def _probe(client: TestClient, ok: bool, failed_at: str | None = None) -> None:
    body = {"prober": "probe-1", "ok": ok, "failed_at": failed_at, "milliseconds": 420}
    response = client.post("/api/status/probes", json=body, headers=AUTH)
    assert response.status_code == 201, response.text


def test_p23_an_outage_counts_and_announced_maintenance_does_not(
    probing: Platform, app_client: TestClient, clock: FrozenClock, sign_up: Any
) -> None:
    start = clock.now()
    with probing.transaction() as db:
        records.announce(
            db,
            starts_at=start + timedelta(minutes=130),
            ends_at=start + timedelta(minutes=160),
            reason="Database upgrade",
            now=start,
        )
    organiser = sign_up("olga")
    assert "Database upgrade" in organiser.client.get("/events").text  # told in advance
    for minute in range(180):
        if minute < 60 or 90 <= minute < 120 or minute >= 150:
            _probe(app_client, True)
        elif minute >= 120:
            _probe(app_client, False, "media")
        # minutes 60-89: the node was down, so no probe could report
        clock.advance(timedelta(minutes=1))
    status = app_client.get("/api/status").json()
    day = status["periods"]["day"]
    assert (day["counted_minutes"], day["up_minutes"], day["maintenance_minutes"]) == (150, 110, 30)
    assert round(day["ratio"], 4) == 0.7333 and day["meets_target"] is False
    assert day["outages"] == 2 and status["operational"] is True
    page = app_client.get("/status")
    assert page.status_code == 200 and "73.33 %" in page.text and "below target" in page.text

    clock.advance(timedelta(days=1))  # a day later the outage has left the day's window
    for _minute in range(30):
        _probe(app_client, True)
        clock.advance(timedelta(minutes=1))
    day = app_client.get("/api/status").json()["periods"]["day"]
    assert day["ratio"] < 1  # the minutes nobody probed are down
    assert app_client.get("/api/status").json()["periods"]["week"]["outages"] == 3


def test_p23_the_figures_are_computed_once_a_minute_and_what_is_recorded_shows_at_once(
    probing: Platform, app_client: TestClient, clock: FrozenClock
) -> None:
    reads: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and (
            "probe_results" in statement or "maintenance_windows" in statement
        ):
            reads.append(statement)

    event.listen(probing.engine, "before_cursor_execute", note)
    _probe(app_client, True)  # 09:00
    clock.advance(timedelta(minutes=1, seconds=10))
    first = app_client.get("/api/status").json()
    assert reads and first["periods"]["day"]["counted_minutes"] == 1
    assert first["operational"] is True and first["maintenance"] == []

    reads.clear()
    clock.advance(timedelta(seconds=40))  # 09:01:50, the same minute
    assert app_client.get("/api/status").json() == first
    assert "100.00 %" in app_client.get("/status").text
    assert reads == []  # both answered from the figures of 09:01

    _probe(app_client, False, "audio")  # a new result shows at once, in the same minute
    now = app_client.get("/api/status").json()
    assert now["operational"] is False and now["last_probe_at"] != first["last_probe_at"]
    assert reads

    with probing.transaction() as db:  # so does a new maintenance window
        records.announce(
            db,
            starts_at=clock.now() + timedelta(hours=2),
            ends_at=clock.now() + timedelta(hours=3),
            reason="Kernel update",
            now=clock.now(),
        )
    assert [w["reason"] for w in app_client.get("/api/status").json()["maintenance"]] == [
        "Kernel update"
    ]

    reads.clear()
    clock.advance(timedelta(seconds=10))  # 09:02: the next minute is computed afresh
    day = app_client.get("/api/status").json()["periods"]["day"]
    assert reads and (day["counted_minutes"], day["up_minutes"]) == (2, 1)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"prober": "p", "ok": True}, 403),
        ({"Authorization": "Bearer wrong"}, {"prober": "p", "ok": True}, 403),
        (AUTH, {"prober": "Not A Name", "ok": True}, 422),
        (AUTH, {"prober": "p", "ok": False}, 422),
        (AUTH, {"prober": "p", "ok": True, "failed_at": "audio"}, 422),
        (AUTH, {"prober": "p", "ok": False, "failed_at": "kitchen"}, 422),
        (AUTH, {"prober": "p", "ok": True, "milliseconds": -1}, 422),
    ],
)
def test_bad_probe_reports_are_refused_and_nothing_is_kept(
    probing: Platform,
    app_client: TestClient,
    headers: dict[str, str],
    body: dict[str, Any],
    status: int,
) -> None:
    response = app_client.post("/api/status/probes", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert app_client.get("/api/status").json()["operational"] is None


def test_no_prober_token_configured_takes_no_results(app_client: TestClient) -> None:
    response = app_client.post("/api/status/probes", json={"prober": "p", "ok": True}, headers=AUTH)
    assert response.status_code == 403
    page = app_client.get("/status")
    assert page.status_code == 200 and "not measured yet" in page.text
