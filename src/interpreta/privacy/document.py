"""A tiny document model rendered to both Markdown and HTML.

The notice is built once as blocks and rendered twice, so the two formats can
never say different things (and no Markdown library is needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Heading:
    """A section heading."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table with a header row."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


AnyBlock = Heading | Paragraph | Bullets | Table


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[AnyBlock]) -> str:
    """The blocks as CommonMark (GitHub-flavoured tables)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {item}" for item in block.items))
        else:
            lines = [
                "| " + " | ".join(_md_cell(h) for h in block.headers) + " |",
                "|" + "---|" * len(block.headers),
            ]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def to_html(blocks: list[AnyBlock]) -> str:
    """The blocks as an HTML fragment (escaped)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 6)
            out.append(f"<h{level}>{escape(block.text)}</h{level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{escape(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
            out.append(f"<ul>{items}</ul>")
        else:
            head = "".join(f'<th scope="col">{escape(h)}</th>' for h in block.headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                for row in block.rows
            )
            # a wide table scrolls in its box: keyboard users reach it (WCAG 2.1.1)
            label = escape(", ".join(block.headers))
            out.append(
                f'<div class="table-scroll" tabindex="0" role="region" aria-label="{label}">'
                f"<table><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table></div>"
            )
    return "\n".join(out) + "\n"
