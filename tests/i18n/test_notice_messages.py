"""The privacy notice's words are in the catalogue: the data map's texts (labels, titles,
column descriptions...) are found where they are declared, and shown translated."""

from __future__ import annotations

from babel.messages.pofile import read_po

from interpreta.datamap import storage
from interpreta.datamap.activities import ACTIVITIES
from interpreta.datamap.declarations import personal_fields
from interpreta.datamap.processors import SAFEGUARD_WORDS
from interpreta.datamap.retention_rules import RULES, Anchor
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.i18n import catalogues
from interpreta.i18n.extraction import declared_descriptions
from interpreta.i18n.locales import speaking
from interpreta.privacy.notice_sections import AUDIENCES, DETAILS
from interpreta.schema import all_metadata


def _template() -> set[str]:
    with catalogues.TEMPLATE.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def _declared_texts() -> set[str]:
    """Every text of the data map the notice shows, read from the live declarations."""
    texts = {d.description for _field, d in personal_fields(all_metadata())}
    for vocabulary in (Category, Subject, Purpose, LegalBasis, Scope):
        texts |= {member.label for member in vocabulary}  # type: ignore[attr-defined]
    for activity in ACTIVITIES:
        texts |= {activity.title, activity.what, activity.goes_to, *activity.shared_with}
    texts |= {anchor.words for anchor in Anchor}
    texts |= {words for row in storage.rows() for words in row[1:]}
    texts |= {heading for heading, _subjects in AUDIENCES.values()} | {DETAILS}
    return texts | set(SAFEGUARD_WORDS)


def test_every_text_of_the_data_map_the_notice_shows_is_in_the_catalogue() -> None:
    missing = sorted(_declared_texts() - _template())
    assert missing == [], (
        "declare them as literals (or mark them with N_), then run scripts/messages"
    )


def test_column_descriptions_are_found_where_they_are_declared() -> None:
    source = (
        "a = mapped_column(info=personal(PROFILE, 'first name', tie=Tie.OWNER))\n"
        "b = mapped_column(info=personal(\n    PROFILE,\n    'last '\n    'name'))\n"
        "c = mapped_column(info=personal(PROFILE, description='phone number'))\n"
        "PROFILE = BASE.described('email address', confidential=True)\n"
        "EMPTY = BASE.described('')\n"
        "d = mapped_column(info=personal(PROFILE, computed))\n"
        "e = mapped_column(info=not_personal('row number'))\n"
    )
    assert sorted(declared_descriptions(source)) == [
        (1, "first name"),
        (4, "last name"),
        (6, "phone number"),
        (7, "email address"),
    ]


def test_retention_rules_read_the_same_in_english_whatever_the_current_language() -> None:
    english = {key: rule.describe() for key, rule in RULES.items()}
    with speaking("de"):
        assert {key: rule.describe() for key, rule in RULES.items()} == english
    assert english["participation"] == "deleted 7 days after the event ends"
