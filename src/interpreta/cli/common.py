"""What every command shares: loading settings and reporting failures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from interpreta.config import Settings

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (default: $INTERPRETA_DATA_DIR or ./interpreta-data)."
    ),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `message` as an error and exit with `code`."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load_settings(data_dir: Path | None = None, **overrides: Any) -> Settings:
    """The settings from the environment, with command-line overrides."""
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        fail(f"invalid configuration:\n{exc}")
    except (OSError, ValueError) as exc:
        fail(f"invalid configuration: {exc}")
