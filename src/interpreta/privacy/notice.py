"""The privacy notice, generated from the data map and the configuration (P26, P35, P36).

The notice cannot say one thing while the code does another: every category,
purpose, legal basis, recipient and retention period in it is read from the
processing activities, the column declarations, the processor register and the
settings the platform enforces. It comes in layers: a one-screen summary per
audience, then one section per processing activity, then every field in detail
(:mod:`interpreta.privacy.notice_sections`). English is the source; each version is
published in every supported language at once (the translations come from the
message catalogues), and each change of content, in any language, is published as a
new version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.datamap.activities import ACTIVITIES, Audience
from interpreta.datamap.declarations import personal_fields
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.vocabulary import LegalBasis, Purpose
from interpreta.i18n.catalogues import gettext
from interpreta.i18n.locales import DEFAULT, SUPPORTED, join_or, long_date, speaking
from interpreta.privacy.document import AnyBlock, Bullets, Heading, Paragraph, to_html
from interpreta.privacy.document import to_markdown as blocks_to_markdown
from interpreta.privacy.models import NoticeTranslation, NoticeVersion
from interpreta.privacy.notice_sections import (
    DETAILS,
    PRIVACY_CENTRE,
    REQUEST_FORM,
    activity_sections,
    details,
    facts_read_once,
    in_sentence,
    rule_words,
    summary,
)
from interpreta.privacy.summary import rules_of


def blocks(metadata: MetaData, settings: Settings) -> list[AnyBlock]:
    """The notice's content in the current language, without version line: summaries,
    sections, then details."""
    out: list[AnyBlock] = [
        Heading(1, gettext("Privacy notice")),
        Paragraph(
            gettext(
                "%(operator)s, %(address)s (%(email)s) runs this platform for live multilingual "
                "events. Start with the short summary that fits you. What we do, activity by "
                'activity, follows; the last part, "%(details)s", lists every field.',
                operator=settings.operator_name,
                address=settings.operator_address,
                email=settings.operator_email,
                details=gettext(DETAILS),
            )
        ),
        Heading(2, gettext("In short")),
    ]
    for audience in Audience:
        out += summary(metadata, settings, audience)
    out += [
        Heading(2, gettext("Our two roles")),
        Paragraph(
            gettext(
                "For our customers' accounts (who buys, who is invoiced, who signs in to "
                "organise events) we decide how personal data is used: we are the controller. "
                "For the people who take part in a customer's events (listeners, speakers, "
                "interpreters) we process data on the customer's behalf and on its "
                "instructions: the customer is the controller and we are its processor. "
                "Requests about event participation are shown to, and decided with, the "
                "organiser of the event."
            )
        ),
        Heading(2, gettext("What we do with personal data, activity by activity")),
        *activity_sections(metadata, settings),
        Heading(2, gettext("Your rights")),
        Bullets(rights(metadata, settings)),
        Paragraph(
            gettext(
                "To use them, signed-in users open the privacy centre at %(centre)s; anyone "
                "can use the form at %(form)s or write to our data protection officer at "
                "%(email)s. We answer within %(days)s days. If you took part in an event, we "
                "pass your request to its organiser, who decides on it with our help.",
                centre=PRIVACY_CENTRE,
                form=REQUEST_FORM,
                email=settings.dpo.email,
                days=settings.dsr_due_days,
            )
        ),
        Heading(2, gettext("Data protection officer")),
        Paragraph(_contact(settings.dpo.name, settings.dpo.email, settings.dpo.address)),
        Heading(2, gettext("Supervisory authority")),
        Paragraph(
            gettext(
                "You may complain to the lead supervisory authority: %(contact)s",
                contact=_contact(
                    settings.supervisory_authority.name,
                    settings.supervisory_authority.email,
                    settings.supervisory_authority.url,
                ),
            )
        ),
        *details(metadata, settings),
    ]
    return out


def rights(metadata: MetaData, settings: Settings) -> tuple[str, ...]:
    """The rights, with the exceptions and examples the declarations and activities give,
    in the current language."""
    declared = [d for _field, d in personal_fields(metadata)]
    legal = [d for d in declared if d.basis is LegalBasis.LEGAL_OBLIGATION]
    kept: list[str] = []
    if legal:
        rules = "; ".join(rule_words(r, settings) for r in rules_of(legal))
        kept.append(
            gettext("what the law requires us to keep (such records are %(rules)s)", rules=rules)
        )
    if any(d.retention.anchor is Anchor.HOLD_RELEASE for d in declared):
        kept.append(gettext("what a legal hold covers"))
    erasure = (
        gettext(
            "Erasure (Art. 17): have your data deleted, except %(kept)s; our answer says what "
            "was kept and why.",
            kept=join_or(kept),
        )
        if kept
        else gettext("Erasure (Art. 17): have your data deleted.")
    )
    objectionable = [a for a in ACTIVITIES if a.objectionable and not a.stores_only]
    examples = "; ".join(in_sentence(gettext(a.title)) for a in objectionable)
    marketing = any(Purpose.MARKETING in a.purposes for a in ACTIVITIES)
    if objectionable and marketing:
        objection = gettext(
            "Objection (Art. 21): object to processing based on legitimate interests (such as "
            "%(examples)s); and to direct marketing at any time.",
            examples=examples,
        )
    elif objectionable:
        objection = gettext(
            "Objection (Art. 21): object to processing based on legitimate interests (such as "
            "%(examples)s).",
            examples=examples,
        )
    elif marketing:
        objection = gettext(
            "Objection (Art. 21): object to processing based on legitimate interests; and to "
            "direct marketing at any time."
        )
    else:
        objection = gettext(
            "Objection (Art. 21): object to processing based on legitimate interests."
        )
    found = [
        gettext("Access (Art. 15 GDPR): a copy of all personal data we hold about you."),
        gettext(
            "Portability (Art. 20): the same data in a machine-readable format (JSON and CSV)."
        ),
        gettext("Rectification (Art. 16): have inaccurate data corrected."),
        erasure,
        gettext("Restriction (Art. 18): have processing paused; the data is kept but not used."),
        objection,
        gettext(
            "Automated decisions (Art. 22): opt out of automated assessment and ask for human "
            "review."
        ),
    ]
    if any(a.basis is LegalBasis.CONSENT for a in ACTIVITIES):
        found.append(
            gettext(
                "Withdraw consent at any time, without affecting processing before the withdrawal."
            )
        )
    found.append(gettext("Complain to a supervisory authority (see below)."))
    return tuple(found)


def _contact(*parts: str) -> str:
    return ", ".join(p for p in parts if p) + "."


@dataclass(frozen=True)
class RenderedNotice:
    """One rendering of the notice, in one language."""

    markdown: str
    html: str
    language: str = DEFAULT


def render(metadata: MetaData, settings: Settings, language: str = DEFAULT) -> RenderedNotice:
    """The current notice in both formats, in `language`."""
    with speaking(language), facts_read_once(metadata, settings):
        content = blocks(metadata, settings)
    return RenderedNotice(blocks_to_markdown(content), to_html(content), language)


def render_all(metadata: MetaData, settings: Settings) -> dict[str, RenderedNotice]:
    """The current notice in every supported language, English (the source) first."""
    with facts_read_once(metadata, settings):
        return {code: render(metadata, settings, code) for code in SUPPORTED}


def content_hash(texts: Mapping[str, RenderedNotice]) -> str:
    """SHA-256 over every language's Markdown: a new hash (a changed fact, or a changed
    translation) means a new version."""
    digest = hashlib.sha256()
    for code in sorted(texts):
        digest.update(f"{code}\n{len(texts[code].markdown)}\n".encode())
        digest.update(texts[code].markdown.encode())
    return digest.hexdigest()


def publish(db: Session, metadata: MetaData, settings: Settings, now: datetime) -> NoticeVersion:
    """Store the notice, in every language, as a new version if its content changed in any
    of them; return the current one."""
    texts = render_all(metadata, settings)
    digest = content_hash(texts)
    latest = latest_version(db)
    if latest is not None and latest.content_hash == digest:
        return latest
    source = texts[DEFAULT]
    version = NoticeVersion(
        number=(latest.number + 1) if latest else 1,
        published_at=now,
        content_hash=digest,
        markdown=source.markdown,
        html=source.html,
    )
    db.add(version)
    db.flush()
    db.add_all(
        NoticeTranslation(
            version_id=version.id, language=code, markdown=text.markdown, html=text.html
        )
        for code, text in texts.items()
        if code != DEFAULT
    )
    db.flush()
    return version


def latest_version(db: Session) -> NoticeVersion | None:
    """The notice in force, if one was published."""
    return db.scalar(select(NoticeVersion).order_by(NoticeVersion.number.desc()).limit(1))


def text_of(db: Session, version: NoticeVersion, language: str) -> RenderedNotice:
    """`version` as it was published in `language`; in English when it has no translation
    into it (English itself, or a version published before the translations existed)."""
    translation = db.scalar(
        select(NoticeTranslation).where(
            NoticeTranslation.version_id == version.id, NoticeTranslation.language == language
        )
    )
    if translation is None:
        return RenderedNotice(version.markdown, version.html)
    return RenderedNotice(translation.markdown, translation.html, language)


def published_on(version: NoticeVersion) -> str:
    """The version's publication date in the current language: '24 November 2026'."""
    return long_date(version.published_at)


def version_line(version: NoticeVersion) -> str:
    """'Version 3, in force since 24 November 2026.', in the current language."""
    return gettext(
        "Version %(number)s, in force since %(date)s.",
        number=version.number,
        date=published_on(version),
    )
