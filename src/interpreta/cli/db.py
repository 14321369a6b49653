"""``interpreta db``: the database schema."""

from __future__ import annotations

import typer

from interpreta.cli.common import DataDirOption, console, load_settings
from interpreta.db.engine import make_engine
from interpreta.db.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(data_dir: DataDirOption = None) -> None:
    """Apply every pending migration."""
    settings = load_settings(data_dir)
    engine = make_engine(settings.resolved_database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    console.print(f"database at revision {after} (was {before or 'empty'})")


@app.command("current")
def current_command(data_dir: DataDirOption = None) -> None:
    """Show the database's revision and the newest one the code knows."""
    settings = load_settings(data_dir)
    engine = make_engine(settings.resolved_database_url)
    console.print(f"current: {current_revision(engine) or 'empty'}; head: {head_revision()}")
