"""The ``interpreta`` command line: ``interpreta --help`` lists the commands."""

from __future__ import annotations

import typer

from interpreta.cli import db, privacy, serve

app = typer.Typer(
    name="interpreta",
    help="Interpreta: live multilingual events with remote simultaneous interpretation.",
    no_args_is_help=True,
    add_completion=False,
)
app.command(name="serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(privacy.app, name="privacy")
