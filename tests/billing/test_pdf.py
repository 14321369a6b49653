"""The invoice PDF: what it shows, in the document's language, the same bytes every time."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from interpreta.billing.document import InvoiceDocument
from interpreta.billing.pdf import render_pdf
from tests.billing.documents import (
    OUTSIDE_SCOPE_NOTE,
    REVERSE_CHARGE_NOTE,
    credit_note,
    domestic_invoice,
    reverse_charge_invoice,
    swiss_invoice,
)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def shown(document: InvoiceDocument) -> str:
    """The text of the document's PDF, with every run of white space (line breaks, the
    no-break and thin spaces CLDR puts in amounts and periods) as one space."""
    return words("\n".join(page.extract_text() for page in reader(render_pdf(document)).pages))


def words(text: str) -> str:
    return " ".join(text.split())


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def catalog(pdf: bytes) -> DictionaryObject:
    return cast(DictionaryObject, reader(pdf).trailer["/Root"])


def test_an_invoice_shows_its_parties_dates_lines_and_totals() -> None:
    text = shown(domestic_invoice())

    assert "Invoice 2026-0042" in text
    assert "Interpreta GmbH Friedrichstraße 123 10117 Berlin Germany VAT ID: DE123456789" in text
    assert "Dvořák & Łódź Konferenzdienste GmbH Antonín Dvořák Königsallee 1" in text
    assert "40212 Düsseldorf Germany VAT ID: DE987654321" in text
    assert "Issue date 1 December 2026" in text
    assert "Due date 15 December 2026" in text
    assert "Service period 1 \u2013 30 Nov 2026" in text
    assert (
        "Remote simultaneous interpretation, German-English 12.5 hour €95.00 19% €1,187.50" in text
    )
    assert "Platform subscription, November 2026 1 month €490.00 19% €490.00" in text
    assert "Total net €1,677.50 VAT €318.73 Total €1,996.23 Amount due €1,996.23" in text
    assert "Standard rate 19% €1,677.50 €318.73" in text
    assert "Payable within 14 days without deduction." in text
    assert "IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX Payment reference 2026-0042" in text
    assert "Paid" not in text


def test_a_reverse_charge_invoice_shows_the_note_and_charges_no_vat() -> None:
    text = shown(reverse_charge_invoice())

    assert "Événements Lumière SAS Søren Øre 12 rue de l'Église 75004 Paris France" in text
    assert "VAT ID: FR40303265045" in text
    assert "8 hour €110.00 0% €880.00" in text
    assert "Reverse charge 0% €880.00 €0.00" in text
    assert words(REVERSE_CHARGE_NOTE) in text


def test_an_invoice_outside_the_eu_shows_no_rate_and_what_is_left_to_pay() -> None:
    text = shown(swiss_invoice())

    assert "Zürcher Kongress AG Bahnhofstrasse 10 8001 Zürich Switzerland" in text
    assert "Listener streams 1,500 item CHF0.0125 \u2013 CHF18.75" in text
    assert "Not subject to VAT Place of supply outside the EU (§ 3a (2) UStG)" in text
    assert "Total CHF2,418.75 Paid CHF1,000.00 Amount due CHF1,418.75" in text
    assert OUTSIDE_SCOPE_NOTE in text


def test_a_credit_note_names_the_invoice_it_corrects_and_asks_for_no_transfer() -> None:
    text = shown(credit_note())

    assert "Credit note 2026-0051" in text
    assert "Credit note number 2026-0051" in text
    assert "Corrects invoice 2026-0042 of 1 December 2026" in text
    assert "Total €226.10 Total credit €226.10" in text
    assert "The amount will be refunded to your account within 14 days." in text
    assert "Payment reference" not in text


def test_dates_and_amounts_are_written_as_the_documents_language_writes_them() -> None:
    text = shown(dataclasses.replace(swiss_invoice(), language="de"))

    assert "3. Dezember 2026" in text
    assert "2. Januar 2027" in text
    assert "8001 Zürich Schweiz" in text
    assert "1.500" in text
    assert "0,0125 CHF" in text
    assert "2.418,75 CHF" in text
    assert "1.418,75 CHF" in text
    assert "CHF2,418.75" not in text


def test_the_pdf_declares_its_language() -> None:
    pdf = render_pdf(dataclasses.replace(domestic_invoice(), language="de"))

    assert catalog(pdf)["/Lang"] == "de"
    assert "1.996,23 €" in words(reader(pdf).pages[0].extract_text())


def test_the_same_document_gives_the_same_bytes_dated_the_issue_date() -> None:
    document = domestic_invoice()

    pdf = render_pdf(document)

    assert render_pdf(document) == pdf
    assert render_pdf(dataclasses.replace(document, number="2026-0099")) != pdf
    metadata = reader(pdf).metadata
    assert metadata is not None
    assert metadata.creation_date == datetime(2026, 12, 1, tzinfo=UTC)


def test_every_font_is_embedded_and_names_in_every_european_script_have_glyphs() -> None:
    pdf = render_pdf(domestic_invoice())

    resources: list[Any] = [page["/Resources"] for page in reader(pdf).pages]
    fonts = {
        font.get_object()["/BaseFont"]: font.get_object()
        for found in resources
        for font in found["/Font"].values()
    }
    assert fonts
    assert all("/FontFile2" in font["/FontDescriptor"] for font in fonts.values())
    if DEJAVU.is_file():
        # Vera, the fallback, has no "ř" or "ź".
        assert {name.split("+")[1] for name in fonts} == {"DejaVuSans", "DejaVuSans-Bold"}


def test_text_is_shown_as_written_not_read_as_markup() -> None:
    line = dataclasses.replace(
        domestic_invoice().lines[0], description="Booth <b>A</b> & <i>B</i> 2 < 3"
    )
    document = dataclasses.replace(domestic_invoice(), lines=(line, *domestic_invoice().lines[1:]))

    assert "Booth <b>A</b> & <i>B</i> 2 < 3" in shown(document)


def test_a_long_invoice_continues_on_numbered_pages() -> None:
    invoice = domestic_invoice()
    document = dataclasses.replace(invoice, lines=invoice.lines * 30)

    pages = reader(render_pdf(document)).pages

    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        text = words(page.extract_text())
        assert f"Page {number} of {len(pages)}" in text
        assert "Invoice 2026-0042" in text
        if "€95.00" in text:  # a page with lines has the table's head
            assert "Description Quantity Unit Unit price VAT Net amount" in text
    assert "€95.00" in words(pages[1].extract_text())
