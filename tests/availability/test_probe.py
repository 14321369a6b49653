"""The synthetic join against a real server: page, WebSocket, real aiortc media."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from interpreta.app import create_app
from interpreta.availability.probe import synthetic_join
from interpreta.platform import Platform
from tests.conftest import Account, speaker_key_of
from tests.live_server import serving


@pytest.fixture
def served_event(platform: Platform, sign_up: Any) -> Iterator[tuple[str, str, str]]:
    """(base URL, event code, speaker key) of an event kept for probing."""
    owner: Account = sign_up("olivia")
    event = owner.create_event("Status probe")
    with serving(create_app(platform)) as base_url:
        yield base_url, event["code"], speaker_key_of(platform, event["id"])


async def test_p23_a_synthetic_join_hears_the_floor(served_event: tuple[str, str, str]) -> None:
    base_url, code, key = served_event
    outcome = await synthetic_join(base_url, code, key)
    assert outcome.ok, outcome
    assert outcome.failed_at is None and outcome.milliseconds is not None
    assert 0 < outcome.milliseconds < 15_000


async def test_p23_a_failed_join_names_the_step_that_failed(
    served_event: tuple[str, str, str],
) -> None:
    base_url, code, key = served_event
    no_page = await synthetic_join(base_url, "NOPE-NOPE", key)
    assert (no_page.ok, no_page.failed_at) == (False, "page")
    refused = await synthetic_join(base_url, code, "not-the-key")
    assert (refused.ok, refused.failed_at) == (False, "websocket")
    nobody = await synthetic_join("http://127.0.0.1:9", code, key, timeout=5)
    assert (nobody.ok, nobody.failed_at) == (False, "page")
