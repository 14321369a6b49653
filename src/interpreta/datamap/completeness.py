"""The completeness check: everything wrong with the data map, in one list.

Read by ``interpreta privacy check`` and by the test suite: an undeclared
column, a word outside the vocabulary, an unknown tie or one that leads nowhere,
a personal table tied to no one.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from interpreta.datamap import declarations
from interpreta.datamap.tiegraph import TieGraph


def problems(metadata: MetaData) -> list[str]:
    """Every problem of the declarations and the ties of `metadata`'s tables."""
    return declarations.problems(metadata) + TieGraph.of(metadata).problems()
