"""The glossary's rules: checked entries, search ignoring case and accents, CSV both ways."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from interpreta.booths import glossary
from interpreta.booths.glossary import GlossaryError, TermIn
from interpreta.events.models import Event
from interpreta.platform import Platform
from tests.privacy.rights.seed import seed_world


@pytest.fixture
def event_id(platform: Platform) -> int:
    with platform.transaction() as db:
        seed_world(db, platform.clock.now(), customers=1)
        found = db.scalar(select(Event.id))
    assert found is not None
    return found


def _add(platform: Platform, event_id: int, *entries: TermIn) -> None:
    with platform.transaction() as db:
        glossary.add(db, event_id, list(entries), None, platform.clock.now())


def test_search_ignores_case_and_accents_and_puts_exact_terms_first(
    platform: Platform, event_id: int
) -> None:
    _add(
        platform,
        event_id,
        TermIn("de", "Kaffeepause", "en", "coffee break"),
        TermIn("fr", "Café", "en", "coffee", "not the place"),
        TermIn("de", "Energiewende", "en", "energy transition"),
    )
    with platform.sessions() as db:
        assert [r.term for r in glossary.search(db, event_id, "cafe")] == ["Café"]
        assert [r.term for r in glossary.search(db, event_id, "COFFEE")] == ["Café", "Kaffeepause"]
        assert [r.term for r in glossary.search(db, event_id, "place")] == ["Café"]
        assert [r.term for r in glossary.search(db, event_id, "", "fr")] == ["Café"]
        assert len(glossary.search(db, event_id)) == 3


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (TermIn("deutsch", "a", "en", "b"), "language tag"),
        (TermIn("de", "  ", "en", "b"), "needs a term"),
        (TermIn("de", "a" * 201, "en", "b"), "at most 200"),
        (TermIn("de", "a", "en", "b", "n" * 1001), "at most 1000"),
    ],
)
def test_wrong_entries_are_refused_and_nothing_is_added(
    platform: Platform, event_id: int, entry: TermIn, says: str
) -> None:
    with pytest.raises(GlossaryError, match=says):
        _add(platform, event_id, TermIn("de", "fine", "en", "fine"), entry)
    with platform.sessions() as db:
        assert glossary.search(db, event_id) == []


def test_a_glossary_is_capped(
    platform: Platform, event_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(glossary, "MAX_TERMS", 2)
    _add(platform, event_id, TermIn("de", "a", "en", "a"), TermIn("de", "b", "en", "b"))
    with pytest.raises(GlossaryError, match="at most 2"):
        _add(platform, event_id, TermIn("de", "c", "en", "c"))


def test_csv_export_reads_back_and_defuses_formulas(platform: Platform, event_id: int) -> None:
    _add(
        platform,
        event_id,
        TermIn("de", '=HYPERLINK("x")', "en", 'formula, "quoted"'),
        TermIn("de", "Zeile\nzwei", "en", "two lines", "a note"),
    )
    with platform.sessions() as db:
        text = glossary.as_csv(glossary.search(db, event_id))
    assert "'=HYPERLINK" in text  # a spreadsheet shows it, does not run it
    back = glossary.from_csv(text)
    assert {(e.term, e.equivalent, e.note) for e in back} == {
        ('=HYPERLINK("x")', 'formula, "quoted"', None),
        ("Zeile\nzwei", "two lines", "a note"),
    }


def test_tab_separated_files_import_and_a_wrong_line_is_named() -> None:
    text = "source_language\tterm\ttarget_language\tequivalent\nde\tBund\ten\tfederation\n"
    assert glossary.from_csv(text) == [TermIn("de", "Bund", "en", "federation")]
    with pytest.raises(GlossaryError, match="Line 3"):
        glossary.from_csv(text + "de\t\ten\tnothing\n")
    with pytest.raises(GlossaryError, match="missing: equivalent"):
        glossary.from_csv("source_language,term,target_language\nde,a,en\n")


@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=40).filter(lambda t: t.strip()),
            st.text(min_size=1, max_size=40).filter(lambda t: t.strip()),
        ),
        max_size=5,
    )
)
def test_any_checked_entry_survives_a_csv_round_trip(pairs: list[tuple[str, str]]) -> None:
    class Row:
        def __init__(self, term: str, equivalent: str) -> None:
            self.source_language, self.target_language = "de", "en"
            self.term, self.equivalent, self.note = term, equivalent, None

    entries = [TermIn("de", t, "en", e).checked() for t, e in pairs]
    rows = [Row(e.term, e.equivalent) for e in entries]
    assert glossary.from_csv(glossary.as_csv(rows)) == entries  # type: ignore[arg-type]
