"""The privacy notice, generated from the data map and the configuration (P26, P35, P36).

The notice cannot say one thing while the code does another: every category,
purpose, legal basis, recipient and retention period in it is read from the
processing activities, the column declarations, the processor register and the
settings the platform enforces. It comes in layers: a one-screen summary per
audience, then one section per processing activity, then every field in detail
(:mod:`interpreta.privacy.notice_sections`). Each change of content is
published as a new version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.datamap.activities import ACTIVITIES, Audience
from interpreta.datamap.declarations import personal_fields
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.vocabulary import LegalBasis, Purpose
from interpreta.privacy.document import AnyBlock, Bullets, Heading, Paragraph, to_html
from interpreta.privacy.document import to_markdown as blocks_to_markdown
from interpreta.privacy.models import NoticeVersion
from interpreta.privacy.notice_sections import (
    DETAILS,
    PRIVACY_CENTRE,
    REQUEST_FORM,
    activity_sections,
    details,
    rule_words,
    summary,
)
from interpreta.privacy.summary import rules_of


def blocks(metadata: MetaData, settings: Settings) -> list[AnyBlock]:
    """The notice's content, without version line: summaries, sections, then details."""
    out: list[AnyBlock] = [
        Heading(1, "Privacy notice"),
        Paragraph(
            f"{settings.operator_name}, {settings.operator_address} "
            f"({settings.operator_email}) runs this platform for live multilingual events. "
            "Start with the short summary that fits you. What we do, activity by activity, "
            f'follows; the last part, "{DETAILS}", lists every field.'
        ),
        Heading(2, "In short"),
    ]
    for audience in Audience:
        out += summary(metadata, settings, audience)
    out += [
        Heading(2, "Our two roles"),
        Paragraph(
            "For our customers' accounts (who buys, who is invoiced, who signs in to organise "
            "events) we decide how personal data is used: we are the controller. For the people "
            "who take part in a customer's events (listeners, speakers, interpreters) we process "
            "data on the customer's behalf and on its instructions: the customer is the "
            "controller and we are its processor. Requests about event participation are "
            "shown to, and decided with, the organiser of the event."
        ),
        Heading(2, "What we do with personal data, activity by activity"),
        *activity_sections(metadata, settings),
        Heading(2, "Your rights"),
        Bullets(rights(metadata, settings)),
        Paragraph(
            f"To use them, signed-in users open the privacy centre at {PRIVACY_CENTRE}; anyone "
            f"can use the form at {REQUEST_FORM} or write to our data protection officer at "
            f"{settings.dpo.email}. We answer within {settings.dsr_due_days} days. If you took "
            "part in an event, we pass your request to its organiser, who decides on it with "
            "our help."
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
        *details(metadata, settings),
    ]
    return out


def rights(metadata: MetaData, settings: Settings) -> tuple[str, ...]:
    """The rights, with the exceptions and examples the declarations and activities give."""
    declared = [d for _field, d in personal_fields(metadata)]
    legal = [d for d in declared if d.basis is LegalBasis.LEGAL_OBLIGATION]
    kept: list[str] = []
    if legal:
        rules = "; ".join(rule_words(r, settings) for r in rules_of(legal))
        kept.append(f"what the law requires us to keep (such records are {rules})")
    if any(d.retention.anchor is Anchor.HOLD_RELEASE for d in declared):
        kept.append("what a legal hold covers")
    erasure = "Erasure (Art. 17): have your data deleted"
    if kept:
        erasure += ", except " + " or ".join(kept) + "; our answer says what was kept and why"
    objectionable = [a for a in ACTIVITIES if a.objectionable and not a.stores_only]
    objection = "Objection (Art. 21): object to processing based on legitimate interests"
    if objectionable:
        objection += " (such as " + "; ".join(a.title.lower() for a in objectionable) + ")"
    if any(Purpose.MARKETING in a.purposes for a in ACTIVITIES):
        objection += "; and to direct marketing at any time"
    found = [
        "Access (Art. 15 GDPR): a copy of all personal data we hold about you.",
        "Portability (Art. 20): the same data in a machine-readable format (JSON and CSV).",
        "Rectification (Art. 16): have inaccurate data corrected.",
        erasure + ".",
        "Restriction (Art. 18): have processing paused; the data is kept but not used.",
        objection + ".",
        "Automated decisions (Art. 22): opt out of automated assessment and ask for human review.",
    ]
    if any(a.basis is LegalBasis.CONSENT for a in ACTIVITIES):
        found.append(
            "Withdraw consent at any time, without affecting processing before the withdrawal."
        )
    found.append("Complain to a supervisory authority (see below).")
    return tuple(found)


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
