"""Shared set-up of the API tests: a new event's fields, and its organisation's owner."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Account

EVENT = {
    "title": "Summit",
    "starts_at": "2026-12-01T09:00:00+01:00",
    "ends_at": "2026-12-01T17:00:00+01:00",
    "timezone": "Europe/Berlin",
}
"""The fields of a valid new event (``POST /api/organisations/{id}/events``)."""


@pytest.fixture
def owner(sign_up: Any) -> Account:
    """Olga, the owner of a new organisation."""
    account: Account = sign_up("olga")
    return account
