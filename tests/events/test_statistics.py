"""P17: small cells are suppressed, and so are the cells that would give them away."""

from __future__ import annotations

from interpreta.events.statistics import MIN_CELL, complement


def test_p17_one_small_cell_takes_the_next_smallest_with_it() -> None:
    # shares add up to 1: publishing desktop's 0.7 would give phone's 0.3 away
    assert complement({"desktop": 7, "phone": 3}) == {"desktop", "phone"}
    # tablet goes too (2 + 6 >= 5); desktop alone reveals only "8 others"
    assert complement({"desktop": 10, "tablet": 6, "phone": 2}) == {"tablet", "phone"}


def test_p17_enough_hidden_people_need_no_complement() -> None:
    assert complement({"desktop": 10, "tablet": 3, "phone": 2}) == {"tablet", "phone"}
    assert complement({"desktop": 10, "tablet": 6}) == set()
    assert complement({"phone": MIN_CELL - 1}) == {"phone"}  # nothing left to hide with
