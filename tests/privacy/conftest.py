"""Shared set-up of the privacy engine tests."""

from __future__ import annotations

import pytest

from interpreta.platform import Platform
from interpreta.privacy.encrypted import install_field_encryption
from interpreta.privacy.keys import FileKeyProvider, Keyring


def make_keyring(platform: Platform) -> Keyring:
    """The keyring Platform.start will build: file master keys beside the secrets."""
    folder = platform.settings.data_dir / "secrets" / "master-keys"
    return Keyring(FileKeyProvider(platform.secrets.master_key, folder), platform.clock)


@pytest.fixture
def keyring(platform: Platform) -> Keyring:
    """Field encryption installed on the platform's sessions."""
    ring = make_keyring(platform)
    install_field_encryption(platform.sessions, ring)
    return ring
