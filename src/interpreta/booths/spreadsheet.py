"""Cells of the CSV files the booths' data is exported as, safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would run as
a formula (CSV injection): it is written with a leading apostrophe, which spreadsheets
show as text, and read back without it.
"""

from __future__ import annotations

__all__ = ["read_cell", "written_cell"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def written_cell(text: str) -> str:
    """`text` as a cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in (*_FORMULA_STARTS, "'") else text


def read_cell(text: str) -> str:
    """A cell :func:`written_cell` wrote, as it was."""
    escaped = text[:1] == "'" and text[1:2] in (*_FORMULA_STARTS, "'")
    return text[1:] if escaped else text
