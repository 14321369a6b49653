"""What every command shares: loading settings, starting the platform, reporting failures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import InternalError, OperationalError
from typer.core import TyperGroup

from interpreta.clock import Clock, SystemClock
from interpreta.config import Settings
from interpreta.datamap.activities import Activity
from interpreta.datamap.processors import TransferRefused
from interpreta.platform import Platform
from interpreta.privacy.processing import processing

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
        fail(f"invalid configuration:\n{_without_values(exc)}")
    except (OSError, ValueError) as exc:
        fail(f"invalid configuration: {exc}")


def _without_values(exc: ValidationError) -> str:
    """One line per error, naming the setting; never the value given (it may be a secret:
    pydantic's own message shows every input of a failed cross-field check)."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        name = ".".join(str(part) for part in error["loc"])
        where = f"INTERPRETA_{name.upper()}" if name else "settings"
        lines.append(f"  {where}: {error['msg']}")
    return "\n".join(lines)


@dataclass
class CommandContext:
    """What a command runs with besides its arguments: the clock.

    The real command line uses the system clock; a test passes its own
    (``CliRunner().invoke(app, args, obj=CommandContext(clock=frozen))``), so a
    command's idea of "now" is the platform's injectable clock, never the wall clock.
    """

    clock: Clock = field(default_factory=SystemClock)


def runs_in_activity(activity: Activity) -> Callable[[typer.Context], None]:
    """A command group's callback: each command of the group runs inside `activity`
    (``typer.Typer(callback=runs_in_activity(SECURITY_AUDIT))``)."""

    def callback(ctx: typer.Context) -> None:
        ctx.with_resource(processing(activity))

    return callback


def command_clock(ctx: typer.Context) -> Clock:
    """The clock the command line was invoked with: a test's, or the system clock."""
    found = ctx.find_object(CommandContext)
    return found.clock if found is not None else SystemClock()


def start_platform(ctx: typer.Context, settings: Settings) -> Platform:
    """Start the platform for a command, on the command's clock, or fail with one line."""
    try:
        return Platform.start(settings, clock=command_clock(ctx))
    except TransferRefused as exc:
        fail(f"refusing to start: {exc}")


class OperatorErrors(TyperGroup):
    """The root command group: what an operator's environment can do wrong (a read-only,
    locked or unreachable database; a folder it may not write) ends every command with
    one line and exit status 2, never a traceback. A command's transaction has rolled
    back by then, so nothing was half written."""

    def invoke(self, ctx: Any) -> Any:  # Typer vendors Click; its Context is private
        """Run the command, reporting those errors in one line."""
        try:
            return super().invoke(ctx)
        except (OperationalError, InternalError) as exc:  # PostgreSQL: read-only is internal
            reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "unknown"
            fail(f"the database refused the command: {reason}")
        except PermissionError as exc:
            fail(f"no permission to write {exc.filename or 'a file'}: {exc.strerror}")
