"""Tokens for links mailed more than once (every newsletter's unsubscribe link, a
registration's personal join link): the row's number and a keyed signature of it, so a
link can be written again into each mail while the database keeps nothing that opens it.

The signature covers a purpose, the row and a random nonce kept on the row; a new nonce
(or the row's deletion) retires every link made before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

MAX_ROW_DIGITS = 18


def new_nonce() -> str:
    """A fresh random nonce for a row (32 hex characters)."""
    return secrets.token_hex(16)


def _signature(key: bytes, purpose: str, row: int, nonce: str) -> str:
    message = f"{purpose}:{row}:{nonce}".encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()[:20]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign(key: bytes, purpose: str, row: int, nonce: str) -> str:
    """The token of row `row` for `purpose`: ``{row}.{signature}``."""
    return f"{row}.{_signature(key, purpose, row, nonce)}"


def row_of(token: str) -> int | None:
    """The row a token names, if it is shaped like one (not yet verified)."""
    if not token.isascii():
        return None
    row, _, signature = token.partition(".")
    if not row.isdigit() or len(row) > MAX_ROW_DIGITS or not signature:
        return None
    return int(row)


def verify(key: bytes, purpose: str, token: str, nonce: str) -> bool:
    """Whether `token` is the token of its row for `purpose`, given the row's `nonce`."""
    row = row_of(token)
    if row is None:
        return False
    return hmac.compare_digest(sign(key, purpose, row, nonce).encode(), token.encode())
