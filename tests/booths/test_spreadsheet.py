"""CSV cells safe in a spreadsheet, and read back as they were."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from interpreta.booths.spreadsheet import read_cell, written_cell


def test_formulas_are_written_as_text() -> None:
    for text in ("=1+1", "+49 30", "-x", "@SUM(A1)", "\tx", "\rx"):
        assert written_cell(text) == "'" + text
    assert written_cell("Energiewende") == "Energiewende"


def test_a_hand_typed_apostrophe_stays() -> None:
    assert read_cell("'tis") == "'tis"


@given(st.text(max_size=20))
def test_every_text_comes_back_as_it_was(text: str) -> None:
    assert read_cell(written_cell(text)) == text
