"""The command line: every command has --help; the operator commands work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from interpreta.cli import app
from interpreta.config import Settings
from interpreta.db.engine import make_engine
from interpreta.platform import Platform


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if isinstance(getattr(command, "commands", None), dict):
        for name, sub in command.commands.items():
            paths += _command_paths(sub, (*prefix, name))
    return paths


def test_every_command_has_help() -> None:
    root = typer.main.get_command(app)
    paths = _command_paths(root)
    assert ("privacy", "ropa") in paths and ("db", "upgrade") in paths and ("serve",) in paths
    for path in paths:
        result = CliRunner().invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output


def test_db_upgrade_and_privacy_notice(settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"INTERPRETA_DATABASE_URL": settings.resolved_database_url}
    data = ["--data-dir", str(settings.data_dir)]
    upgraded = runner.invoke(app, ["db", "upgrade", *data], env=env)
    assert upgraded.exit_code == 0 and "database at revision" in upgraded.output
    written = runner.invoke(app, ["privacy", "notice", "--out", str(tmp_path), *data], env=env)
    assert written.exit_code == 0, written.output
    markdown = (tmp_path / "privacy-notice.md").read_text()
    assert markdown.startswith("# Privacy notice") and "Version 1" in markdown
    assert "<h1>Privacy notice</h1>" in (tmp_path / "privacy-notice.html").read_text()


def test_secrets_are_generated_private_and_stable(settings: Settings) -> None:
    from interpreta.secrets_store import load_secrets

    first = load_secrets(settings.data_dir)
    key = settings.data_dir / "secrets" / "master.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert load_secrets(settings.data_dir).master_key == first.master_key
    assert "hidden" in repr(first) and first.master_key.hex() not in repr(first)


def test_privacy_check_collects_every_column_and_refuses_an_unregistered_relay(
    tmp_path: Path,
) -> None:
    env = {"INTERPRETA_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["privacy", "check"], env=env)
    assert result.exit_code == 0, result.output
    assert "minimisation:" not in result.output  # every personal column is collected somewhere
    relay = {**env, "INTERPRETA_SMTP_HOST": "smtp.unknown.example"}
    refused = CliRunner().invoke(app, ["privacy", "check"], env=relay)
    assert refused.exit_code == 2
    assert "SMTP host 'smtp.unknown.example' is not among the hosts" in refused.output


def test_a_read_only_database_ends_a_command_in_one_line_and_changes_nothing(
    platform: Platform, settings: Settings
) -> None:
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        read_only = f"sqlite:///file:{url.database}?mode=ro&uri=true"
    else:
        read_only = url.update_query_dict(
            {"options": "-c default_transaction_read_only=on"}
        ).render_as_string(hide_password=False)
    platform.close()
    result = CliRunner().invoke(
        app,
        ["dsr", "log", "erasure", "--email", "x@example.org", "--data-dir", str(settings.data_dir)],
        env={"INTERPRETA_DATABASE_URL": read_only},
    )
    assert result.exit_code == 2, result.output
    assert "error: the database refused the command:" in result.output
    assert "read" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    engine = make_engine(settings.resolved_database_url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM dsr_requests")) == 0
    engine.dispose()
