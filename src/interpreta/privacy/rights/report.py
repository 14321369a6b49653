"""The readable access report (Art. 15): an HTML page, written as it is read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import TextIO

from sqlalchemy import MetaData
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.datamap.vocabulary import Category
from interpreta.privacy.rights.context import context
from interpreta.privacy.rights.stored import declarations_present, values
from interpreta.privacy.rights.subjects import Found, Part

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "caption{text-align:left;font-weight:600}"
)


def _list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"


def write_html(
    out: TextIO,
    db: Session,
    metadata: MetaData,
    settings: Settings,
    found: Found,
    parts: list[Part],
    generated_at: datetime,
) -> None:
    """Write the report of `found` in `parts` to `out`, category by category."""
    present = declarations_present(db, metadata, found, parts)
    info = context(settings, present)
    out.write(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Your personal data</title><style>{STYLE}</style></head><body>"
        f"<h1>Your personal data held by {escape(settings.operator_name)}</h1>"
        f"<p>Generated {escape(generated_at.isoformat(timespec='minutes'))}.</p>"
    )
    used = {d.category for d in present}
    for category in (c for c in Category if c in used):
        out.write(
            f"<table><caption>{escape(category.label)}</caption>"
            "<tr><th>What</th><th>Value</th><th>Record</th></tr>"
        )
        for item in values(db, metadata, found, parts, category):
            value = "" if item.value is None else str(item.value)
            out.write(
                f"<tr><td>{escape(item.declaration.description)}</td><td>{escape(value)}</td>"
                f"<td>{escape(item.table)} #{escape(str(item.row))}</td></tr>"
            )
        out.write("</table>")
    out.write("<h2>Why we hold it, for how long, and who else receives it</h2>")
    for entry in info["categories"]:
        out.write(
            f"<h3>{escape(entry['category'])}</h3><dl>"
            f"<dt>Purposes</dt><dd>{_list(entry['purposes'])}</dd>"
            f"<dt>Legal basis</dt><dd>{_list(entry['legal_bases'])}</dd>"
            f"<dt>Kept</dt><dd>{_list(entry['retention'])}</dd>"
            f"<dt>Decided by</dt><dd>{_list(entry['decided_by'])}</dd></dl>"
        )
    out.write(f"<h2>Recipients</h2>{_list(info['recipients'] or ['none'])}")
    out.write(f"<h2>Where the data comes from</h2>{_list(info['source'])}")
    out.write(f"<h2>Automated decisions</h2><p>{escape(info['automated_decision_making'])}</p>")
    out.write(f"<h2>Your rights</h2>{_list(info['rights'])}")
    authority = info["complaint"]
    out.write(
        "<h2>Complaints</h2><p>You may complain to the supervisory authority: "
        f"{escape(authority['name'])} {escape(authority.get('url', ''))}.</p></body></html>"
    )
