"""Addresses in one form, and look-alikes recognised (UTS #39 skeletons)."""

from __future__ import annotations

import pytest

from interpreta.accounts.addresses import normalise_email, skeleton

CYRILLIC_A = "\u0430"


def test_addresses_are_normalised_with_nfkc_and_case_folding() -> None:
    assert normalise_email("  Ann@Example.ORG ") == "ann@example.org"
    assert normalise_email("\uff41nn@example.org") == "ann@example.org"  # full-width a
    assert normalise_email("STRASSE@example.org") == normalise_email("straße@example.org")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("paypal@example.org", f"p{CYRILLIC_A}ypal@example.org"),
        ("hello@example.org", "he11o@example.org"),
        ("modern@example.org", "rnodern@example.org"),
        ("ann@example.org", "\U0001d41a\U0001d427\U0001d427@example.org"),  # bold maths letters
    ],
)
def test_look_alike_addresses_share_a_skeleton(one: str, other: str) -> None:
    assert skeleton(one) == skeleton(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("ann@example.org", "anne@example.org"), ("jon@example.org", "john@example.org")],
)
def test_different_addresses_have_different_skeletons(one: str, other: str) -> None:
    assert skeleton(one) != skeleton(other)
