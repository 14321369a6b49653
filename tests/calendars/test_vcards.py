"""Contacts out of vCards: versions 3 and 4, Apple's groups, broken cards, limits."""

from __future__ import annotations

from interpreta.calendars.vcards import MAX_NAME_LENGTH, MAX_PER_CARD, Contact, contacts
from tests.radicale import ALAN, GRACE, KATHERINE

APPLE_EXPORT = """BEGIN:VCARD\r
VERSION:3.0\r
PRODID:-//Apple Inc.//macOS 14.4//EN\r
N:Lovelace;Augusta Ada;;Countess of;\r
FN:Ada Lovelace\r
ORG:Analytical Engines Ltd.;Research\r
item1.EMAIL;type=INTERNET;type=pref:ada@engines.example\r
item1.X-ABLabel:_$!<Other>!$_\r
item2.EMAIL;type=INTERNET:ada@home.example\r
item2.X-ABLabel:private\r
TEL;type=CELL;type=VOICE;type=pref:+44 7700 900123\r
NOTE:Prefers notes that are long enough to be folded over more than one line of\r
  the vCard\\, commas escaped.\r
UID:7B1A6C2E-0D2A-4B8B-9A1C-3C4D5E6F7A8B\r
END:VCARD\r
"""


def test_a_vcard_3_from_apple_with_grouped_emails() -> None:
    (ada,) = contacts(APPLE_EXPORT)
    assert ada == Contact(
        uid="7B1A6C2E-0D2A-4B8B-9A1C-3C4D5E6F7A8B",
        name="Ada Lovelace",
        emails=("ada@engines.example", "ada@home.example"),
        phones=("+44 7700 900123",),
        organisation="Analytical Engines Ltd., Research",
    )


def test_a_vcard_4_with_a_tel_uri() -> None:
    (alan,) = contacts(ALAN)
    assert alan.uid == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert alan.name == "Alan Turing"
    assert alan.emails == ("alan@example.ac.uk",)
    assert alan.phones == ("+44-20-7946-0000",)
    assert alan.organisation is None


def test_several_cards_in_order_with_lf_or_crlf_line_ends() -> None:
    text = ALAN + GRACE.replace("\r\n", "\n") + KATHERINE
    assert [c.name for c in contacts(text)] == ["Alan Turing", "Grace Hopper", "Katherine Johnson"]


def test_folded_lines_and_escaped_commas() -> None:
    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;John;;;\r\n"
        "FN:Doe\\, John\\; the Second and a name long enough to be folded across two \r\n"
        " lines\r\nEMAIL:john@example.org\r\nEND:VCARD\r\n"
    )
    (john,) = contacts(card)
    assert john.name == (
        "Doe, John; the Second and a name long enough to be folded across two lines"
    )


def test_a_name_from_n_when_fn_is_missing() -> None:
    card = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Curie;Marie;Salomea;Mme;\nEMAIL:marie@example.fr\nEND:VCARD\n"
    )
    assert contacts(card)[0].name == "Marie Salomea Curie"


def test_the_email_as_name_when_fn_and_n_are_missing() -> None:
    card = "BEGIN:VCARD\nVERSION:4.0\nEMAIL:noname@example.org\nEND:VCARD\n"
    assert contacts(card) == [
        Contact(
            uid=None,
            name="noname@example.org",
            emails=("noname@example.org",),
            phones=(),
            organisation=None,
        )
    ]


def test_a_card_with_nothing_to_call_it_by_is_left_out() -> None:
    card = "BEGIN:VCARD\nVERSION:4.0\nNOTE:who am I?\nEND:VCARD\n"
    assert contacts(card) == []


def test_broken_cards_are_skipped_and_the_good_ones_kept() -> None:
    unreadable_line = "BEGIN:VCARD\nVERSION:3.0\nFN:Broken\nthis is not a content line\nEND:VCARD\n"
    bad_photo = "BEGIN:VCARD\nVERSION:3.0\nFN:Bad Photo\nPHOTO;ENCODING=b:!!!notbase64\nEND:VCARD\n"
    unclosed = "BEGIN:VCARD\nVERSION:3.0\nFN:Never Ends\n"
    text = unreadable_line + ALAN + bad_photo + "garbage between cards\n" + KATHERINE + unclosed
    assert [c.name for c in contacts(text)] == ["Alan Turing", "Katherine Johnson"]


def test_text_without_cards() -> None:
    assert contacts("") == []
    assert contacts("BEGIN:VCALENDAR\nEND:VCALENDAR\n") == []
    assert contacts("\x00\x01 not at all a vCard") == []


def test_long_names_and_many_addresses_are_cut() -> None:
    emails = "".join(f"EMAIL:person{n}@example.org\n" for n in range(15))
    phones = "".join(f"TEL:+1 555 01{n:02d}\n" for n in range(12))
    card = f"BEGIN:VCARD\nVERSION:3.0\nFN:{'N' * 500}\n{emails}{phones}END:VCARD\n"
    (many,) = contacts(card)
    assert len(many.name) == MAX_NAME_LENGTH
    assert many.emails == tuple(f"person{n}@example.org" for n in range(MAX_PER_CARD))
    assert len(many.phones) == MAX_PER_CARD


def test_duplicate_and_unusable_emails_are_dropped() -> None:
    card = (
        "BEGIN:VCARD\nVERSION:3.0\nFN:Dup\nEMAIL:dup@example.org\nEMAIL;TYPE=work:dup@example.org\n"
        "EMAIL:not an address\nEMAIL:mailto:other@example.org\nEND:VCARD\n"
    )
    assert contacts(card)[0].emails == ("dup@example.org", "other@example.org")
