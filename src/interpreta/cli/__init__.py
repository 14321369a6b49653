"""The ``interpreta`` command line: ``interpreta --help`` lists the commands."""

from __future__ import annotations

import typer

from interpreta.cli import audit, db, dsr, keys, privacy, serve
from interpreta.cli import backup as backup_cli
from interpreta.cli import breaches as breaches_cli
from interpreta.cli import marks as marks_cli
from interpreta.cli import newsletter as newsletter_cli
from interpreta.cli import staff as staff_cli
from interpreta.cli import status as status_cli
from interpreta.cli import support as support_cli
from interpreta.cli.common import OperatorErrors
from interpreta.cli.retention import holds_app, retention_app

app = typer.Typer(
    cls=OperatorErrors,
    name="interpreta",
    help="Interpreta: live multilingual events with remote simultaneous interpretation.",
    no_args_is_help=True,
    add_completion=False,
)
app.command(name="serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(privacy.app, name="privacy")
app.add_typer(audit.app, name="audit")
app.add_typer(keys.app, name="keys")
app.add_typer(retention_app, name="retention")
app.add_typer(holds_app, name="holds")
app.add_typer(dsr.app, name="dsr")
app.add_typer(breaches_cli.app, name="breach")
app.add_typer(marks_cli.app, name="marks")
app.add_typer(status_cli.app, name="status")
app.add_typer(newsletter_cli.app, name="newsletter")
app.add_typer(support_cli.app, name="support")
app.add_typer(staff_cli.app, name="staff")
app.command(name="backup")(backup_cli.backup_command)
app.command(name="restore")(backup_cli.restore_command)
