"""Shared set-up of the privacy engine tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from interpreta.cli import app
from interpreta.config import Settings
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


@pytest.fixture
def cli(settings: Settings) -> Callable[..., Any]:
    """Run ``interpreta ARGS`` on the test's database and data folder."""
    env = {"INTERPRETA_DATABASE_URL": settings.resolved_database_url, "COLUMNS": "200"}
    data = ["--data-dir", str(settings.data_dir)]

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, [*args, *data], env=env)

    return run
