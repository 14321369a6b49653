"""The cluster tests' deployment (:mod:`tests.cluster.deployment`), one per module: it
takes about 12 s to start, so the tests of a module share it, in their order, each
saying what it kills (see ``test_cluster.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cluster.deployment import Cluster, deployment, missing_tools


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The deployment, started on its hosts, torn down after the module's tests."""
    missing = missing_tools()
    if missing is not None:
        pytest.skip(missing)
    with deployment(tmp_path_factory.mktemp("cluster")) as running:
        yield running
