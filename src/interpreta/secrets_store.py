"""Secrets generated into the data directory on first run (mode 0600), never logged."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class Secrets:
    """The deployment's secret keys."""

    session_key: bytes = field(repr=False)
    master_key: bytes = field(repr=False)

    def __repr__(self) -> str:
        return "Secrets(<hidden>)"


def _load_or_create(path: Path, size: int) -> bytes:
    if path.exists():
        data = path.read_bytes()
        if len(data) != size:
            raise ValueError(f"{path} holds {len(data)} bytes, expected {size}")
        return data
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = secrets.token_bytes(size)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return data


def load_secrets(data_dir: Path) -> Secrets:
    """Read the secrets from ``data_dir/secrets``, creating any that are missing."""
    folder = data_dir / "secrets"
    return Secrets(
        session_key=_load_or_create(folder / "session.key", 32),
        master_key=_load_or_create(folder / "master.key", 32),
    )


AUDIT_SIGNING_KEY = "audit-signing.key"


def audit_signing_seed(data_dir: Path, *, create: bool = True) -> bytes:
    """The Ed25519 private key (its 32-byte seed) that signs the audit trail's published
    tree heads, in ``data_dir/secrets``: created on first use, unless `create` is false
    (then FileNotFoundError when there is none)."""
    path = data_dir / "secrets" / AUDIT_SIGNING_KEY
    if not create and not path.exists():
        raise FileNotFoundError(f"no audit signing key at {path}")
    return _load_or_create(path, 32)


DKIM_KEY = "dkim.pem"


def dkim_private_key(path: Path) -> bytes:
    """The RSA private key (PKCS#8 PEM) that signs outgoing mail (DKIM, RFC 6376) at
    `path`: created on first use, 2048 bits (what RFC 8301 requires at least)."""
    if path.exists():
        return path.read_bytes()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return pem
