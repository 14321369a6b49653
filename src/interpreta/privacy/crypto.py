"""AES-256-GCM primitives, the versioned field-ciphertext format, and the column type.

A confidential field is stored as ``v1:<key_id>:<nonce>:<ciphertext>`` (nonce and
ciphertext in unpadded URL-safe base64). ``key_id`` names the data key (see
:mod:`interpreta.privacy.keys`); the master key that wraps that data key is recorded
beside the data key, not here, so rotating the master key re-wraps data keys and
never touches a field. The associated data (:func:`field_aad`) binds a ciphertext to
its table, column and row, so a ciphertext copied elsewhere fails to decrypt (P22).

This module imports no model: the models import :class:`EncryptedText` from here.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

FORMAT_VERSION = "v1"
KEY_SIZE = 32
NONCE_SIZE = 12


class DecryptionError(Exception):
    """A ciphertext is malformed, was made with another key, or was moved or altered."""


class PlaintextRefused(Exception):
    """Plaintext was about to be written to an encrypted column."""


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return os.urandom(KEY_SIZE)


def aead_seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM encrypt `plaintext` under `key`, bound to `aad`; returns nonce || ct."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def aead_open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Decrypt what :func:`aead_seal` made; :class:`DecryptionError` if anything differs."""
    if len(blob) < NONCE_SIZE + 16:
        raise DecryptionError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], aad)
    except InvalidTag as exc:
        raise DecryptionError("authentication failed (wrong key, or moved or altered)") from exc


def b64encode(data: bytes) -> str:
    """Unpadded URL-safe base64 (no ':' in it, so it can be a field of the envelope)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """The inverse of :func:`b64encode`."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("malformed base64 in ciphertext") from exc


def field_aad(table: str, column: str, row_key: str) -> bytes:
    """The associated data binding a field's ciphertext to its table, column and row."""
    return f"{table}|{column}|{row_key}".encode()


@dataclass(frozen=True)
class Envelope:
    """A parsed field ciphertext: which data key, the nonce, and the sealed bytes."""

    key_id: str
    nonce: bytes
    ciphertext: bytes

    def format(self) -> str:
        """The stored text form, ``v1:<key_id>:<nonce>:<ciphertext>``."""
        return ":".join(
            (FORMAT_VERSION, self.key_id, b64encode(self.nonce), b64encode(self.ciphertext))
        )

    @classmethod
    def parse(cls, text: str) -> Envelope:
        """Read the stored form; :class:`DecryptionError` when it is not one."""
        parts = text.split(":")
        if len(parts) != 4 or parts[0] != FORMAT_VERSION or not parts[1]:
            raise DecryptionError("not a v1 field ciphertext")
        nonce = b64decode(parts[2])
        if len(nonce) != NONCE_SIZE:
            raise DecryptionError("bad nonce length")
        return cls(parts[1], nonce, b64decode(parts[3]))


def is_envelope(text: str) -> bool:
    """Whether `text` looks like a stored field ciphertext (cheap check, no decryption)."""
    return text.startswith(FORMAT_VERSION + ":")


def seal_field(key_id: str, key: bytes, plaintext: str, aad: bytes) -> str:
    """Encrypt one field value under the data key `key` (named `key_id`)."""
    blob = aead_seal(key, plaintext.encode("utf-8"), aad)
    return Envelope(key_id, blob[:NONCE_SIZE], blob[NONCE_SIZE:]).format()


def open_field(key: bytes, envelope: Envelope, aad: bytes) -> str:
    """Decrypt one field value sealed by :func:`seal_field`."""
    return aead_open(key, envelope.nonce + envelope.ciphertext, aad).decode("utf-8")


class Sealed(str):
    """A ciphertext (or an insert placeholder) on its way to or from an encrypted column.

    The column type writes only values of this type, so plaintext can never reach
    the database through it, even where field encryption was not installed.
    """

    __slots__ = ()


class EncryptedText(TypeDecorator[str]):
    """A column holding a field ciphertext; the ORM hooks of
    :mod:`interpreta.privacy.encrypted` make the mapped attribute read and write plaintext.

    Binding a plain ``str`` raises :class:`PlaintextRefused`; values read are
    :class:`Sealed` until the ORM load hook decrypts them.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return str(value)
        raise PlaintextRefused(
            "refusing to write plaintext to an encrypted column "
            "(is field encryption installed on this session?)"
        )

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return Sealed(value)
