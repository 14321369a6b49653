"""Signed link tokens: a token opens its row for its purpose only, and anything else,
however odd, is no token (never an error)."""

from __future__ import annotations

import pytest

from interpreta import signed_tokens

KEY = b"k" * 32


def test_a_token_opens_its_row_for_its_purpose_only() -> None:
    nonce = signed_tokens.new_nonce()
    token = signed_tokens.sign(KEY, "unsubscribe", 42, nonce)
    assert signed_tokens.row_of(token) == 42
    assert signed_tokens.verify(KEY, "unsubscribe", token, nonce)
    assert not signed_tokens.verify(KEY, "registration", token, nonce)
    assert not signed_tokens.verify(KEY, "unsubscribe", token, signed_tokens.new_nonce())
    assert not signed_tokens.verify(b"x" * 32, "unsubscribe", token, nonce)


@pytest.mark.parametrize(
    "token", ["", ".", "42", "42.", ".abc", "².x", "٤٢.x", "1.é", "1.\x00", "9" * 30 + ".x", "a.b"]
)
def test_anything_else_is_no_token(token: str) -> None:
    assert signed_tokens.row_of(token) is None or not signed_tokens.verify(
        KEY, "unsubscribe", token, "n"
    )
    assert not signed_tokens.verify(KEY, "unsubscribe", token, "n")
