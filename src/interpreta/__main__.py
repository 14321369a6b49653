"""``python -m interpreta``: the command line."""

from interpreta.cli import app

app()
