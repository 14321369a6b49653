"""ICE servers in the settings, and the list each client is given: STUN and TURN URLs
are checked when the settings load, TURN gets time-limited REST credentials, and a
long session asks for fresh ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from interpreta.cli import app
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.live.ice_servers import ice_servers, turn_password
from tests.live.conftest import Stage
from tests.live.live_client import LiveClient

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_stun_and_turn_urls_are_read_comma_separated_or_as_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turn = "turn:turn.example.org:3478?transport=udp,turns:turn.example.org:443?transport=tcp"
    monkeypatch.setenv("INTERPRETA_TURN_URLS", turn)
    monkeypatch.setenv("INTERPRETA_TURN_SECRET", "s3cret")
    monkeypatch.setenv("INTERPRETA_STUN_URLS", '["stun:[2001:db8::1]:3478", "stun:192.0.2.1"]')
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.turn_urls == turn.split(",")
    assert settings.stun_urls == ["stun:[2001:db8::1]:3478", "stun:192.0.2.1"]


@pytest.mark.parametrize(
    ("field", "url", "problem"),
    [
        ("turn_urls", "turn://turn.example.org", "not a TURN URL"),
        ("turn_urls", "stun:turn.example.org", "not a TURN URL"),
        ("turn_urls", "turns:turn.example.org?transport=udp", "transport is tcp"),
        ("turn_urls", "turn:turn.example.org:70000", "port is out of range"),
        ("turn_urls", "turn:[2001:db8::zz]", "not a TURN URL"),
        ("stun_urls", "stun:stun.example.org?transport=udp", "no transport"),
        ("stun_urls", "https://stun.example.org", "not a STUN URL"),
        ("stun_urls", "turn:stun.example.org", "not a STUN URL"),
    ],
)
def test_malformed_ice_urls_are_refused_with_the_form_expected(
    field: str, url: str, problem: str
) -> None:
    extra = {"turn_secret": "s3cret"} if field == "turn_urls" else {}
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **{field: [url]}, **extra)  # type: ignore[call-arg, arg-type]
    message = str(refused.value)
    assert url in message and problem in message and "write " in message


def test_turn_needs_its_secret_and_the_secret_its_urls() -> None:
    with pytest.raises(ValidationError, match="turn_urls need turn_secret"):
        Settings(_env_file=None, turn_urls=["turn:turn.example.org"])  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match=r"turn_urls .* is empty"):
        Settings(_env_file=None, turn_secret="s3cret")  # type: ignore[call-arg]


def test_serve_refuses_a_malformed_ice_url_at_start_and_never_prints_the_secret(
    tmp_path: Path,
) -> None:
    env = {
        "INTERPRETA_TURN_URLS": "turn://turn.example.org:3478",
        "INTERPRETA_TURN_SECRET": "do-not-print-me",
    }
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path)], env=env)
    assert result.exit_code == 2
    assert "INTERPRETA_TURN_URLS" in result.output
    assert "'turn://turn.example.org:3478': not a TURN URL" in result.output
    assert "do-not-print" not in result.output
    env = {"INTERPRETA_TURN_SECRET": "do-not-print-me"}  # a check across settings
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path)], env=env)
    assert result.exit_code == 2 and "turn_urls" in result.output
    assert "do-not-print" not in result.output


def test_clients_get_stun_and_turn_with_fresh_time_limited_credentials() -> None:
    assert ice_servers(Settings(_env_file=None), NOW) == []  # type: ignore[call-arg]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        stun_urls=["stun:turn.example.org:3478"],
        turn_urls=["turn:turn.example.org:3478", "turns:turn.example.org:443?transport=tcp"],
        turn_secret="s3cret",
        turn_credential_hours=6,
    )
    stun, turn = ice_servers(settings, NOW)
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    assert turn["urls"] == settings.turn_urls
    expiry, opaque = turn["username"].split(":")
    assert datetime.fromtimestamp(int(expiry), UTC) == NOW + timedelta(hours=6)
    assert turn["credential"] == turn_password("s3cret", turn["username"])
    _, again = ice_servers(settings, NOW)
    assert again["username"].split(":")[1] != opaque  # a new random id every time


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test's settings with a TURN server whose credentials last an hour."""
    return settings.model_copy(
        update={
            "turn_urls": ["turn:turn.example.org:3478"],
            "turn_secret": "s3cret",
            "turn_credential_hours": 1,
        }
    )


async def test_a_long_session_gets_fresh_turn_credentials_when_it_asks(
    stage: Stage, clock: FrozenClock, closing: list[Any]
) -> None:
    listener = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing.append(listener)
    assert listener.welcome["ice_servers_ttl"] == 3600
    first = listener.welcome["ice_servers"][-1]["username"]
    clock.advance(timedelta(minutes=45))
    reply = await listener.request({"type": "ice_servers"})
    assert reply["ice_servers_ttl"] == 3600
    fresh = reply["ice_servers"][-1]
    assert int(fresh["username"].split(":")[0]) == int(first.split(":")[0]) + 45 * 60
    assert fresh["credential"] == turn_password("s3cret", fresh["username"])
