"""The layers of the privacy notice: a summary per audience, a section per activity, details.

Every fact is read from the processing activities, the column declarations,
the processor register and the settings; the words around them are the only
text written here. Everything is written in the current language
(:func:`interpreta.i18n.locales.current`): the words here are gettext messages with
named placeholders, and the declared texts (labels, titles, descriptions) are
translated where they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import MetaData

from interpreta.config import Settings
from interpreta.datamap import storage
from interpreta.datamap.activities import ACTIVITIES, Activity, Audience
from interpreta.datamap.declarations import Personal, personal_fields
from interpreta.datamap.processors import Processor
from interpreta.datamap.retention_rules import AnyRule, CustomerDefinedRule
from interpreta.datamap.vocabulary import Category, LegalBasis, Scope, Subject
from interpreta.i18n.catalogues import N_, gettext
from interpreta.i18n.locales import current, join_and
from interpreta.privacy.document import AnyBlock, Bullets, Heading, Paragraph, Table
from interpreta.privacy.summary import (
    ActivityUse,
    activity_use,
    categories_of,
    in_eea,
    rules_of,
)

PRIVACY_CENTRE = "/privacy/me"
"""The page where signed-in people see their data and make requests."""
REQUEST_FORM = "/privacy/request"
"""The request form for people without an account."""

AUDIENCES: dict[Audience, tuple[str, tuple[Subject, ...]]] = {
    Audience.PARTICIPANT: (N_("If you take part in an event"), (Subject.PARTICIPANT,)),
    Audience.CUSTOMER: (
        N_("If you have an account with us"),
        (Subject.CUSTOMER_USER, Subject.CUSTOMER_CONTACT),
    ),
    Audience.VISITOR: (
        N_("If you visit our website or write to us"),
        (Subject.VISITOR, Subject.SUBSCRIBER),
    ),
}
"""Each audience's summary heading (English; translated where shown), and whose data
(declared subjects) it is about."""

DETAILS = N_("Details: every field we store")
"""The heading of the last layer (English; translated where shown)."""
FEW_FIELDS = 3
"""A summary names the fields a retention rule covers up to this many, else their kinds."""
LEGAL = LegalBasis.LEGAL_OBLIGATION
NOUNS_CAPITALISED = frozenset({"de"})
"""Languages whose nouns keep their capital inside a sentence (titles are not lowered)."""


def short(category: Category) -> str:
    """The category's label without its examples, in the current language: 'Identifiers'."""
    return gettext(category.label).split(" (")[0]


def in_sentence(title: str) -> str:
    """A title or label (in the current language) inside a sentence: lower case, except
    where nouns are capitalised (German)."""
    return title if current() in NOUNS_CAPITALISED else title.lower()


def rule_words(rule: AnyRule, settings: Settings) -> str:
    """A retention rule in words, with the bounds the operator sets on a customer's choice,
    in the current language."""
    words = rule.describe(current())
    if isinstance(rule, CustomerDefinedRule):
        return gettext(
            "%(rule)s (between %(low)s and %(high)s days)",
            rule=words,
            low=settings.content_retention_min_days,
            high=settings.content_retention_max_days,
        )
    return words


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def safeguard_words(processor: Processor, missing: str) -> str:
    """The processor's transfer safeguard in the current language, or `missing`."""
    return gettext(processor.safeguard) if processor.safeguard else missing


def _place(processor: Processor) -> str:
    country = processor.country.upper()
    if in_eea(processor):
        return gettext(
            "%(name)s: %(country)s, inside the EU/EEA", name=processor.name, country=country
        )
    return gettext(
        "%(name)s: %(country)s, outside the EU/EEA, protected by %(safeguard)s",
        name=processor.name,
        country=country,
        safeguard=safeguard_words(processor, gettext("no safeguard recorded")),
    )


_FACTS: ContextVar[tuple[MetaData, Settings, list[ActivityUse]] | None] = ContextVar(
    "notice_facts", default=None
)


@contextmanager
def facts_read_once(metadata: MetaData, settings: Settings) -> Iterator[None]:
    """Inside the block, what each activity touches is worked out once for `metadata` and
    `settings` (the layers, and every language of the notice, read the same facts); a
    block inside another for the same two reads nothing again."""
    outer = _FACTS.get()
    if outer is not None and outer[0] is metadata and outer[1] is settings:
        yield
        return
    token = _FACTS.set((metadata, settings, _read_uses(metadata, settings)))
    try:
        yield
    finally:
        _FACTS.reset(token)


def _read_uses(metadata: MetaData, settings: Settings) -> list[ActivityUse]:
    return [activity_use(metadata, settings, a) for a in ACTIVITIES]


def _uses(metadata: MetaData, settings: Settings) -> list[ActivityUse]:
    facts = _FACTS.get()
    if facts is not None and facts[0] is metadata and facts[1] is settings:
        return facts[2]
    return _read_uses(metadata, settings)


def _title(activity: Activity) -> str:
    return in_sentence(gettext(activity.title))


# --- first layer: one summary per audience ----------------------------------------------


def summary(metadata: MetaData, settings: Settings, audience: Audience) -> list[AnyBlock]:
    """The one-screen summary for `audience`, from the activities whose audiences include it."""
    heading, subjects = AUDIENCES[audience]
    uses = [u for u in _uses(metadata, settings) if audience in u.activity.audiences]
    service = [u for u in uses if not u.activity.stores_only and u.activity.basis is not LEGAL]
    about_you = [d for u in service for d in u.own if d.subject in subjects]
    records = [_title(u.activity) for u in uses if u.activity.basis is LEGAL]
    if about_you:
        kinds = join_and([in_sentence(short(c)) for c in categories_of(about_you)])
        titles = join_and([_title(u.activity) for u in service])
    else:
        kinds = (
            gettext("nothing about you in our database, apart from records the law asks us to keep")
            if records
            else gettext("nothing about you in our database")
        )
        titles = join_and(records) or gettext("none")
    found: list[AnyBlock] = [
        Heading(3, gettext(heading)),
        Bullets(
            (
                gettext("What we keep: %(kinds)s.", kinds=kinds),
                gettext("Why: %(titles)s.", titles=titles),
            )
        ),
    ]
    kept = [
        gettext("%(what)s: %(rule)s.", what=_what(about_you, rule), rule=rule_words(rule, settings))
        for rule in rules_of(about_you)
    ]
    if records and about_you:
        kept.append(
            gettext(
                "Records the law asks us to keep (%(records)s): see those parts.",
                records="; ".join(records),
            )
        )
    elif records:
        kept += [
            gettext(
                "%(title)s: %(rules)s.",
                title=gettext(u.activity.title),
                rules="; ".join(rule_words(r, settings) for r in rules),
            )
            for u in uses
            if u.activity.basis is LEGAL and (rules := rules_of(list(u.own)))
        ]
    found += [Paragraph(gettext("How long we keep it:")), Bullets(tuple(kept))]
    found.append(Paragraph(" ".join(_who_else(service or uses, uses))))
    found.append(Paragraph(" ".join(_your_rights(settings, uses, {d.scope for d in about_you}))))
    return found


def _what(declarations: list[Personal], rule: AnyRule) -> str:
    """What a rule covers: its fields when few, else their categories."""
    covered = [d for d in declarations if d.retention == rule]
    names = _unique([gettext(d.description) for d in covered])
    if len(names) <= FEW_FIELDS:
        return _upper(join_and(names))
    return _upper(join_and([in_sentence(short(c)) for c in categories_of(covered)]))


def _upper(words: str) -> str:
    return words[:1].upper() + words[1:]


def _recipient(words: str) -> str:
    """Who a recipient is, without the why: 'the event's organiser' (from the English)."""
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
        recipients = join_and([gettext(words) for words in others.values()])
        found.append(gettext("Who else gets it: %(recipients)s.", recipients=recipients))
    if processors:
        names = join_and(
            [
                gettext("%(name)s, in %(country)s", name=p.name, country=p.country.upper())
                for p in processors
            ]
        )
        found.append(
            gettext(
                "Apart from that, we give it only to the processors in our register: %(names)s.",
                names=names,
            )
        )
        far = [p for p in processors if not in_eea(p)]
        if far:
            found += [
                gettext(
                    "%(name)s works outside the EU/EEA (%(country)s), under %(safeguard)s.",
                    name=p.name,
                    country=p.country.upper(),
                    safeguard=safeguard_words(p, gettext("no recorded safeguard")),
                )
                for p in far
            ]
        else:
            found.append(gettext("They all work inside the EU/EEA."))
    elif not others:
        found.append(gettext("Who else gets it: no one."))
    return found


def _your_rights(settings: Settings, uses: list[ActivityUse], scopes: set[Scope]) -> list[str]:
    found = [
        gettext(
            "Your rights: you can get a copy of your data, and have it fixed, deleted or "
            "paused. You can object to some uses."
        )
        if any(u.activity.objectionable and not u.activity.stores_only for u in uses)
        else gettext(
            "Your rights: you can get a copy of your data, and have it fixed, deleted or paused."
        ),
        gettext(
            "Signed in, use %(centre)s. Or use the form at %(form)s, or write to %(email)s. "
            "We answer within %(days)s days.",
            centre=PRIVACY_CENTRE,
            form=REQUEST_FORM,
            email=settings.dpo.email,
            days=settings.dsr_due_days,
        ),
    ]
    if Scope.PROCESSOR in scopes:
        found.append(
            gettext(
                "The event's organiser decides about event data. We pass your request to them "
                "and help them answer."
            )
        )
    found.append(
        gettext(
            "You may also complain to the supervisory authority: %(authority)s.",
            authority=settings.supervisory_authority.name,
        )
    )
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
    basis = gettext(activity.basis.label)
    places = [gettext(activity.goes_to), *map(_place, use.recipients)]
    items = (
        gettext(
            "Why: %(purposes)s.", purposes="; ".join(gettext(p.label) for p in activity.purposes)
        ),
        gettext("Legal basis: %(basis)s. You may object to it.", basis=basis)
        if activity.objectionable
        else gettext("Legal basis: %(basis)s.", basis=basis),
        gettext(
            "Whose data: %(subjects)s.",
            subjects="; ".join(gettext(s.label) for s in activity.subjects),
        ),
        gettext("How long: %(time)s.", time=_time_words(use, settings)),
        gettext(
            "Who else receives it: %(recipients)s.",
            recipients=_recipient_words(activity, use.recipients),
        ),
        gettext("Where it goes: %(places)s.", places="; ".join(places)),
    )
    return [
        Heading(3, gettext(activity.title)),
        Paragraph(gettext(activity.what)),
        Bullets(items),
        *_data_blocks(use),
    ]


def field_name(declaration: Personal, encrypted: str) -> str:
    """A personal field's description in the current language; `encrypted` is the
    message marking a confidential one (with a ``%(field)s`` placeholder)."""
    name = gettext(declaration.description)
    return gettext(encrypted, field=name) if declaration.confidential else name


def _by_category(declarations: tuple[Personal, ...]) -> tuple[str, ...]:
    found: dict[Category, list[str]] = {}
    for declaration in declarations:
        name = field_name(declaration, N_("%(field)s (encrypted)"))
        names = found.setdefault(declaration.category, [])
        if name not in names:
            names.append(name)
    return tuple(
        gettext("%(category)s: %(fields)s.", category=short(c), fields="; ".join(found[c]))
        for c in Category
        if c in found
    )


def _data_blocks(use: ActivityUse) -> list[AnyBlock]:
    if not use.every_column:
        if not use.own:
            return []
        return [Paragraph(gettext("The data it uses:")), Bullets(_by_category(use.own))]
    found: list[AnyBlock] = [
        Paragraph(
            gettext("The data it uses: any personal data we hold, of every kind in the details.")
        )
    ]
    if use.own:
        found += [Paragraph(gettext("Its own records:")), Bullets(_by_category(use.own))]
    return found


def _time_words(use: ActivityUse, settings: Settings) -> str:
    own = "; ".join(rule_words(r, settings) for r in rules_of(list(use.own)))
    if not use.every_column:
        return own or gettext("it keeps no personal data")
    if own:
        return gettext(
            "its own records are %(rules)s; other data is kept as long as its own rule says "
            "(see the details)",
            rules=own,
        )
    return gettext(
        "no period of its own: other data is kept as long as its own rule says (see the details)"
    )


def _recipient_words(activity: Activity, recipients: tuple[Processor, ...]) -> str:
    found = [
        *(gettext(words) for words in activity.shared_with),
        *(
            gettext("%(name)s, for %(function)s", name=p.name, function=p.function)
            for p in recipients
        ),
    ]
    return "; ".join(found) or gettext("no one")


# --- last layer: every field ---------------------------------------------------------------


def details(metadata: MetaData, settings: Settings) -> list[AnyBlock]:
    """Every personal field by category, then the processor register."""
    declared = [d for _field, d in personal_fields(metadata)]
    out: list[AnyBlock] = [
        Heading(2, gettext(DETAILS)),
        Paragraph(
            gettext(
                "Each kind of data, field by field: whose it is, why we keep it, on what legal "
                "basis, for how long, and who decides about it."
            )
        ),
    ]
    headers = (
        gettext("Field"),
        gettext("Whose data"),
        gettext("Why"),
        gettext("Legal basis"),
        gettext("How long"),
        gettext("Who decides"),
    )
    for category in categories_of(declared):
        rows = _unique_rows(
            (
                field_name(d, N_("%(field)s (encrypted at rest)")),
                gettext(d.subject.label),
                "; ".join(gettext(p.label) for p in d.purposes),
                gettext(d.basis.label),
                rule_words(d.retention, settings),
                gettext(d.scope.label),
            )
            for d in declared
            if d.category is category
        )
        out += [Heading(3, gettext(category.label)), Table(headers, rows)]
    out += [
        Heading(3, gettext("Cookies and storage on your device")),
        Paragraph(
            gettext(
                "What our pages keep in your browser. Strictly necessary items are kept without "
                "asking; preferences only after you allow them in the banner (P05), and they are "
                "deleted from your device when you withdraw. Change your answer at /cookies."
            )
        ),
        Table(
            (
                gettext("Name"),
                gettext("Where"),
                gettext("Kind"),
                gettext("What for"),
                gettext("How long"),
            ),
            tuple(storage.rows(gettext)),
        ),
        Heading(3, gettext("Processors")),
        Paragraph(
            gettext(
                "Besides the recipients named in each section, we give personal data only to "
                "the processors in our register:"
            )
        ),
        Table(
            (
                gettext("Processor"),
                gettext("What they do for us"),
                gettext("Data shared"),
                gettext("Where"),
                gettext("Transfer safeguard"),
            ),
            tuple(
                (
                    p.name,
                    p.function,
                    ", ".join(_category_label(c) for c in p.categories),
                    p.country.upper(),
                    gettext("inside the EU/EEA")
                    if in_eea(p)
                    else safeguard_words(p, gettext("none")),
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
        return gettext(Category(value).label)  # type: ignore[call-arg]  # lookup by value
    except ValueError:
        return value
