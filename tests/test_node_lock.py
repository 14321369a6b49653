"""One node per data directory; several nodes only on PostgreSQL, Redis and Janus."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from interpreta.cli import app
from interpreta.config import Settings
from interpreta.node_lock import NodeLockHeld, hold_node_lock


def test_a_second_node_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    held = hold_node_lock(tmp_path)
    with pytest.raises(NodeLockHeld, match=r"pid \d+.*PostgreSQL, Redis and Janus"):
        hold_node_lock(tmp_path)
    held.close()
    hold_node_lock(tmp_path).close()  # free again once the first node is gone


def test_serve_refuses_a_data_directory_another_node_serves(tmp_path: Path) -> None:
    held = hold_node_lock(tmp_path)
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path)], env={})
    held.close()
    assert result.exit_code == 2
    assert "already serves" in result.output


def test_several_nodes_need_postgresql_and_janus(tmp_path: Path) -> None:
    alone = Settings(data_dir=tmp_path)
    assert alone.several_nodes_problem() is None
    embedded = Settings(data_dir=tmp_path, redis_url="redis://10.0.0.5:6379/0")
    problem = embedded.several_nodes_problem()
    assert problem is not None and "PostgreSQL" in problem and "Janus" in problem
    ready = Settings(
        data_dir=tmp_path,
        redis_url="redis://10.0.0.5:6379/0",
        database_url="postgresql://interpreta@10.0.0.6/interpreta",
        media_backend="janus",
    )
    assert ready.several_nodes_problem() is None


def test_serve_refuses_several_nodes_on_sqlite(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["serve", "--data-dir", str(tmp_path)],
        env={"INTERPRETA_REDIS_URL": "redis://127.0.0.1:1/0"},
    )
    assert result.exit_code == 2
    assert "refusing to start" in result.output and "SQLite" in result.output


def test_a_redis_url_of_another_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="redis_url must start with"):
        Settings(data_dir=tmp_path, redis_url="http://cache:6379")
