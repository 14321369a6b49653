"""The cluster tests' deployment (:mod:`tests.cluster.deployment`), one per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.deployment import Cluster, deployment, missing_tools


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """The deployment, started on its hosts, torn down after the test."""
    missing = missing_tools()
    if missing is not None:
        pytest.skip(missing)
    with deployment(tmp_path) as running:
        yield running
