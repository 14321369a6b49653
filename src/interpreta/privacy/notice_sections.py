"""The layers of the privacy notice: a summary per audience, a section per activity, details.

Every fact is read from the processing activities, the column declarations,
the processor register and the settings; the words around them are the only
text written here.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import MetaData

from interpreta.config import Settings
from interpreta.datamap import storage
from interpreta.datamap.activities import ACTIVITIES, Activity, Audience
from interpreta.datamap.declarations import Personal, personal_fields
from interpreta.datamap.processors import Processor
from interpreta.datamap.retention_rules import AnyRule, CustomerDefinedRule
from interpreta.datamap.vocabulary import Category, LegalBasis, Scope, Subject
from interpreta.privacy.document import AnyBlock, Bullets, Heading, Paragraph, Table
from interpreta.privacy.summary import (
    ActivityUse,
    activity_use,
    categories_of,
    fields_by_category,
    in_eea,
    rules_of,
)

PRIVACY_CENTRE = "/privacy/me"
"""The page where signed-in people see their data and make requests."""
REQUEST_FORM = "/privacy/request"
"""The request form for people without an account."""

AUDIENCES: dict[Audience, tuple[str, tuple[Subject, ...]]] = {
    Audience.PARTICIPANT: ("If you take part in an event", (Subject.PARTICIPANT,)),
    Audience.CUSTOMER: (
        "If you have an account with us",
        (Subject.CUSTOMER_USER, Subject.CUSTOMER_CONTACT),
    ),
    Audience.VISITOR: (
        "If you visit our website or write to us",
        (Subject.VISITOR, Subject.SUBSCRIBER),
    ),
}
"""Each audience's summary heading, and whose data (declared subjects) it is about."""

DETAILS = "Details: every field we store"
FEW_FIELDS = 3
"""A summary names the fields a retention rule covers up to this many, else their kinds."""
LEGAL = LegalBasis.LEGAL_OBLIGATION


def short(category: Category) -> str:
    """The category's label without its examples: 'Identifiers'."""
    return category.label.split(" (")[0]


def rule_words(rule: AnyRule, settings: Settings) -> str:
    """A retention rule in words, with the bounds the operator sets on a customer's choice."""
    words = rule.describe()
    if isinstance(rule, CustomerDefinedRule):
        low, high = settings.content_retention_min_days, settings.content_retention_max_days
        words += f" (between {low} and {high} days)"
    return words


def _join(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _place(processor: Processor) -> str:
    country = processor.country.upper()
    if in_eea(processor):
        return f"{processor.name}: {country}, inside the EU/EEA"
    safeguard = processor.safeguard or "no safeguard recorded"
    return f"{processor.name}: {country}, outside the EU/EEA, protected by {safeguard}"


def _uses(metadata: MetaData, settings: Settings) -> list[ActivityUse]:
    return [activity_use(metadata, settings, a) for a in ACTIVITIES]


# --- first layer: one summary per audience ----------------------------------------------


def summary(metadata: MetaData, settings: Settings, audience: Audience) -> list[AnyBlock]:
    """The one-screen summary for `audience`, from the activities whose audiences include it."""
    heading, subjects = AUDIENCES[audience]
    uses = [u for u in _uses(metadata, settings) if audience in u.activity.audiences]
    service = [u for u in uses if not u.activity.stores_only and u.activity.basis is not LEGAL]
    about_you = [d for u in service for d in u.own if d.subject in subjects]
    records = [u.activity.title.lower() for u in uses if u.activity.basis is LEGAL]
    if about_you:
        kinds = _join([short(c).lower() for c in categories_of(about_you)])
        titles = _join([u.activity.title.lower() for u in service])
    else:
        kinds = "nothing about you in our database"
        kinds += ", apart from records the law asks us to keep" if records else ""
        titles = _join(records) or "none"
    found: list[AnyBlock] = [
        Heading(3, heading),
        Bullets((f"What we keep: {kinds}.", f"Why: {titles}.")),
    ]
    kept = [
        f"{_what(about_you, rule)}: {rule_words(rule, settings)}." for rule in rules_of(about_you)
    ]
    if records and about_you:
        kept.append(f"Records the law asks us to keep ({'; '.join(records)}): see those parts.")
    elif records:
        kept += [
            f"{u.activity.title}: {'; '.join(rule_words(r, settings) for r in rules)}."
            for u in uses
            if u.activity.basis is LEGAL and (rules := rules_of(list(u.own)))
        ]
    found += [Paragraph("How long we keep it:"), Bullets(tuple(kept))]
    found.append(Paragraph(" ".join(_who_else(service or uses, uses))))
    found.append(Paragraph(" ".join(_your_rights(settings, uses, {d.scope for d in about_you}))))
    return found


def _what(declarations: list[Personal], rule: AnyRule) -> str:
    """What a rule covers: its fields when few, else their categories."""
    covered = [d for d in declarations if d.retention == rule]
    names = _unique([d.description for d in covered])
    if len(names) <= FEW_FIELDS:
        return _upper(_join(names))
    return _upper(_join([short(c).lower() for c in categories_of(covered)]))


def _upper(words: str) -> str:
    return words[:1].upper() + words[1:]


def _recipient(words: str) -> str:
    """Who a recipient is, without the why: 'the event's organiser'."""
    return words.split(" (")[0].split(",")[0]


def _who_else(shared: list[ActivityUse], uses: list[ActivityUse]) -> list[str]:
    others: dict[str, str] = {}
    for words in (s for u in shared for s in u.activity.shared_with):
        known = others.setdefault(_recipient(words), words)
        if len(words) < len(known):
            others[_recipient(words)] = words
    processors = list({p.name: p for u in uses for p in u.recipients}.values())
    found: list[str] = []
    if others:
        found.append(f"Who else gets it: {_join(list(others.values()))}.")
    if processors:
        names = _join([f"{p.name}, in {p.country.upper()}" for p in processors])
        found.append(
            f"Apart from that, we give it only to the processors in our register: {names}."
        )
        far = [p for p in processors if not in_eea(p)]
        if far:
            found += [
                f"{p.name} works outside the EU/EEA ({p.country.upper()}), under "
                f"{p.safeguard or 'no recorded safeguard'}."
                for p in far
            ]
        else:
            found.append("They all work inside the EU/EEA.")
    elif not others:
        found.append("Who else gets it: no one.")
    return found


def _your_rights(settings: Settings, uses: list[ActivityUse], scopes: set[Scope]) -> list[str]:
    rights = "Your rights: you can get a copy of your data, and have it fixed, deleted or paused"
    if any(u.activity.objectionable and not u.activity.stores_only for u in uses):
        rights += ". You can object to some uses"
    found = [
        rights + ".",
        f"Signed in, use {PRIVACY_CENTRE}. Or use the form at {REQUEST_FORM}, or write to "
        f"{settings.dpo.email}. We answer within {settings.dsr_due_days} days.",
    ]
    if Scope.PROCESSOR in scopes:
        found.append(
            "The event's organiser decides about event data. We pass your request to them "
            "and help them answer."
        )
    authority = settings.supervisory_authority.name
    found.append(f"You may also complain to the supervisory authority: {authority}.")
    return found


# --- second layer: one section per activity ---------------------------------------------


def activity_sections(metadata: MetaData, settings: Settings) -> list[AnyBlock]:
    """One section per processing activity, in the order of ``ACTIVITIES``."""
    out: list[AnyBlock] = []
    for use in _uses(metadata, settings):
        out += activity_section(use, settings)
    return out


def activity_section(use: ActivityUse, settings: Settings) -> list[AnyBlock]:
    """What, why, on what basis, which data, how long, who else and where, for one activity."""
    activity = use.activity
    basis = f"Legal basis: {activity.basis.label}."
    if activity.objectionable:
        basis += " You may object to it."
    items = (
        f"Why: {'; '.join(p.label for p in activity.purposes)}.",
        basis,
        f"Whose data: {'; '.join(s.label for s in activity.subjects)}.",
        f"How long: {_time_words(use, settings)}.",
        f"Who else receives it: {_recipient_words(activity, use.recipients)}.",
        f"Where it goes: {'; '.join([activity.goes_to, *map(_place, use.recipients)])}.",
    )
    return [
        Heading(3, activity.title),
        Paragraph(activity.what),
        Bullets(items),
        *_data_blocks(use),
    ]


def _by_category(declarations: tuple[Personal, ...]) -> tuple[str, ...]:
    return tuple(
        f"{short(category)}: {'; '.join(names)}."
        for category, names in fields_by_category(list(declarations))
    )


def _data_blocks(use: ActivityUse) -> list[AnyBlock]:
    if not use.every_column:
        return [Paragraph("The data it uses:"), Bullets(_by_category(use.own))] if use.own else []
    found: list[AnyBlock] = [
        Paragraph("The data it uses: any personal data we hold, of every kind in the details.")
    ]
    if use.own:
        found += [Paragraph("Its own records:"), Bullets(_by_category(use.own))]
    return found


def _time_words(use: ActivityUse, settings: Settings) -> str:
    own = "; ".join(rule_words(r, settings) for r in rules_of(list(use.own)))
    if not use.every_column:
        return own or "it keeps no personal data"
    rest = "other data is kept as long as its own rule says (see the details)"
    return f"its own records are {own}; {rest}" if own else f"no period of its own: {rest}"


def _recipient_words(activity: Activity, recipients: tuple[Processor, ...]) -> str:
    found = [*activity.shared_with, *(f"{p.name}, for {p.function}" for p in recipients)]
    return "; ".join(found) or "no one"


# --- last layer: every field ---------------------------------------------------------------


def details(metadata: MetaData, settings: Settings) -> list[AnyBlock]:
    """Every personal field by category, then the processor register."""
    declared = [d for _field, d in personal_fields(metadata)]
    out: list[AnyBlock] = [
        Heading(2, DETAILS),
        Paragraph(
            "Each kind of data, field by field: whose it is, why we keep it, on what legal "
            "basis, for how long, and who decides about it."
        ),
    ]
    for category in categories_of(declared):
        rows = _unique_rows(
            (
                d.description + (" (encrypted at rest)" if d.confidential else ""),
                d.subject.label,
                "; ".join(p.label for p in d.purposes),
                d.basis.label,
                rule_words(d.retention, settings),
                d.scope.label,
            )
            for d in declared
            if d.category is category
        )
        out += [
            Heading(3, category.label),
            Table(("Field", "Whose data", "Why", "Legal basis", "How long", "Who decides"), rows),
        ]
    out += [
        Heading(3, "Cookies and storage on your device"),
        Paragraph(
            "What our pages keep in your browser. Strictly necessary items are kept without "
            "asking; preferences only after you allow them in the banner (P05), and they are "
            "deleted from your device when you withdraw. Change your answer at /cookies."
        ),
        Table(
            ("Name", "Where", "Kind", "What for", "How long"),
            tuple(storage.rows()),
        ),
        Heading(3, "Processors"),
        Paragraph(
            "Besides the recipients named in each section, we give personal data only to "
            "the processors in our register:"
        ),
        Table(
            ("Processor", "What they do for us", "Data shared", "Where", "Transfer safeguard"),
            tuple(
                (
                    p.name,
                    p.function,
                    ", ".join(_category_label(c) for c in p.categories),
                    p.country.upper(),
                    "inside the EU/EEA" if in_eea(p) else (p.safeguard or "none"),
                )
                for p in settings.processors
            ),
        ),
    ]
    return out


def _unique_rows(rows: Iterable[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    return tuple(dict.fromkeys(rows))


def _category_label(value: str) -> str:
    try:
        return Category(value).label  # type: ignore[call-arg]  # lookup by value
    except ValueError:
        return value
