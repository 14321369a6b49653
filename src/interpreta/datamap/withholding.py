"""Rows the people they are about may not be told of yet.

A disclosure to an authority under a court's confidentiality order is recorded (P20),
but the person may not learn of it until the order ends. A model says which of its rows
are withheld so in ``__withheld__``: a function building a SQL condition over its own
row. The rights engine leaves those rows out of every answer (access, erasure,
rectification) until the condition no longer holds; the retention engine does not look
at it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

WITHHELD_ATTRIBUTE = "__withheld__"
"""Where a model keeps its condition."""


def withheld(model: Any) -> ColumnElement[bool] | None:
    """The condition true for `model`'s rows withheld from the people they are about
    (None: the model withholds nothing)."""
    build = getattr(model, WITHHELD_ATTRIBUTE, None)
    return None if build is None else build()
