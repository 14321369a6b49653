"""The privacy notice, generated from the data map and the configuration (P26, P35, P36).

The notice cannot say one thing while the code does another: every category,
purpose, legal basis and retention period in it is read from the declarations
the platform enforces. Each change of content is published as a new version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.datamap.processors import EEA_COUNTRIES
from interpreta.datamap.retention_rules import RULES, CustomerDefinedRule
from interpreta.datamap.vocabulary import Category, Scope
from interpreta.privacy.document import AnyBlock, Bullets, Heading, Paragraph, Table, to_html
from interpreta.privacy.document import to_markdown as blocks_to_markdown
from interpreta.privacy.models import NoticeVersion
from interpreta.privacy.summary import category_uses

RIGHTS = (
    "Access (Art. 15 GDPR): a copy of all personal data we hold about you.",
    "Portability (Art. 20): the same data in a machine-readable format (JSON and CSV).",
    "Rectification (Art. 16): have inaccurate data corrected.",
    "Erasure (Art. 17): have your data deleted, except what the law requires us to keep "
    "(invoices, 10 years) or what a legal hold covers; our answer says what was kept and why.",
    "Restriction (Art. 18): have processing paused; the data is kept but not used.",
    "Objection (Art. 21): object to processing based on legitimate interests, such as "
    "analytics; and to direct marketing at any time.",
    "Automated decisions (Art. 22): opt out of automated assessment and ask for human review.",
    "Withdraw consent at any time, without affecting processing before the withdrawal.",
    "Complain to a supervisory authority (see below).",
)


def blocks(metadata: MetaData, settings: Settings) -> list[AnyBlock]:
    """The notice's content, without version line."""
    uses = category_uses(metadata)
    out: list[AnyBlock] = [
        Heading(1, "Privacy notice"),
        Heading(2, "Who we are"),
        Paragraph(
            f"{settings.operator_name}, {settings.operator_address} "
            f"({settings.operator_email}) runs this platform for live multilingual events."
        ),
        Heading(2, "Our two roles"),
        Paragraph(
            "For our customers' accounts (who buys, who is invoiced, who signs in to organise "
            "events) we decide how personal data is used: we are the controller. For the people "
            "who take part in a customer's events (listeners, speakers, interpreters) we process "
            "data on the customer's behalf and on its instructions: the customer is the "
            "controller and we are its processor. Requests about event participation are "
            "shown to, and decided with, the organiser of the event."
        ),
        Heading(2, "What we collect, why, on what basis, and for how long"),
    ]
    for scope in Scope:
        scoped = [u for u in uses if u.scope is scope]
        if not scoped:
            continue
        title = (
            "As controller: customer accounts"
            if scope is Scope.CONTROLLER
            else "As processor: people in our customers' events"
        )
        out.append(Heading(3, title))
        rows = tuple(
            (
                use.category.label,
                ", ".join(use.fields) + (" (encrypted at rest)" if use.confidential else ""),
                "; ".join(p.label for p in use.purposes),
                "; ".join(b.label for b in use.bases),
                "; ".join(use.retention),
            )
            for use in scoped
        )
        out.append(Table(("Category", "What exactly", "Why", "Legal basis", "How long"), rows))
    content_rule = next(r for r in RULES.values() if isinstance(r, CustomerDefinedRule))
    out += [
        Paragraph(
            "Meeting content (such as chat between interpreters) is "
            f"{content_rule.describe()}, between {settings.content_retention_min_days} and "
            f"{settings.content_retention_max_days} days."
        ),
        Paragraph(
            "Anonymised statistics (for example how many people listened to each language) "
            "hold no identifier and cannot be linked back to anyone; they are kept after "
            "the personal data is deleted."
        ),
        Heading(2, "Who else receives your data"),
        Paragraph(
            "We never sell personal data. Only these processors receive it, for the purposes "
            "above, bound by a data processing agreement:"
        ),
        Table(
            ("Processor", "What they do for us", "Data shared", "Where", "Transfer safeguard"),
            tuple(
                (
                    p.name,
                    p.function,
                    ", ".join(_category_label(c) for c in p.categories),
                    p.country.upper(),
                    "inside the EU/EEA"
                    if p.country.upper() in EEA_COUNTRIES
                    else (p.safeguard or "none"),
                )
                for p in settings.processors
            ),
        ),
        Heading(2, "Your rights"),
        Bullets(RIGHTS),
        Paragraph(
            "To use them, signed-in users open the privacy centre at /privacy/me; anyone can "
            f"write to our data protection officer at {settings.dpo.email}. We answer within "
            "25 days. If you took part in an event, we pass your request to its organiser, "
            "who decides on it with our help."
        ),
        Heading(2, "Data protection officer"),
        Paragraph(_contact(settings.dpo.name, settings.dpo.email, settings.dpo.address)),
        Heading(2, "Supervisory authority"),
        Paragraph(
            "You may complain to the lead supervisory authority: "
            + _contact(
                settings.supervisory_authority.name,
                settings.supervisory_authority.email,
                settings.supervisory_authority.url,
            )
        ),
    ]
    return out


def _category_label(value: str) -> str:
    try:
        return Category(value).label  # type: ignore[call-arg]  # lookup by value
    except ValueError:
        return value


def _contact(*parts: str) -> str:
    return ", ".join(p for p in parts if p) + "."


@dataclass(frozen=True)
class RenderedNotice:
    """One rendering of the notice."""

    markdown: str
    html: str

    @property
    def content_hash(self) -> str:
        """SHA-256 of the Markdown: a new hash means a new version."""
        return hashlib.sha256(self.markdown.encode()).hexdigest()


def render(metadata: MetaData, settings: Settings) -> RenderedNotice:
    """The current notice in both formats."""
    content = blocks(metadata, settings)
    return RenderedNotice(blocks_to_markdown(content), to_html(content))


def publish(db: Session, metadata: MetaData, settings: Settings, now: datetime) -> NoticeVersion:
    """Store the notice as a new version if its content changed; return the current one."""
    notice = render(metadata, settings)
    latest = latest_version(db)
    if latest is not None and latest.content_hash == notice.content_hash:
        return latest
    version = NoticeVersion(
        number=(latest.number + 1) if latest else 1,
        published_at=now,
        content_hash=notice.content_hash,
        markdown=notice.markdown,
        html=notice.html,
    )
    db.add(version)
    db.flush()
    return version


def latest_version(db: Session) -> NoticeVersion | None:
    """The notice in force, if one was published."""
    return db.scalar(select(NoticeVersion).order_by(NoticeVersion.number.desc()).limit(1))


def version_line(version: NoticeVersion) -> str:
    """'Version 3, in force since 24 November 2026.'"""
    return f"Version {version.number}, in force since {version.published_at:%d %B %Y}."
