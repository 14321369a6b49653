"""``interpreta privacy``: check the configuration, write the notice and the RoPA."""

from __future__ import annotations

import json
from enum import StrEnum
from html import escape
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from interpreta.accounts.customers import active_customers
from interpreta.cli.common import DataDirOption, console, fail, load_settings, start_platform
from interpreta.config import Settings
from interpreta.datamap import activities, completeness, declarations
from interpreta.datamap.processors import transfer_problems
from interpreta.i18n.catalogues import gettext
from interpreta.i18n.locales import DEFAULT, SUPPORTED, speaking, supported
from interpreta.outbound import guard_for
from interpreta.privacy import notice, retention, ropa
from interpreta.schema import all_metadata

app = typer.Typer(help="The data map and the documents generated from it.", no_args_is_help=True)


class RopaFormat(StrEnum):
    """Output formats of the records of processing."""

    JSON = "json"
    CSV = "csv"


@app.command("check")
def check(data_dir: DataDirOption = None) -> None:
    """Check the data map, the activities and the processor register; exit 2 on any
    problem. Personal columns no activity collects are reported (minimisation)."""
    settings = load_settings(data_dir)
    metadata = all_metadata()
    found = (
        completeness.problems(metadata)
        + activities.problems(metadata)
        + retention.problems(metadata)
        + transfer_problems(settings.processors)
        + _relay_problems(settings)
    )
    if found:
        fail("the privacy configuration is refused:\n- " + "\n- ".join(found))
    for column in activities.unwritten(metadata):
        console.print(
            f"[yellow]minimisation:[/] {column} is declared but no activity collects it; "
            "collect it where users expect it, or drop it",
            highlight=False,
        )
    personal = len(declarations.personal_fields(metadata))
    console.print(
        f"data map complete ({personal} personal fields declared); "
        f"{len(settings.processors)} processor(s), transfers allowed"
    )


def _relay_problems(settings: Settings) -> list[str]:
    """The SMTP relay must be a registered processor (P07)."""
    host = settings.smtp_host
    if host and guard_for(settings).recipient_for(host) is None:
        return [f"SMTP host {host!r} is not among the hosts of a registered processor"]
    return []


@app.command("map")
def show_map() -> None:
    """Print the data map: every personal field with its declaration."""
    table = Table("table.column", "category", "scope", "purposes", "basis", "retention", "conf.")
    for field, declaration in declarations.personal_fields(all_metadata()):
        table.add_row(
            f"{field.table}.{field.column}",
            declaration.category.value,
            declaration.scope.value,
            ", ".join(p.value for p in declaration.purposes),
            declaration.basis.value,
            declaration.retention.key,
            "yes" if declaration.confidential else "",
        )
    console.print(table)


@app.command("notice")
def write_notice(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option(help="Folder to write privacy-notice.md and .html into.")
    ] = Path("."),
    language: Annotated[
        str,
        typer.Option(
            "--language",
            "-l",
            help=f"The notice's language: one of {', '.join(SUPPORTED)}.",
        ),
    ] = DEFAULT,
    data_dir: DataDirOption = None,
) -> None:
    """Write the privacy notice (Markdown and HTML) in one language, publishing a new
    version, in every language, if it changed."""
    code = supported(language)
    if code is None:
        fail(f"no notice in {language!r}: choose one of {', '.join(SUPPORTED)}")
    settings = load_settings(data_dir)
    platform = start_platform(ctx, settings)
    with platform.transaction() as db:
        version = notice.publish(db, all_metadata(), settings, platform.clock.now())
        text = notice.text_of(db, version, code)
    with speaking(code):
        line = notice.version_line(version)
        title = gettext("Privacy notice")
    out.mkdir(parents=True, exist_ok=True)
    (out / "privacy-notice.md").write_text(f"{text.markdown}\n_{line}_\n", encoding="utf-8")
    (out / "privacy-notice.html").write_text(
        f'<!doctype html><html lang="{text.language}"><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f"<body>{text.html}<p><em>{escape(line)}</em></p></body></html>\n",
        encoding="utf-8",
    )
    console.print(f"wrote {out / 'privacy-notice.md'} and .html ({line})", highlight=False)


@app.command("ropa")
def write_ropa(
    ctx: typer.Context,
    format: Annotated[RopaFormat, typer.Option("--format", help="json or csv")] = RopaFormat.JSON,
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: standard output).")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the records of processing activities (Art. 30(1) and 30(2))."""
    settings = load_settings(data_dir)
    platform = start_platform(ctx, settings)
    with platform.sessions() as db:
        document = ropa.records(platform.metadata, settings, active_customers(db))
    text = (
        json.dumps(document, indent=2, ensure_ascii=False)
        if format is RopaFormat.JSON
        else ropa.to_csv(document)
    )
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
