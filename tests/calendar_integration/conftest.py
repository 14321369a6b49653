"""The calendar integration's fixtures: one Radicale per module, registered with each
test's platform as its internal calendar server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interpreta.platform import Platform
from tests.calendar_integration.servers import Dav, registered
from tests.calendars.conftest import Radicale, started


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    """A Radicale server for the module, with an address book of three contacts."""
    with started(tmp_path_factory.mktemp("radicale")) as server:
        yield server


@pytest.fixture
def dav(platform: Platform, radicale: Radicale) -> Dav:
    """The Radicale server, registered as the platform's calendar server."""
    return registered(platform, radicale)
